"""Date arithmetic for cadences: intervals, calendar months and working days.

Intervals are written as a policy owner says them: "14 days", "2 weeks",
"1 month", "12 months", "25 years", "1 working day". Calendar months and years
clamp to the month end (31 January + 1 month = 28 February). Working days are
Monday to Friday less the bank holidays of a UK subdivision, from the
``holidays`` package (England and Wales by default), substitute days included.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

UNITS = {
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
    "working day": "working days",
}
_INTERVAL = re.compile(r"^\s*(\d{1,4})\s+(working days?|days?|weeks?|months?|years?)\s*$")
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_UK = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_UK_SHORT_YEAR = re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}")


@dataclass(frozen=True)
class Interval:
    """A count of days, weeks, calendar months, years or working days."""

    count: int
    unit: str  # one of UNITS' plural values

    def __str__(self) -> str:
        """The interval as a length: "7 days", "1 month"."""
        word = self.unit if self.count != 1 else self.unit[:-1]
        return f"{self.count} {word}"

    def how_often(self) -> str:
        """The interval as a frequency: "monthly", "weekly", "every 2 weeks" (never "every 1 month")."""
        return _ONCE_EVERY[self.unit] if self.count == 1 else f"every {self}"


#: A frequency of one unit, as people say it.
_ONCE_EVERY = {"days": "daily", "weeks": "weekly", "months": "monthly", "years": "yearly",
               "working days": "every working day"}


@lru_cache(maxsize=256)
def parse_interval(text: str) -> Interval:
    """Parse "14 days" or "1 month"; ValueError says what was wrong.

    The message never repeats ``text``: it may be a case's value (a name, a
    diagnosis), so a caller quoting a rulebook's own text adds it itself.
    """
    m = _INTERVAL.match(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(
            "is not an interval; write a whole number and a unit, "
            "e.g. '14 days', '2 weeks', '1 month', '25 years', '1 working day'"
        )
    unit = m.group(2)
    return Interval(int(m.group(1)), unit if unit.endswith("s") else unit + "s")


class Calendar:
    """Working days for one country subdivision (default: England)."""

    def __init__(self, country: str = "GB", subdiv: str | None = "ENG") -> None:
        self.country, self.subdiv = country, subdiv
        self._holidays = holidays.country_holidays(country, subdiv=subdiv)

    def is_working_day(self, day: _dt.date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def add_working_days(self, start: _dt.date, count: int) -> _dt.date:
        day, step = start, (1 if count >= 0 else -1)
        for _ in range(abs(count)):
            day += _dt.timedelta(days=step)
            while not self.is_working_day(day):
                day += _dt.timedelta(days=step)
        return day

    def add(self, start: _dt.date, interval: Interval) -> _dt.date:
        # A caseload repeats the same few hundred dates, so remember the answers.
        return self._add(start, interval)

    @lru_cache(maxsize=8192)  # noqa: B019 - calendars live as long as the process
    def _add(self, start: _dt.date, interval: Interval) -> _dt.date:
        unit, n = interval.unit, interval.count
        if unit == "days":
            return start + _dt.timedelta(days=n)
        if unit == "weeks":
            return start + _dt.timedelta(weeks=n)
        if unit == "months":
            return start + relativedelta(months=n)
        if unit == "years":
            return start + relativedelta(years=n)
        return self.add_working_days(start, n)


@lru_cache(maxsize=32)
def calendar(country: str = "GB", subdiv: str | None = "ENG") -> Calendar:
    return Calendar(country, subdiv)


class ShortYear(ValueError):
    """A day-first date written with a two-digit year (LibreOffice's UK default)."""


class TimeOfDay(ValueError):
    """A date written with a time of day that is not midnight."""


#: A date followed by a time, as spreadsheets write a date-time cell: ``2026-11-01 00:00:00``.
_WITH_TIME = re.compile(r"(.+?)[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?")


def _without_midnight(text: str) -> str:
    """A date-time's date when its time is midnight; TimeOfDay if it is another time."""
    m = _WITH_TIME.fullmatch(text)
    if not m:
        return text
    if any(int(part) for part in m.groups()[1:] if part):
        raise TimeOfDay("holds a time of day as well as a date: write the date alone (a date-time is read "
                        "as its date only when the time is midnight, 00:00)")
    return m.group(1)


def parse_date(value, *, day_first: bool = False) -> _dt.date:
    """A date from a date or an ISO string; UK DD/MM/YYYY only if ``day_first``,
    which also reads a date-time written by a spreadsheet (``2026-11-01
    00:00:00``) as its date when the time is midnight, and refuses another time.

    Raises ValueError with a message fit for the user.
    """
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if day_first:
            text = _without_midnight(text)
        try:
            if _ISO.fullmatch(text):
                return _dt.date.fromisoformat(text)
            m = _UK.fullmatch(text) if day_first else None
            if m:
                return _dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        except ValueError:
            raise ValueError(f"`{text}` is not a real date") from None
        if day_first and _UK_SHORT_YEAR.fullmatch(text):
            raise ShortYear("has a two-digit year: write the year in four digits, DD/MM/YYYY or YYYY-MM-DD")
    form = "YYYY-MM-DD or DD/MM/YYYY" if day_first else "YYYY-MM-DD"
    raise ValueError(f"expected a date written {form}, got `{value}`")


def parse_day_first(text: str) -> _dt.date:
    """A date a person types (``--as-of``): ``22/11/2026``, always day first, or
    ISO ``2026-11-22``. ValueError says what was wrong without repeating ``text``."""
    text = text.strip() if isinstance(text, str) else ""
    if not (_ISO.fullmatch(text) or _UK.fullmatch(text)):
        if _UK_SHORT_YEAR.fullmatch(text):
            raise ShortYear("has a two-digit year: write the year in four digits, DD/MM/YYYY or YYYY-MM-DD")
        raise ValueError("write the date DD/MM/YYYY (day first) or YYYY-MM-DD")
    try:
        return parse_date(text, day_first=True)
    except ValueError:  # 11/22/2026 (month first) or 31/02/2026: its message would repeat the text
        raise ValueError("not a real date; write it DD/MM/YYYY (day first) or YYYY-MM-DD") from None


def long_date(day: _dt.date | None) -> str:
    """The British long form for people: "22 November 2026"."""
    if day is None:
        return ""
    return f"{day.day} {day:%B %Y}"
