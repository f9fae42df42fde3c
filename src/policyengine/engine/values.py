"""Every way a value becomes text: JSON, a CSV cell, words, a page.

One module, so a date or a list reads the same wherever it is shown: an
outcome is a boolean, a number, text, a date, an interval, a list of these,
or None. The decision's text report is presentation: it is in
``formats.decision``.
"""
from __future__ import annotations

import datetime as _dt
from decimal import Decimal
from typing import Any

from .dates import Interval, long_date
from .numbers import for_output
from .unknown import UNKNOWN


def for_json(value: Any) -> Any:
    """A value as JSON holds it: dates ISO, intervals in words, lists as lists, not known as null."""
    if value is UNKNOWN:
        return None
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Interval):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [for_json(v) for v in value]
    if isinstance(value, Decimal):
        return for_output(value)
    return value


_CELL = {
    type(None): lambda v: "",
    bool: lambda v: "true" if v else "false",
    str: lambda v: v,
    list: lambda v: ";".join(str(for_json(x)) for x in v),
    _dt.date: _dt.date.isoformat,
}


def for_csv(value: Any) -> str:
    """A value as one CSV cell: lists joined with `;`, dates ISO, booleans true/false."""
    if value is UNKNOWN:
        return ""
    convert = _CELL.get(type(value))
    return convert(value) if convert else str(for_json(value))


def tally_key(value: Any) -> str:
    """A value as the key of a count (a worklist's summary): none, yes/no, else its JSON text."""
    if value is None:
        return "none"
    if value is UNKNOWN:
        return "not known"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(for_json(value))


def words(value: Any, *, brackets: bool = True) -> str:
    """A value in a few words, for diffs, impact reports, labels and the policy
    document: none, yes/no, dates the British way ("22 November 2026"),
    intervals as lengths ("7 days"), and lists as ``[a, b]`` (or ``a, b`` in
    prose, with ``brackets=False``)."""
    if value is None:
        return "none"
    if value is UNKNOWN:
        return "not known"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _dt.date):
        return long_date(value)
    if isinstance(value, (list, tuple)):
        inner = ", ".join(words(v) for v in value)
        return f"[{inner}]" if brackets else (inner or "none")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {words(v)}" for k, v in value.items()) + "}"
    return str(value)


def show(value: Any) -> str:
    """A value in the decision's text report: dates the British way, lists one
    per line unless short words."""
    if value is None:
        return "— (not applicable)"
    if value is UNKNOWN:
        return "not known yet"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _dt.date):
        return long_date(value)
    if isinstance(value, Interval):
        return str(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if all(isinstance(v, str) and " " not in v for v in value):
            return ", ".join(value)
        return "\n" + "\n".join(f"      - {v if isinstance(v, str) else show(v)}" for v in value)
    if value == "":
        return '"" (empty)'
    return str(value)


def for_page(value: Any) -> str:
    """An outcome as a practitioner reads it: dates the British way, words capitalised."""
    if value is None:
        return "Not applicable"
    if value is UNKNOWN:
        return "Not known yet"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, _dt.date):
        return long_date(value)
    if isinstance(value, str) and value and " " not in value:
        return value.replace("_", " ").capitalize()
    return show(value) if not isinstance(value, list) else ", ".join(map(for_page, value)) or "None"


def hashable(value: Any) -> Any:
    """A value usable as a key or set member: a list as a tuple of its items."""
    return tuple(value) if isinstance(value, list) else value


def short_question(question: str) -> str:
    """A question without the explanation after its question mark:
    "What support does the person have?"."""
    head, mark, _ = question.partition("?")
    return head + mark if mark else question

