"""What happens next if nothing changes: the first date each outcome changes by itself.

A decided case changes with time alone only where a rule compares dates:
a due date passes, a month on the tray ends, a retention date arrives. Those
dates come from the case and the rulebook, so the days on which anything can
change are derived, not sampled: every date the evaluation read or produced
and the day after each (a date D is passed from D+1), each shifted forward and
back by every interval the rulebook names, plus or minus a day (calendar
months clamp at month ends), and the rulebook's own dates. The case is
decided again on each such day in order with the engine's own ``run()``, and
the dates each of those decisions produce add their own candidates, so a
change that follows another (a new due date once the last one passes) is
found too. ``tests/engine/test_ahead.py`` checks this against a day-by-day
scan. A rulebook that asks ``is_working_day`` can change on any day, so every
day is tried.
"""
from __future__ import annotations

import datetime as _dt
import heapq
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .candidates import leaves
from .dates import Interval, parse_interval
from .evaluate import HORIZON, MAX_HORIZON, decided_on, run
from .unknown import UNKNOWN
from .values import for_json

if TYPE_CHECKING:
    from .compile import Rulebook

_INTERVAL = re.compile(r"\b(\d{1,4})\s+(working days?|days?|weeks?|months?|years?)\b")
_ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_NUMBER = re.compile(r"(?<![\w.])\d{1,4}(?![\w.])")
_ONE_DAY = _dt.timedelta(days=1)


@dataclass(frozen=True)
class Change:
    """One reported outcome's first change: on ``on`` it ``becomes`` this value."""

    outcome: str
    on: _dt.date
    becomes: Any

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "on": self.on.isoformat(), "becomes": for_json(self.becomes)}


@dataclass(frozen=True)
class Plan:
    """What the rulebook names that can move a date: its intervals and its own dates."""

    intervals: tuple[Interval, ...]
    dates: tuple[_dt.date, ...]
    every_day: bool  # a rule depends on the day itself (is_working_day)
    #: date -> the days it moves to: a caseload repeats the same dates, so each is worked out once.
    moved: dict = field(default_factory=dict, compare=False, repr=False)


def plan(book: Rulebook) -> Plan:
    """Collect, from the rulebook's data (its tests aside), every interval and date it names."""
    texts, dates = [], {book.meta.effective_from, book.meta.review_by}
    for leaf in leaves({k: v for k, v in book.data.items() if k != "tests"}):
        if isinstance(leaf, _dt.date):
            dates.add(leaf if not isinstance(leaf, _dt.datetime) else leaf.date())
        elif isinstance(leaf, str):
            texts.append(leaf)
    intervals = {parse_interval(f"{n} {unit}") for text in texts for n, unit in _INTERVAL.findall(text)}
    if any("days_between" in text for text in texts):  # days_between(x, as_of) > 30 turns at x + 31
        intervals |= {Interval(int(n), "days") for text in texts for n in _NUMBER.findall(text)}
    for text in texts:
        for iso in _ISO.findall(text):
            try:
                dates.add(_dt.date.fromisoformat(iso))
            except ValueError:
                pass  # not a real date: nothing can turn on it
    every_day = any("is_working_day" in text for text in texts)
    return Plan(tuple(sorted(intervals, key=str)), tuple(sorted(dates)), every_day)


def changes_ahead(book: Rulebook, values: dict, as_of: _dt.date, horizon: int = HORIZON, *,
                  skip: Iterable[str] = (), rules: Plan | None = None,
                  decide: Callable[[dict, _dt.date], dict] | None = None) -> list[Change]:
    """The first change of each reported outcome (those in ``skip`` aside) in
    the ``horizon`` days after ``as_of``, if nothing else about the case
    changes, in reported-outcome order. ``values`` are a decision's values
    (its inputs as read and what the rules made of them). ``decide(read,
    day)`` gives the values on another day (by default the engine's own
    ``run()`` on a fresh copy of the inputs as read)."""
    rules = rules or plan(book)
    end = _shift(as_of, _dt.timedelta(days=horizon)) or _dt.date.max
    skipped = set(skip)
    watch = [name for name in book.outcomes if name not in skipped]
    read = {name: values[name] for name in book.inputs if name in values}
    if decide is None:  # a case with unanswered questions is settled again each day, as it was today
        unanswered = any(value is UNKNOWN for value in read.values())
        decide = (lambda now, day: decided_on(book, now, day)) if unanswered else \
            (lambda now, day: _run_on(book, now, day))
    found: dict[str, Change] = {}
    queue = _Days(as_of, end)
    queue.add([_shift(as_of, _ONE_DAY) or as_of])  # an outcome that counts the days turns on the first
    dates = _dates(values)
    queue.add(_candidates(book, dates, rules, as_of, end))
    while queue and len(found) < len(watch):
        day = queue.pop()
        now = decide(read, day)
        for name in watch:
            if name not in found and not _same(now[name], values[name]):
                found[name] = Change(name, day, now[name])
        if not rules.every_day and _dates(now) != dates:  # new dates, new days on which they may turn
            dates = _dates(now)
            queue.add(_candidates(book, dates, rules, day, end))
    return [found[name] for name in watch if name in found]


def _run_on(book: Rulebook, read: dict, day: _dt.date) -> dict:
    now = dict(read)
    run(book, now, day, reasons=False)
    return now


def _dates(values: dict) -> frozenset[_dt.date]:
    """Every date a decision read or produced (``as_of`` aside), in lists too."""
    found = {v for k, v in values.items() if k != "as_of" and isinstance(v, _dt.date)}
    found |= {x for v in values.values() if isinstance(v, (list, tuple)) for x in v if isinstance(x, _dt.date)}
    return frozenset(found)


class _Days:
    """The days still to try, earliest first, each once, within (after, end]."""

    def __init__(self, after: _dt.date, end: _dt.date) -> None:
        self.after, self.end = after, end
        self.heap: list[_dt.date] = []
        self.seen: set[_dt.date] = set()

    def add(self, days: Iterable[_dt.date]) -> None:
        for day in days:
            if self.after < day <= self.end and day not in self.seen:
                self.seen.add(day)
                heapq.heappush(self.heap, day)

    def pop(self) -> _dt.date:
        day = heapq.heappop(self.heap)
        self.after = day  # nothing before the day tried is tried again
        return day

    def __bool__(self) -> bool:
        return bool(self.heap)


def _candidates(book: Rulebook, dates: frozenset, rules: Plan, day: _dt.date, end: _dt.date) -> set[_dt.date]:
    """The days on which something decided on ``day``, with these dates, may turn."""
    if rules.every_day:
        return {d for d in (_shift(day, _dt.timedelta(days=n)) for n in range(1, (end - day).days + 1)) if d}
    seen = dates | set(rules.dates)
    base = seen | {d for d in (_shift(x, _ONE_DAY) for x in seen) if d}
    days: set[_dt.date] = set()
    for start in base:
        days.update(_moved(book, rules, start))
    return days


def _moved(book: Rulebook, rules: Plan, start: _dt.date) -> tuple[_dt.date, ...]:
    """``start``, and ``start`` moved forward and back by every interval, plus or minus a day."""
    hit = rules.moved.get(start)
    if hit is None:
        days = {start}
        for step in rules.intervals:
            for moved in (_add(book, start, step, 1), _add(book, start, step, -1)):
                if moved is not None:
                    days.update(d for d in (_shift(moved, -_ONE_DAY), moved, _shift(moved, _ONE_DAY)) if d)
        if len(rules.moved) >= 100_000:  # bounded, whatever the caseload
            rules.moved.clear()
        hit = rules.moved[start] = tuple(days)
    return hit


def _add(book: Rulebook, start: _dt.date, step: Interval, sign: int) -> _dt.date | None:
    """``start`` moved by ``step`` forward (1) or back (-1), as the rules move dates; None past the calendar."""
    try:
        if step.unit == "working days":
            return book.calendar.add_working_days(start, sign * step.count)
        return book.calendar.add(start, Interval(sign * step.count, step.unit))
    except (OverflowError, ValueError):
        return None


def _shift(day: _dt.date, by: _dt.timedelta) -> _dt.date | None:
    try:
        return day + by
    except OverflowError:
        return None


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (so a count of 1 never equals ``true``)."""
    return type(a) is type(b) and a == b


__all__ = ["Change", "HORIZON", "MAX_HORIZON", "Plan", "changes_ahead", "plan"]
