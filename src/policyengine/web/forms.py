"""Forms generated from a rulebook's inputs, and reading them back.

Each input becomes one question, following the GOV.UK Design System: the
input's plain-English question is the label (or the fieldset legend), enums
and booleans are radios (a select when there are many options), dates are
date inputs and lists of enums are checkboxes. Reading a submitted form checks
every field, so the error summary can list them all at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..engine.unknown import UNKNOWN
from ..engine.values import short_question
from ..errors import CaseError, Location, PolicyEngineError, problems_of

if TYPE_CHECKING:
    from ..engine.compile import Rulebook


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


def fields(book: Rulebook, submitted: dict | None = None, errors: dict | None = None) -> list[Field]:
    """The form's fields, filled with what was submitted (or the defaults)."""
    out = []
    for name, spec in book.inputs.items():
        kind = spec.kind
        # Nothing is chosen for the user: a question left unanswered is not known (or,
        # where the rulebook says so, takes its default, which the hint names).
        value = submitted.get(name, [] if kind.is_list else "") if submitted is not None else \
            ([] if kind.is_list else "")
        hint = kind.form_hint(spec) + _if_unanswered(spec) + (f"Guidance: {spec.source}" if spec.source else "")
        out.append(Field(name, spec.question, kind.widget(spec), spec.required, hint.strip(),
                         kind.options(spec), value, (errors or {}).get(name, "")))
    return out


def _if_unanswered(spec) -> str:
    """What a question left unanswered counts as, when the rulebook gives it a value."""
    default = spec.default
    if spec.required or default is None or default is UNKNOWN or (spec.kind.is_list and not default):
        return ""
    shown = spec.kind.form_default(default)
    if spec.type == "boolean":
        shown = "Yes" if default else "No"
    elif spec.type == "enum":
        shown = dict(spec.kind.options(spec)).get(default, shown)
    return f"If you leave this unanswered, the rulebook takes “{shown}”. "


def read(book: Rulebook, form: Any) -> tuple[dict, dict, dict]:
    """(case values for the engine, what was submitted, errors by field name).

    ``form`` is a multidict (``getlist``) of the submitted form.
    """
    submitted: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec in book.inputs.items():
        if spec.kind.is_list:
            chosen = [v for v in form.getlist(name) if v]
            submitted[name] = chosen
            text = ";".join(chosen)
        else:
            text = (form.get(name) or "").strip()
            submitted[name] = text
        if not text:
            if spec.required:
                errors[name] = f"Answer “{short_question(spec.question)}”: it is required"
            continue
        try:
            spec.coerce(text, text=True)
        except ValueError as exc:
            errors[name] = spec.kind.form_error(spec, str(exc))
            continue
        raw[name] = text
    if not errors:
        try:
            book.reader.read(raw, Location("form"), text=True)
        except CaseError as exc:  # anything the field-by-field check could not see
            errors = errors_by_field(exc)
    return raw, submitted, errors


def errors_by_field(exc: PolicyEngineError) -> dict[str, str]:
    """Each problem of a refused case by the field it names (the first for a
    field; one naming no field is put at the case reference)."""
    errors: dict[str, str] = {}
    for problem in problems_of(exc):
        errors.setdefault(problem.path or "case_id", problem.message)
    return errors
