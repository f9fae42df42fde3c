"""The pre-scan of the plain-CSV lane (``caseload.plain_csv``): is this CSV file *plain*?

A plain file is one the row path (``readers.read_csv``) reads with no judgement at all: every
record is one physical line, and its cells are the line split on the separator, a cell being
either text with no quote or a well-formed quoted cell (a quote right after the separator or at
the line's start, its quotes doubled, its closing quote right before the separator or the line's
end). Nothing is noted except the separator. Then DuckDB's own CSV reader, told the separator,
the quote and the number of columns, reads exactly the cells Python's csv module reads (which
the row path uses), and the file need not be read line by line in Python.

A file is plain when it is UTF-8 throughout (a UTF-8 byte-order mark allowed at the start), its
header is on line 1 (no Excel ``sep=`` line, no quote) and names the rulebook's columns as
``columns.check_columns`` accepts them, and no line holds a quote other than those of
well-formed quoted cells (so no quoted cell runs over two lines: the row path numbers such a row
by its first line, and notes it), a NUL byte or a carriage return other than the one before its
line feed, is blank (its cells all empty or spaces: the row path skips and counts a blank row;
a line of only quotes, separators and spaces is taken as blank) or is near ``lines.MAX_LINE`` (any
line over ``2 * WINDOW`` bytes is taken as too long), and the separators outside quoted cells add
up to as many cells per row as the header has (each row's own width is checked again by DuckDB's
strict reader, whose refusal sends the file the usual way). The scan reads the file
in blocks of ``BLOCK`` bytes with C-speed operations only (bytes.count and find, compiled
regular expressions, a decode per block); never a line at a time in Python.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Iterable

from . import parquet
from .columns import check_columns
from .lines import MAX_LINE, Line
from .readers import _SEPARATOR_HINT, _check_ignored, _header, _separator
from .records import InputError

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: Bytes read at a time.
BLOCK = 16 * 1024 * 1024
#: Every aligned window of this many bytes must hold a line feed, so no line is over 2 * WINDOW bytes.
WINDOW = 256 * 1024
assert 2 * WINDOW < MAX_LINE  # a line the scan lets through is never one the row path finds too long


@dataclass
class PlainFile:
    """A plain CSV file: its header (cells trimmed, as the row path reads them), separator and rows;
    or a Parquet file (``scan_parquet``): its columns, and the SQL that reads its cells as text."""

    header: list[str]
    sep: str
    rows: int
    quoted: bool = False  # a row holds a quoted cell
    #: A Parquet file's cells as a CSV export's text (``parquet.as_text``), column i as ``c{i}``.
    select: str | None = None

    @property
    def first(self) -> int:
        """The row number of the first record: 2 below a CSV file's header, 1 in a Parquet file."""
        return 2 if self.select is None else 1

    def starts(self, size: int) -> range:
        """The first row number of each block of ``size`` rows, in order."""
        return range(self.first, self.rows + self.first, size)


def scan_parquet(path: str, book: Rulebook, ignore: frozenset) -> PlainFile | None:
    """A Parquet file as the lane reads it: every column but those ignored (its header), each cell the
    text the row path reads (``parquet.as_text``), rows numbered from 1. None where the row path refuses the file
    before any row (its path, columns or their types), so its refusal is the one the user sees, or
    DuckDB cannot read it. Whether a row is blank is checked once the cells are loaded
    (``PlainTable.load``)."""
    try:
        _check_ignored(book, ignore, path)
        con, read, failed = parquet.checked(path, book, ignore)
    except InputError:
        return None
    try:
        rows = con.execute(f"SELECT count(*) FROM {parquet.source(path)}").fetchone()[0]
    except failed:
        return None
    finally:
        con.close()
    cells = ", ".join(parquet.as_text(name, kind, f"c{i}") for i, (name, kind) in enumerate(read))
    return PlainFile([name for name, _ in read], ",", rows, select=f"SELECT {cells} FROM {parquet.source(path)}")


def _quoted_cell(sep: str) -> re.Pattern:
    """A well-formed quoted cell of one line: a quote that opens a cell (after a line feed or the
    separator: a lookbehind after the quote, so a search jumps from quote to quote), text in which
    every quote is doubled, and a quote that closes the cell (before the separator or the line end).
    Python's csv module and DuckDB's reader read such a cell alike: its text, each ``""`` one quote.
    (The text is written ``[^"]*(?:""[^"]*)*`` rather than ``(?:[^"]|"")*``: one step a run, not a
    character; a file quoting every cell scans in a fraction of the time.)"""
    s = re.escape(sep)
    return re.compile(rf'"(?<=[\n{s}]")[^"\r\n]*(?:""[^"\r\n]*)*"(?=[{s}\r\n])')


def _quotes_and_spaces(sep: str) -> re.Pattern:
    """A line of nothing but quotes, separators and spaces, with a quote: every blank row with a quoted
    cell (``""``, ``" "``) is one. Such a line sends the file the usual way (which skips a blank row and
    counts it), whether it is blank or not (``","``): no export writes one for a case."""
    s = re.escape(sep)
    return re.compile(rf'\n(?:[^\S\n]|[{s}"])*"(?:[^\S\n]|[{s}"])*\n')


def _blank_line(sep: str) -> re.Pattern:
    """A line of nothing but separators and spaces (a blank row, which the row path skips and counts),
    searched for in the text of whole lines with a line feed put before it (``_check_part``).

    It begins with a literal line feed, so the search jumps from line end to line end; a pattern
    anchored with ``^`` and MULTILINE tries every character, and took 0.85 s a 160 MB file."""
    return re.compile(rf"\n(?:[^\S\n]|{re.escape(sep)})*\n")


def scan(fh: BinaryIO, book: Rulebook, ignore: frozenset, name: str) -> PlainFile | None:
    """The file's header, separator and rows if it is plain (see the module's doc), else None.

    None also for a file the row path refuses as a whole (no header, unknown columns): that path
    runs instead, and its refusal is the one the user sees."""
    first = fh.readline(WINDOW)
    if not first.endswith(b"\n") or first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    if first.startswith(codecs.BOM_UTF8):
        first = first[3:]
    head = _header_of(first, book, ignore, name)
    if head is None:
        return None
    header, sep = head
    blank, quoted = _blank_line(sep), (_quoted_cell(sep), _quotes_and_spaces(sep))
    rows = seps = 0
    crlf = 0  # rows ending in CR LF
    any_quoted = False
    carry = b""
    ended = True  # the file ends in a line feed
    while True:
        block = fh.read(BLOCK)
        data = carry + block
        if not block:
            if data:  # a last line with no line feed (and no carriage return: the row path would keep it)
                if data.endswith(b"\r"):
                    return None
                data += b"\n"
                ended = False
            else:
                break
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > 2 * WINDOW:
                return None
            carry = data
            continue
        part, carry = data[:cut], data[cut:]
        counted = _check_part(part, sep, blank, quoted)
        if counted is None:
            return None
        rows += counted[0]
        seps += counted[1]
        crlf += counted[2]
        any_quoted = any_quoted or counted[3]
        if not block:
            break
    if rows == 0 or seps != rows * (len(header) - 1):
        return None
    if crlf != ((rows - (not ended)) if first.endswith(b"\r\n") else 0):
        return None  # lines ending both ways: DuckDB's reader takes one way
    return PlainFile(header, sep, rows, any_quoted)


def _header_of(first: bytes, book: Rulebook, ignore: frozenset, name: str) -> tuple[list[str], str] | None:
    """The header's cells and separator, if the first line is a header the row path accepts as plain."""
    if b'"' in first or b"\0" in first:
        return None
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    text = text[:-2] if text.endswith("\r\n") else text[:-1]
    if "\r" in text or not text.strip() or _SEPARATOR_HINT.fullmatch(text.strip()):
        return None
    try:
        _check_ignored(book, ignore, name)
        line = Line(1, text)
        sep = _separator(line, book, ignore)
        header = _header(line, name, sep)
        check_columns(header, book, ignore, name, 1)
    except InputError:  # the row path refuses the file, in its own words
        return None
    return header, sep


def _check_part(part: bytes, sep: str, blank: re.Pattern,
                quoted: tuple[re.Pattern, re.Pattern]) -> tuple[int, int, int, bool] | None:
    """(lines, separators outside quoted cells, lines ending in CR LF, whether a cell is quoted) in
    ``part`` (whole lines, ending in a line feed), or None if one is not plain."""
    if b"\0" in part or part.count(b"\r") != part.count(b"\r\n"):
        return None
    for start in range(0, len(part) - 2 * WINDOW, WINDOW):  # a window wholly inside a long line
        if part.find(b"\n", start, start + WINDOW) < 0:
            return None
    try:
        text = "\n" + part.decode("utf-8")  # (a line feed before the first line, as before every other)
    except UnicodeDecodeError:
        return None
    has_quotes = '"' in text
    if has_quotes:
        cell, maybe_blank = quoted
        if maybe_blank.search(text):
            return None
        text = cell.sub("x", text)  # each well-formed quoted cell a cell that is not blank
        if '"' in text:
            return None  # a quote that is not one of a well-formed cell's
    if blank.search(text):
        return None
    return text.count("\n") - 1, text.count(sep), part.count(b"\r\n"), has_quotes


def distinct_dates_refused(values: Iterable[str]) -> bool:
    """Whether ``columns.check_dates`` would refuse a date column holding these cells (a month-first
    date or a two-digit year): the row path then refuses the file, naming the first such row."""
    from .columns import _SLASH_DATE

    for value in values:
        if "/" not in value:
            continue
        m = _SLASH_DATE.match(value.strip())
        if m and (len(m.group(3)) == 2 or int(m.group(2)) > 12 >= int(m.group(1))):
            return True
    return False
