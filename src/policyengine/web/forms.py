"""Forms generated from a rulebook's inputs, and reading them back.

Each input becomes one question, following the GOV.UK Design System: the
input's plain-English question is the label (or the fieldset legend), enums
and booleans are radios (a select when there are many options), dates are
date inputs and lists of enums are checkboxes. Reading a submitted form checks
every field, so the error summary can list them all at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import CaseError, Location

#: An enum with more options than this is a select, not radios.
MAX_RADIOS = 6


@dataclass
class Field:
    name: str
    label: str
    kind: str            # radios, select, checkboxes, date, number, text
    required: bool
    hint: str = ""
    options: list = field(default_factory=list)   # (value, label)
    value: Any = ""                               # what to show as entered or chosen
    error: str = ""


def _label(value: str) -> str:
    return value.replace("_", " ").capitalize()


def fields(book, submitted: dict | None = None, errors: dict | None = None) -> list[Field]:
    """The form's fields, filled with what was submitted (or the defaults)."""
    out = []
    for name, spec in book.inputs.items():
        default = spec.default
        if submitted is not None:
            value = submitted.get(name, [] if spec.type == "list" else "")
        elif spec.type == "boolean" and default is not None:
            value = "yes" if default else "no"
        elif spec.type == "list":
            value = list(default or [])
        elif default is not None:
            value = default.isoformat() if hasattr(default, "isoformat") else str(default)
        else:
            value = ""
        if spec.type == "boolean":
            kind, options = "radios", [("yes", "Yes"), ("no", "No")]
        elif spec.type == "enum":
            kind = "radios" if len(spec.values) <= MAX_RADIOS else "select"
            options = [(v, _label(v)) for v in spec.values]
        elif spec.type == "list":
            kind, options = "checkboxes", [(v, _label(v)) for v in spec.values]
        elif spec.type == "date":
            kind, options = "date", []
        elif spec.type == "integer":
            kind, options = "number", []
        else:
            kind, options = "text", []
        hint = f"Guidance: {spec.source}" if spec.source else ""
        if spec.type == "integer" and (spec.minimum is not None or spec.maximum is not None):
            hint = f"A whole number from {spec.minimum} to {spec.maximum}. " + hint
        out.append(Field(name, spec.question, kind, spec.required, hint.strip(), options, value,
                         (errors or {}).get(name, "")))
    return out


def _message(spec, problem: str) -> str:
    if spec.type == "boolean":
        return "Select yes or no"
    if spec.type == "enum":
        return "Select one of the options"
    if spec.type == "list":
        return "Select only the options shown"
    if spec.type == "date":
        return "Enter a real date"
    if spec.type == "integer":
        low = spec.minimum if spec.minimum is not None else None
        high = spec.maximum if spec.maximum is not None else None
        return f"Enter a whole number from {low} to {high}" if low is not None and high is not None \
            else "Enter a whole number"
    return f"Check this answer: it {problem}"


def _short(question: str) -> str:
    """The question without its explanation: "What support does the person have?"."""
    head, mark, _ = question.partition("?")
    return head + mark if mark else question


def read(book, form) -> tuple[dict, dict, dict]:
    """(case values for the engine, what was submitted, errors by field name).

    ``form`` is a multidict (``getlist``) of the submitted form.
    """
    submitted: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec in book.inputs.items():
        if spec.type == "list":
            chosen = [v for v in form.getlist(name) if v]
            submitted[name] = chosen
            text = ";".join(chosen)
        else:
            text = (form.get(name) or "").strip()
            submitted[name] = text
        if not text:
            if spec.required:
                errors[name] = f"Answer “{_short(spec.question)}”: it is required"
            continue
        try:
            spec.coerce(text, text=True)
        except ValueError as exc:
            errors[name] = _message(spec, str(exc))
            continue
        raw[name] = text
    if not errors:
        try:
            book.reader.read(raw, Location("form"), text=True)
        except CaseError as exc:  # anything the field-by-field check could not see
            errors[exc.path or "case_id"] = exc.message
    return raw, submitted, errors
