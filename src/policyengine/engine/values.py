"""Values in words, for people (the text format of a decision is in ``formats.decision``)."""
from __future__ import annotations

import datetime as _dt
from typing import Any

from .dates import Interval


def words(value: Any, *, brackets: bool = True) -> str:
    """A value in a few words, for diffs, impact reports, labels and the policy
    document: none, yes/no, ISO dates, intervals, and lists as ``[a, b]`` (or
    ``a, b`` in prose, with ``brackets=False``)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        inner = ", ".join(words(v) for v in value)
        return f"[{inner}]" if brackets else (inner or "none")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {words(v)}" for k, v in value.items()) + "}"
    return str(value)


def show(value: Any) -> str:
    if value is None:
        return "— (not applicable)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, Interval):
        return str(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "none"
        if all(isinstance(v, str) and " " not in v for v in value):
            return ", ".join(value)
        return "\n" + "\n".join(f"      - {v}" for v in value)
    if value == "":
        return '"" (empty)'
    return str(value)

