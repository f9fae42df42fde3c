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


#: The value of a list question's "None of these" box: a list answered with no item
#: is not a list left unanswered (which is not known).
NONE_OF_THESE = "_none"


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
    """The form's fields, filled with what was submitted (nothing is chosen for the user)."""
    return [field(book, name, (submitted or {}).get(name), (errors or {}).get(name, "")) for name in book.inputs]


def field(book: Rulebook, name: str, entered=None, error: str = "") -> Field:
    """One question, showing what was ``entered``. Nothing is chosen for the user: a
    question left unanswered is not known (or, where the rulebook says so, takes its
    default, which the hint names)."""
    spec = book.inputs[name]
    kind = spec.kind
    value = entered if entered is not None else ([] if kind.is_list else "")
    hint = kind.form_hint(spec) + _if_unanswered(spec) + (f"Guidance: {spec.source}" if spec.source else "")
    options = kind.options(spec) + ([(NONE_OF_THESE, "None of these")] if kind.is_list else [])
    return Field(name, spec.question, kind.widget(spec), spec.required, hint.strip(), options, value, error)


def ticked(chosen: list[str]) -> list[str] | None:
    """The answer to a list question from its boxes: None when none is ticked (not
    answered), [] for "None of these" alone. Raises ValueError when "None of
    these" is ticked with another box."""
    if NONE_OF_THESE not in chosen:
        return chosen or None
    if len(chosen) > 1:
        raise ValueError("Select the ones that apply, or “None of these”, not both")
    return []


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
        answer: Any
        if spec.kind.is_list:
            submitted[name] = answer = [v for v in form.getlist(name) if v]
            try:
                none = ticked(answer) == []
            except ValueError as exc:
                errors[name] = str(exc)
                continue
            text = "" if none else ";".join(answer)
            if none:
                raw[name] = []
                continue
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
