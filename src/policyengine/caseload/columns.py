"""A CSV caseload's header and date columns, checked before any row is decided.

A header is refused when it is missing, or names unknown, unnamed or repeated
columns; a date column is refused when it holds month-first dates or
two-digit years. Only cells that look like column names are ever repeated in
a message: a person's name or a diagnosis never is.
"""
from __future__ import annotations

import collections
import re
from typing import TYPE_CHECKING

from ..errors import Location, suggest
from .lines import CsvRecords
from .records import InputError, UnknownColumns

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: Most columns a CSV header may have.
MAX_COLUMNS = 10_000
#: A slash date at the start of a cell, alone or followed by a time (``11/25/2026 00:00``).
_SLASH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}|[0-9]{2})(?=\s|$)", re.ASCII)
#: A header cell that may be repeated in a message: an identifier, never text with spaces.
_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}", re.ASCII)


def check_columns(header: list[str], book: Rulebook, ignore: frozenset, path: str, line: int | None = 1, *,
                  header_row: bool = True) -> None:
    """Refuse a missing header, unknown, unnamed or repeated columns before a
    single row is read. A first row that names none of the rulebook's columns
    is not a header (it is a person's data, or another layout): none of its
    cells is ever repeated. In a real header a cell is shown only if it looks
    like a column name (no spaces): a person's name or a diagnosis never is.
    ``header_row`` is False where the names are a file's schema (Parquet),
    which is never a person's row."""
    where = Location(path, line)
    if len(header) > MAX_COLUMNS:
        raise InputError(f"the header has {len(header):,} columns; the limit is {MAX_COLUMNS:,}", where)
    known = set(book.inputs) | ignore
    if not any(h in known for h in header):
        raise InputError(_no_header(header, book, known), where)
    named = [h for h in header if h]
    unknown_at = [i + 1 for i, h in enumerate(header) if h and h not in known]
    if header_row and 2 * len(unknown_at) > len(named):
        # Mostly cells the rulebook does not know: a person's row in which one
        # value happens to equal a field name (`stage`) looks the same as a header
        # full of strangers, so none of its cells is shown.
        raise InputError(
            f"the first row names only {len(named) - len(unknown_at)} of the rulebook's columns among "
            f"{len(named)} cells, so it may not be a header: if it is, skip the other columns on purpose "
            f"(column{'s' if len(unknown_at) > 1 else ''} {and_list(unknown_at)}) with --ignore-column NAME; "
            "if it is not, add a header row above the cases", where)
    problems = []
    positions = collections.defaultdict(list)
    for i, h in enumerate(header):
        positions[h].append(i + 1)
    repeated = sorted((at for h, at in positions.items() if h and len(at) > 1), key=lambda at: at[0])
    if repeated:
        problems.append(f"the header repeats {', '.join(_repeated(header[at[0] - 1], at) for at in repeated)}")
    unnamed = positions.get("", [])
    if unnamed:
        problems.append(f"column{'s' if len(unnamed) > 1 else ''} {and_list(unnamed)} "
                        f"{'have' if len(unnamed) > 1 else 'has'} no name")
    unknown = [(i, h) for i, h in enumerate(header) if h and h not in known]
    if unknown:
        hints = [_column(h, i) + (suggest(h, book.inputs) if _COLUMN_NAME.fullmatch(h) else "")
                 for i, h in unknown]
        problems.append(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(hints)}")
    if problems:
        verb = " or ".join(v for v, wanted in (("name", unnamed), ("rename", unknown)) if wanted)
        fix = (f"; {verb} {'them' if len(unknown) + len(unnamed) > 1 else 'it'} or skip on purpose with "
               "--ignore-column" if verb else "")
        skippable = [h for _, h in unknown if _COLUMN_NAME.fullmatch(h) and not suggest(h, book.inputs)
                     and not _names_a_field(h, book.inputs)]
        raise UnknownColumns("; ".join(problems) + fix, where, skippable)


def _names_a_field(header: str, fields) -> bool:
    """Whether a column names a field in other words (``LAST_CONTACT``, ``date_of_last_contact``):
    skipped, every case would be decided with that field not recorded."""
    words = "_" + re.sub(r"[^0-9a-z]+", "_", header.casefold()).strip("_") + "_"
    return any(f"_{name.casefold()}_" in words for name in fields)


#: Columns listed when a file's first row names none of them.
_EXPECTED_SHOWN = 5


def _no_header(header: list[str], book: Rulebook, known: set) -> str:
    """Why a first row naming no known column is not a header; none of its cells is shown."""
    for sep, name in (("\t", "tabs"), (";", "semicolons")):
        if any(part.strip().strip('"') in known for cell in header if sep in cell for part in cell.split(sep)):
            return (f"the file is separated by {name}, not commas: save it as CSV UTF-8 or "
                    "CSV (Comma delimited)")
    names = list(book.inputs)
    shown = ", ".join(f"`{n}`" for n in names[:_EXPECTED_SHOWN])
    more = f" and {len(names) - _EXPECTED_SHOWN} more" if len(names) > _EXPECTED_SHOWN else ""
    return ("the header row is missing: the first row must name the columns, such as "
            f"{shown}{more} (the rulebook's fields), and it names none of them; add a header row "
            "above the cases")


def _column(name: str, index: int) -> str:
    """A header cell as a message may show it: its name, or only its position."""
    if _COLUMN_NAME.fullmatch(name):
        return f"`{name}`"
    return f"column {index + 1} (its name is not shown: it does not look like a column name)"


def _repeated(name: str, at: list[int]) -> str:
    if _COLUMN_NAME.fullmatch(name):
        return f"`{name}` (columns {and_list(at)})"
    return f"one name in columns {and_list(at)} (not shown: it does not look like a column name)"


def and_list(items: list, more: int = 0) -> str:
    """``1, 2 and 3``, or ``1, 2, 3 and 4 more``."""
    text = [str(item) for item in items] + ([f"{more:,} more"] if more else [])
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def check_dates(records: CsvRecords, header: list[str], book: Rulebook, ignore: frozenset, path: str) -> None:
    """Refuse a date column holding a month-first date or a two-digit year.

    ``DD/MM/YYYY`` is the only slash form read. A date whose second part is
    over 12 can only be month-first: the column was saved in US order, and its
    other dates (11/02/2026) would be misread, so the whole column is refused
    before any row is decided. ISO dates are never ambiguous.
    """
    columns = [(i, h) for i, h in enumerate(header)
               if h not in ignore and h in book.inputs and book.inputs[h].type == "date"]
    month_first: dict[str, int] = {}
    short_year: dict[str, int] = {}
    for row, line, cells, _ in records:
        if not columns:
            continue  # still read to the end: the survey also finds the lines that are not UTF-8
        if cells is None or len(cells) != len(header):
            continue
        for i, name in columns:
            value = cells[i]
            if "/" not in value:
                continue
            m = _SLASH_DATE.match(value.strip())  # a time after it is evidence of the order too
            if not m:
                continue
            if len(m.group(3)) == 2:
                short_year.setdefault(name, (row, line))
            if int(m.group(2)) > 12 >= int(m.group(1)):
                month_first.setdefault(name, (row, line))
    problems = [(at, f"column `{name}` holds dates written month first (the first at {row_name(*at)}), "
                     "so none of its dates can be trusted: write them DD/MM/YYYY or YYYY-MM-DD")
                for name, at in month_first.items()]
    problems += [(at, f"column `{name}` writes years in two digits (the first at {row_name(*at)}): write "
                      "the year in four digits, DD/MM/YYYY or YYYY-MM-DD")
                 for name, at in short_year.items()]
    if problems:
        problems.sort()
        raise InputError("; ".join(p for _, p in problems) + "; no row was decided",
                         Location(path, problems[0][0][1]))


def row_name(row: int, line: int) -> str:
    """A record as a manager finds it: the spreadsheet's row, and the file's
    line too when a quoted cell over several lines above makes them differ."""
    return f"row {row}" if row == line else f"row {row} (line {line} of the file)"

