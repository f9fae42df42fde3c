"""The GOV.UK date input: a date as three boxes, day, month and year, read back as a date.

Not the browser's date picker: Chromium shows it as mm/dd/yyyy even with a British
locale, and a UK user on a US-locale browser could swap day and month. Three boxes
cannot be read month-first. A box is named ``<field>-day``, ``<field>-month`` or
``<field>-year``; a date that cannot be is refused at the field, naming the boxes at fault.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

#: The boxes, in the order they are shown.
PARTS = ("day", "month", "year")
#: A date sent whole (not by a browser): ISO alone, which cannot be read month-first.
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)


@dataclass(frozen=True)
class Boxes:
    """What is in the three boxes, as typed."""

    day: str = ""
    month: str = ""
    year: str = ""

    @classmethod
    def sent(cls, form: Any, name: str) -> Boxes:
        """The boxes of ``name`` in a submitted form (``form.get``). A client that is not a
        browser may send the date whole instead, as ISO (2026-11-22), never in slashes:
        it is read into the boxes, so it is checked as they are."""
        if not any(f"{name}-{part}" in form for part in PARTS) and form.get(name):
            whole = str(form.get(name)).strip()
            found = _ISO.fullmatch(whole)
            return cls(found[3], found[2], found[1]) if found else cls(whole, whole, whole)
        return cls(*(str(form.get(f"{name}-{part}") or "").strip() for part in PARTS))

    @classmethod
    def of(cls, value: Any) -> Boxes:
        """The boxes showing a date (or ISO text, as an answer is carried); empty for anything else."""
        if isinstance(value, Boxes):
            return value
        if isinstance(value, str):
            try:
                value = _dt.date.fromisoformat(value)
            except ValueError:
                return cls()
        if isinstance(value, _dt.date):
            return cls(str(value.day), str(value.month), str(value.year))
        return cls()

    def blank(self) -> bool:
        return not (self.day or self.month or self.year)


class DateProblem(ValueError):
    """Why the boxes are not a date; ``parts`` are the boxes at fault."""

    def __init__(self, message: str, parts: tuple[str, ...]) -> None:
        super().__init__(message)
        self.parts = parts


def read(boxes: Boxes, what: str = "The date") -> _dt.date | None:
    """The date in the boxes, None when all three are empty. ``what`` names the date in
    a message ("The date of the decision must include a month")."""
    if boxes.blank():
        return None
    missing = tuple(part for part in PARTS if not getattr(boxes, part))
    if missing:
        raise DateProblem(f"{what} must include a {_words(missing)}", missing)
    # isdecimal, not isdigit: a superscript ² is a digit that int() cannot read
    not_numbers = tuple(part for part in PARTS if not getattr(boxes, part).isdecimal())
    if not_numbers:
        raise DateProblem(f"{what} must be a real date, in numbers", not_numbers)
    if len(boxes.year) != 4:
        raise DateProblem("The year must include 4 numbers", ("year",))
    day, month, year = int(boxes.day), int(boxes.month), int(boxes.year)
    if not 1 <= month <= 12:
        raise DateProblem(f"{what} must be a real date", ("month",))
    if year < 1:
        raise DateProblem(f"{what} must be a real date", ("year",))
    try:
        return _dt.date(year, month, day)
    except ValueError:  # 31 in a 30-day month, or 29 February outside a leap year
        raise DateProblem(f"{what} must be a real date", ("day",)) from None


def at_fault(boxes: Boxes) -> tuple[str, ...]:
    """The boxes to mark beside an error: those at fault, or all three when the date
    itself is refused (missing, or not what the question allows)."""
    try:
        read(boxes)
    except DateProblem as problem:
        return problem.parts
    return PARTS


def _words(parts: tuple[str, ...]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
