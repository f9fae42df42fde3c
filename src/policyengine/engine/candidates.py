"""The values an unanswered input could take, as far as the rulebook can tell.

Exact where the domain is finite (a boolean, an enum, a list of an enum's
values); for integers, dates and text, the boundary values the rulebook's own
comparisons, bands, thresholds, cadences and intervals name: any value
between two neighbouring boundaries is decided alike by rules that compare
only with those boundaries. Deciding an output "the same whatever the answer"
over these values is what pending evaluation (``engine.pending``) relies on.
"""
from __future__ import annotations

import datetime as _dt
import itertools
from typing import TYPE_CHECKING, Any, Iterator

from .dates import Interval, parse_interval
from .inputs import Input

if TYPE_CHECKING:
    from .compile import Rulebook

#: Most values of a list input whose every subset is a candidate (2**12 = 4,096).
MAX_LIST_VALUES = 12
#: A text answer unlike every text the rulebook names.
OTHER_TEXT = "(an answer the rulebook does not name)"


def candidates(book: Rulebook, spec: Input, as_of: _dt.date) -> tuple | None:
    """The candidate values of ``spec``, or None when there are too many to try."""
    if spec.type == "boolean":
        return (True, False)
    if spec.type == "enum":
        return tuple(spec.values)
    if spec.type == "list":
        if len(spec.values) > MAX_LIST_VALUES:
            return None
        return tuple(list(c) for n in range(len(spec.values) + 1)
                     for c in itertools.combinations(spec.values, n))
    found = _boundaries(book)
    if spec.type == "integer":
        return _integers(spec, found["integers"] | found["named"].get(spec.name, set()))
    if spec.type == "date":
        return _dates(book, as_of, found["intervals"], found["dates"])
    texts = sorted(v for v in found["named"].get(spec.name, set()) if isinstance(v, str))
    return (*texts, OTHER_TEXT)


def _integers(spec: Input, literals: set) -> tuple:
    low = spec.minimum if spec.minimum is not None else None
    high = spec.maximum if spec.maximum is not None else None
    edges = {v + d for v in literals if isinstance(v, int) and not isinstance(v, bool) for d in (-1, 0, 1)}
    edges |= {e for e in (low, high, 0) if e is not None}
    return tuple(sorted(e for e in edges if (low is None or e >= low) and (high is None or e <= high)))


def _dates(book: Rulebook, as_of: _dt.date, intervals: set, dates: set) -> tuple:
    days = {as_of} | set(dates)
    for interval in intervals:
        for sign in (-1, 1):
            try:
                days.add(book.calendar.add(as_of, Interval(sign * interval.count, interval.unit)))
            except (OverflowError, ValueError):
                continue
    out = set()
    for day in days:
        for d in (-1, 0, 1):
            try:
                out.add(day + _dt.timedelta(days=d))
            except OverflowError:
                continue
    return tuple(sorted(out))


def _boundaries(book: Rulebook) -> dict:
    """Every number, interval and date the rulebook's data names, and the
    constants each name is compared with in its expressions (cached on the book)."""
    cached = getattr(book, "_boundaries", None)
    if cached is not None:
        return cached
    found: dict[str, Any] = {"integers": set(), "intervals": set(), "dates": set(), "named": {}}
    for value in leaves(book.data):
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            found["integers"].add(value)
        elif isinstance(value, _dt.date):
            found["dates"].add(value)
        elif isinstance(value, str):
            found["integers"].update(int(w) for w in value.replace("(", " ").replace(")", " ").split()
                                     if w.lstrip("-").isdecimal() and len(w) < 13)
            try:
                found["intervals"].add(parse_interval(value.strip()))
            except ValueError:
                continue
    for name, literal, _membership in getattr(book, "literals", ()):
        if literal is not None and not isinstance(literal, (list, dict)):
            found["named"].setdefault(name, set()).add(literal)
    book._boundaries = found  # type: ignore[attr-defined]
    return found


def leaves(data: Any) -> Iterator[Any]:
    """Every key and every scalar in rulebook data (mappings and lists walked through)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from leaves(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            yield from leaves(item)
    else:
        yield data


__all__ = ["candidates", "leaves", "MAX_LIST_VALUES", "OTHER_TEXT"]
