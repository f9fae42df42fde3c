"""What passes between reading, deciding and writing a caseload."""
from __future__ import annotations

from dataclasses import dataclass
import itertools
import os
import re
from typing import Any, Iterable, Iterator

from ..errors import CaseError


class InputError(CaseError):
    """A caseload file that cannot be read at all (not one bad record)."""


class UnknownColumns(InputError):
    """A header naming columns the rulebook does not know. ``skippable`` are those a
    user may choose to skip by name (the web's checkbox): each looks like a column
    name and is no likely misspelling of a field, which is renamed, never skipped."""

    def __init__(self, message: str, location=None, skippable: Iterable[str] = ()) -> None:
        super().__init__(message, location)
        self.skippable = tuple(skippable)

    def __reduce__(self):  # pickled by its parts, not its message alone
        return (type(self), (self.message, self.location, self.skippable))


@dataclass
class Record:
    """One case as read: where it came from and its raw fields."""

    where: str          # "row 5", "line 3" or a file name
    raw: Any
    text: bool          # fields arrive as text (CSV)
    problem: str | None = None  # the record could not even be read


@dataclass
class Result:
    """One record decided: its values, or why it could not be decided."""

    where: str
    case_id: str | None
    values: dict | None
    error: str | None = None
    field: str | None = None
    changes: list | None = None  # the outcomes' first changes ahead, when asked for (the worklist)
    pending: dict | None = None  # each pending reported outcome: the unanswered inputs it waits for


class Caseload:
    """The records of a caseload, read one at a time, with its name in messages
    and notes for the user on how it was read (e.g. that some lines were not
    UTF-8 and were read as Windows-1252)."""

    def __init__(self, records: Iterable[Record], notes: Iterable[str] = (), name: str = "") -> None:
        self._records = iter(records)
        self.notes = list(notes)
        self.name = name

    def __iter__(self) -> Iterator[Record]:
        return self._records

    def __next__(self) -> Record:
        return next(self._records)


def blocks(items: Iterable, size: int) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last perhaps shorter), read as they come."""
    iterator = iter(items)
    while block := list(itertools.islice(iterator, size)):
        yield block


#: Characters DuckDB reads in a path as a pattern: given `a[1].csv`, it reads a1.csv.
_PATTERN = re.compile(r"[*?\[\]{}]")


def duckdb_path(path: str) -> str | None:
    """``path`` as DuckDB must be given it to read that file and no other: absolute (DuckDB reads a
    leading ``~`` as the home folder), or None where it holds a character DuckDB reads as a pattern."""
    return None if _PATTERN.search(path) else os.path.abspath(path)
