"""The pre-scan of the plain-CSV lane (``caseload.plain_csv``): is this CSV file *plain*?

A plain file is one the row path (``readers.read_csv``) reads with no judgement at all: every
record is one physical line, its cells are the line split on the separator, and nothing is
noted except the separator. Then DuckDB's own CSV reader, told the separator and the number of
columns, reads exactly the same cells, and the file need not be read line by line in Python.

A file is plain when it is UTF-8 throughout (a UTF-8 byte-order mark allowed at the start), its
header is on line 1 (no Excel ``sep=`` line) and names the rulebook's columns as
``columns.check_columns`` accepts them, and no line holds a quote (``"``), a NUL byte or a
carriage return other than the one before its line feed, is blank (only separators and spaces:
the row path skips and counts it) or is near ``lines.MAX_LINE`` (any line over ``2 * WINDOW``
bytes is taken as too long), and the separators add up to as many cells per row as the header
has (each row's own width is checked again by DuckDB's strict reader). The scan reads the file
in blocks of ``BLOCK`` bytes with C-speed operations only (bytes.count and find, one compiled
regular expression, a decode per block); never a line at a time in Python.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Iterable

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
    """A plain CSV file: its header (cells trimmed, as the row path reads them), separator and rows."""

    header: list[str]
    sep: str
    rows: int


def _blank_line(sep: str) -> re.Pattern:
    """A line of nothing but separators and spaces (a blank row, which the row path skips and counts),
    searched for in the text of whole lines with a line feed put before it (``_has_blank_line``).

    It begins with a literal line feed, so the search jumps from line end to line end; a pattern
    anchored with ``^`` and MULTILINE tries every character, and took 0.85 s a 160 MB file."""
    return re.compile(rf"\n(?:[^\S\n]|{re.escape(sep)})*\n")


def _has_blank_line(text: str, blank: re.Pattern) -> bool:
    """Whether ``text`` (whole lines, each ending in a line feed) holds a blank line (``_blank_line``)."""
    return blank.search("\n" + text) is not None


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
    blank = _blank_line(sep)
    rows = seps = 0
    crlf = 0  # rows ending in CR LF
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
        counted = _check_part(part, sep, blank)
        if counted is None:
            return None
        rows += counted[0]
        seps += counted[1]
        crlf += counted[2]
        if not block:
            break
    if rows == 0 or seps != rows * (len(header) - 1):
        return None
    if crlf != ((rows - (not ended)) if first.endswith(b"\r\n") else 0):
        return None  # lines ending both ways: DuckDB's reader takes one way
    return PlainFile(header, sep, rows)


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


def _check_part(part: bytes, sep: str, blank: re.Pattern) -> tuple[int, int, int] | None:
    """(lines, separators, lines ending in CR LF) in ``part`` (whole lines, ending in a line feed), or
    None if one is not plain."""
    if b'"' in part or b"\0" in part or part.count(b"\r") != part.count(b"\r\n"):
        return None
    for start in range(0, len(part) - 2 * WINDOW, WINDOW):  # a window wholly inside a long line
        if part.find(b"\n", start, start + WINDOW) < 0:
            return None
    try:
        text = part.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _has_blank_line(text, blank):
        return None
    return text.count("\n"), text.count(sep), part.count(b"\r\n")


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
