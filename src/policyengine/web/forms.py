"""Forms generated from a rulebook's inputs, and reading them back.

Each input becomes one question, following the GOV.UK Design System: the
input's plain-English question is the label (or the fieldset legend), enums
and booleans are radios (a select when there are many options), dates are
three boxes (``date_input``) and lists of enums are checkboxes. Reading a
submitted form checks every field, so the error summary can list them all at
once, each linked to the control it is about.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..engine.dates import long_date
from ..engine.unknown import UNKNOWN
from ..engine.values import short_question
from ..errors import CaseError, Location, PolicyEngineError, problems_of
from .date_input import Boxes, DateProblem, at_fault, read as read_date

if TYPE_CHECKING:
    from ..engine.compile import Rulebook
    from ..engine.labels import Labels


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
    value: Any = ""                               # what to show as entered or chosen (a date: Boxes)
    error: str = ""

    @property
    def anchor(self) -> str:
        """The id the error summary links to: the first radio or box of a group (a
        fieldset cannot take focus), the first date box at fault, or the control."""
        if self.kind in ("radios", "checkboxes") and self.options:
            return f"{self.name}-{self.options[0][0]}"
        if self.kind == "date":  # with no error (a summary's first field), the day box
            return f"{self.name}-{(self.error_parts or ('day',))[0]}"
        return self.name

    @property
    def error_parts(self) -> tuple[str, ...]:
        """A date's boxes to mark as wrong (none without an error)."""
        return at_fault(self.value) if self.kind == "date" and self.error else ()


#: A date example in the GOV.UK pattern, for the hint of every date question.
DATE_EXAMPLE = "For example, 27 3 2026."


def fields(book: Rulebook, submitted: dict | None = None, errors: dict | None = None) -> list[Field]:
    """The form's fields, filled with what was submitted (nothing is chosen for the user)."""
    return [field(book, name, (submitted or {}).get(name), (errors or {}).get(name, "")) for name in book.inputs]


def field(book: Rulebook, name: str, entered=None, error: str = "") -> Field:
    """One question, showing what was ``entered``. Nothing is chosen for the user: a
    question left unanswered is not known (or, where the rulebook says so, takes its
    default, which the hint names)."""
    spec = book.inputs[name]
    kind = spec.kind
    widget = kind.widget(spec)
    value = entered if entered is not None else ([] if kind.is_list else "")
    if widget == "date":
        value = Boxes.of(value)
    options = kind.options(spec, book.labels) + ([(NONE_OF_THESE, "None of these")] if kind.is_list else [])
    hint = ((DATE_EXAMPLE + " " if widget == "date" else "") + kind.form_hint(spec) + _if_unanswered(spec, options)
            + (f"Guidance: {spec.source}" if spec.source else ""))
    return Field(name, spec.question, widget, spec.required, hint.strip(), options, value, error)


#: What the date of a decision is called in a message.
AS_OF = "The date of the decision"


def as_of_field(value: Any, error: str = "", label: str = "Date of the decision",
                hint: str = "Due dates and overdue flags are worked out as at this date.") -> Field:
    """The date a decision (or a worklist) is worked out at, as three boxes."""
    return Field("as_of", label, "date", False, f"{DATE_EXAMPLE} {hint}", value=Boxes.of(value), error=error)


def read_as_of(form: Any, what: str = AS_OF) -> tuple[Boxes, _dt.date | None, str]:
    """The date of a decision a form sent in its three boxes (today when they are
    empty): (the boxes as typed, the date, "") or, when they are not a date, (the
    boxes, None, why)."""
    boxes = Boxes.sent(form, "as_of")
    try:
        return boxes, read_date(boxes, what) or _dt.date.today(), ""
    except DateProblem as problem:
        return boxes, None, str(problem)


def summary(fields: list[Field], errors: dict[str, str]) -> list[tuple[str, str]]:
    """The error summary: (the id to link to, the message), in the order of the form.
    A problem naming no question of the form is linked to the first."""
    by_name = {f.name: f for f in fields}
    shown = [(f.anchor, f.error) for f in fields if f.error]
    first = fields[0].anchor if fields else "main"
    shown += [(first, message) for name, message in errors.items() if name not in by_name]
    return shown


def ticked(chosen: list[str]) -> list[str] | None:
    """The answer to a list question from its boxes: None when none is ticked (not
    answered), [] for "None of these" alone. Raises ValueError when "None of
    these" is ticked with another box."""
    if NONE_OF_THESE not in chosen:
        return chosen or None
    if len(chosen) > 1:
        raise ValueError("Select the ones that apply, or “None of these”, not both")
    return []


def _if_unanswered(spec, options: list[tuple[str, str]]) -> str:
    """What a question left unanswered counts as, when the rulebook gives it a value
    (a choice by its label among ``options``)."""
    default = spec.default
    if spec.required or default is None or default is UNKNOWN or (spec.kind.is_list and not default):
        return ""
    said = dict(options)
    if spec.type == "boolean":
        shown = "Yes" if default else "No"
    elif isinstance(default, _dt.date):
        shown = long_date(default)
    elif isinstance(default, (list, tuple)):
        shown = ", ".join(said.get(v, str(v)) for v in default)
    else:
        shown = said.get(default, str(spec.kind.form_default(default)))
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
        elif spec.kind.widget(spec) == "date":
            submitted[name] = boxes = Boxes.sent(form, name)
            try:
                when = read_date(boxes)
            except DateProblem as problem:
                errors[name] = str(problem)
                continue
            text = when.isoformat() if when else ""
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
            errors = errors_by_field(exc, book.labels)
    return raw, submitted, errors


def errors_by_field(exc: PolicyEngineError, labels: Labels | None = None) -> dict[str, str]:
    """Each problem of a refused case by the field it names (the first for a
    field; one naming no field is put at the case reference), with ``labels``
    each name it mentions by its label, as a page says it."""
    errors: dict[str, str] = {}
    for problem in problems_of(exc):
        errors.setdefault(problem.path or "case_id", in_words(problem.message, labels) if labels else problem.message)
    return errors


#: A name as the engine's messages quote it, perhaps after "field" ("field `case_id` holds ...").
_QUOTED = re.compile(r"(?:field )?`([a-z][a-z0-9_]*)`")


def in_words(message: str, labels: Labels) -> str:
    """An engine message as a page shows it: each quoted input or outcome by its label
    in quotation marks ("“Case ID” holds a control character"), not as the id."""
    def say(match: re.Match) -> str:
        name = match.group(1)
        return f"“{labels.of(name)}”" if name in labels.kinds else match.group(0)

    return _QUOTED.sub(say, message)
