"""Caseload files line by line: every physical line numbered and accounted for.

A caseload is read as bytes, one physical line at a time, each line cut off at
a fixed length while it is read (so a 3 GB line, or an endless one, never sits
in memory). Each line is decoded on its own: UTF-8 first, then the file's
fallback encoding (Excel's "CSV (Comma delimited)" is Windows-1252), so a byte
that cannot be decoded is an error for its own line only.

CSV records are assembled from these lines here rather than by the csv module
alone, because the csv module cannot recover from a quote that is never
closed: it reads on to the end of the file and every later row is lost. A
quoted cell may run over several lines (free-text notes do), but one that
runs to the end of the file, or over a line that is a row by itself (as many
cells as the header), is a broken quote: that one row is an error and reading starts again on the
next line. A record is named by its spreadsheet row (a quoted cell over
several lines is one row, and Excel's ``sep=,`` line is not shown), and by the
file's line it starts on too where the two differ. Records over several lines
are counted, so the user can be told of them: CSV cannot tell a notes cell
over two lines from a stray quote that joins the next row to this one.
"""
from __future__ import annotations

import codecs
import csv
import re
import threading
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Iterator

#: Longest line (and longest CSV record, multi-line cells included) read, in characters.
MAX_LINE = 1_000_000
#: A UTF-8 character is at most 4 bytes: a line longer than this is too long in any encoding.
_MAX_LINE_BYTES = 4 * MAX_LINE
#: What Excel's "CSV (Comma delimited)" writes on a UK or US Windows machine.
EXCEL_ENCODING = "cp1252"
#: Bytes of lines that are not UTF-8 kept for the encoding detector.
SAMPLE_BYTES = 64 * 1024
ENCODING_NAMES = {"cp1252": "Windows-1252 (cp1252)"}
#: Multi-line records whose rows and lines a note lists (the rest are counted).
SPANS_KEPT = 5

TOO_LONG = f"the line is longer than {MAX_LINE:,} characters"
BROKEN_QUOTE = ("a quote (\") opens a cell that is never closed; this row is not read, "
                "and the lines after it are read as rows of their own")


@dataclass(slots=True)
class Line:
    """One physical line: its number, text (None if unreadable) and why not."""

    number: int
    text: str | None
    problem: str | None = None
    before: int = 0  # characters in the file before this line (for record lengths)
    fresh: tuple | None = None  # scan_line(text, in_quote=False), cached
    cont: tuple | None = None   # scan_line(text, in_quote=True), cached


class Decoder:
    """UTF-8, or the fallback encoding for a line that is not UTF-8."""

    def __init__(self, fallback: str | None = None) -> None:
        self.fallback = fallback
        self.fallback_lines = 0
        self.first_fallback: int | None = None
        self.sample = bytearray()  # the first lines that are not UTF-8, for the encoding detector

    def decode(self, raw: bytes, number: int) -> tuple[str | None, str | None]:
        try:
            return raw.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            first_bad = exc.start
        if self.fallback:
            try:
                text = raw.decode(self.fallback)
            except UnicodeDecodeError as exc:
                return None, (f"the line is not text in UTF-8 or {_name(self.fallback)} "
                              f"(byte 0x{raw[exc.start]:02x} at position {exc.start + 1})")
            self.fallback_lines += 1
            self.first_fallback = self.first_fallback or number
            if len(self.sample) < SAMPLE_BYTES:
                self.sample += raw[: SAMPLE_BYTES - len(self.sample)] + b"\n"
            return text, None
        return None, f"the line is not UTF-8 text (byte 0x{raw[first_bad]:02x} at position {first_bad + 1})"

    def note(self) -> str | None:
        """What to tell the user when some lines were not UTF-8."""
        if not self.fallback_lines:
            return None
        n = self.fallback_lines
        return (f"{n:,} line{'s' if n != 1 else ''} (the first is line {self.first_fallback}) "
                f"{'are' if n != 1 else 'is'} not UTF-8: read as {_name(self.fallback)}")


def _name(encoding: str) -> str:
    return ENCODING_NAMES.get(encoding, encoding)


def physical_lines(fh: BinaryIO, decoder: Decoder) -> Iterator[Line]:
    """Every line of a binary stream, numbered from 1, without its line ending.

    A line longer than the limit is skipped in bounded pieces and given as an
    unreadable line; nothing is ever held beyond the limit.
    """
    number = chars = 0
    while True:
        raw = fh.readline(_MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > _MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while True:  # skip the rest of the line, a bounded piece at a time
                more = fh.readline(_MAX_LINE_BYTES)
                if not more or more.endswith(b"\n"):
                    break
            yield Line(number, None, TOO_LONG, chars)
            continue
        if raw.endswith(b"\n"):
            raw = raw[:-1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[3:]
        text, problem = decoder.decode(raw, number)
        if text is not None and len(text) > MAX_LINE:
            text, problem = None, TOO_LONG
        yield Line(number, text, problem, chars)
        chars += len(text) + 1 if text is not None else 1


# -- CSV records from lines ------------------------------------------------------
_QUOTED = re.compile(r'[^"]*(?:""[^"]*)*')


def scan_line(text: str, in_quote: bool, sep: str = ",") -> tuple[int, bool, bool]:
    """(cells, ends inside a quoted cell, well formed) for one line, read as the
    csv module reads it (excel dialect, cells separated by ``sep``), starting
    inside a quoted cell or not.

    Well formed means no text follows a closing quote (csv keeps such text, but
    then the quote did not really close a cell)."""
    if not in_quote and '"' not in text:
        return text.count(sep) + 1, False, True
    cells, pos, end, clean = 1, 0, len(text), True
    while True:
        if in_quote or (pos < end and text[pos] == '"'):
            pos = _QUOTED.match(text, pos if in_quote else pos + 1).end()
            if pos >= end:
                return cells, True, clean
            pos += 1  # the closing quote
            in_quote = False
            if pos < end and text[pos] != sep:
                clean = False
        comma = text.find(sep, pos)
        if comma < 0:
            return cells, False, clean
        cells += 1
        pos = comma + 1


def _fresh(line: Line, sep: str) -> tuple:
    if line.fresh is None:
        line.fresh = scan_line(line.text, False, sep)
    return line.fresh


def _cont(line: Line, sep: str) -> tuple:
    if line.cont is None:
        line.cont = scan_line(line.text, True, sep)
    return line.cont


def split_row(texts: list[str], sep: str = ",") -> list[str]:
    """The cells of one record made of these physical lines."""
    if len(texts) == 1:
        text = texts[0]
        if '"' not in text and "\r" not in text:
            return text.split(sep)
    lines = [t + "\n" for t in texts]
    try:
        return next(csv.reader(lines, delimiter=sep))
    except csv.Error:
        if sum(map(len, lines)) <= csv.field_size_limit():
            raise  # not a cell over csv's limit: the row itself is broken
        with _field_limit(MAX_LINE):
            return next(csv.reader(lines, delimiter=sep))


_LIMIT_LOCK = threading.Lock()


@contextmanager
def _field_limit(limit: int) -> Iterator[None]:
    """csv's field size limit raised to ``limit`` while one record is read.

    The limit is the csv module's, for the whole process: it is raised only
    around a record whose cell is over it (a long note, within MAX_LINE), and
    put back at once, so importing or running the engine never changes it
    for the host program.
    """
    with _LIMIT_LOCK:
        before = csv.field_size_limit(max(limit, csv.field_size_limit()))
        try:
            yield
        finally:
            csv.field_size_limit(before)


class CsvRecords:
    """The records of a CSV body as (row, line, cells, problem): ``row`` is the
    spreadsheet's row number, ``line`` the file's line the record starts on
    (they differ after a quoted cell that runs over several lines, which a
    spreadsheet shows as one row). For a record that cannot be read, the cells
    are those before the problem, or None.

    ``width`` is the header's number of cells: a line with that many cells
    is a row of its own, and an open quote cannot run over it. ``hidden`` is
    the number of lines above the header a spreadsheet does not show.
    Lines read ahead while a quoted cell is open are kept (at most about
    MAX_LINE characters of them) so that reading can start again after a
    broken quote; ``frontier`` remembers how far the lines ahead are known to
    stay inside the quote, so no line is scanned twice.
    """

    def __init__(self, lines: Iterator[Line], width: int, hidden: int = 0, sep: str = ",") -> None:
        self.lines, self.width, self.sep = lines, width, sep
        self.pending: deque[Line] = deque()
        self.frontier = 0  # pending lines before this one stay inside a quote and are not rows
        self.exhausted = False
        # lines a spreadsheet does not show as rows of their own (joined into
        # the rows before, or above the header): line - folded is its row
        self.folded = hidden
        self.multi_line = 0  # records whose quoted cell runs over several lines
        self.spans: list[tuple[int, int, int]] = []  # (row, first line, last line) of the first SPANS_KEPT

    def __iter__(self) -> Iterator[tuple[int, int, list[str] | None, str | None]]:
        while True:
            line = self.pending.popleft() if self.pending else next(self.lines, None)
            if line is None:
                return
            if line.text is None:
                yield line.number - self.folded, line.number, None, line.problem
                continue
            cells, open_, _ = _fresh(line, self.sep)
            if not open_:
                # a blank line is a row with no cells: not a case, but counted (see BlankRows)
                yield self._row([line]) if line.text.strip() else (line.number - self.folded, line.number, [], None)
                continue
            yield self._multi(line, cells)

    def _row(self, lines: list[Line]):
        number = lines[0].number
        row = number - self.folded
        self.folded += len(lines) - 1
        if len(lines) > 1:
            self.multi_line += 1
            if len(self.spans) < SPANS_KEPT:
                self.spans.append((row, number, lines[-1].number))
        try:
            return row, number, split_row([l.text for l in lines], self.sep), None
        except csv.Error:
            return row, number, None, "the row cannot be read as CSV"

    def _ahead(self, i: int) -> Line | None:
        """The i-th line after the current one (0-based), reading it if need be."""
        while len(self.pending) <= i:
            if self.exhausted:
                return None
            line = next(self.lines, None)
            if line is None:
                self.exhausted = True
                return None
            self.pending.append(line)
        return self.pending[i]

    def _broken(self, start: Line, stop: int):
        """The record at ``start`` is a broken quote; lines before ``stop`` are
        known to stay inside a quote (so a later start may skip them)."""
        self.frontier = stop
        try:  # the cells before the open one, for the case_id
            cells = split_row([start.text], self.sep)[:-1]
        except csv.Error:
            cells = None
        return start.number - self.folded, start.number, cells, BROKEN_QUOTE

    def _multi(self, start: Line, start_cells: int):
        """A record whose quoted cell continues past the end of line ``start``.

        It ends on the first line that closes the quote, if the record then has
        the header's width and nothing follows the closing quote in its cell.
        Otherwise it is a broken quote: the file ends first, a line it would
        run over (or end on) has as many cells as the header when read by
        itself (its quotes may open a cell of its own), the record has the
        wrong width or text after its closing quote, or it grows past MAX_LINE.
        (So a multi-line first column is not read: that is the case_id.)
        """
        first = self.pending[0].number if self.pending else None
        i = max(0, self.frontier - first) if first is not None else 0
        while True:
            line = self._ahead(i)
            if line is None:  # the end of the file: every line ahead stays inside the quote
                return self._broken(start, self.pending[-1].number + 1 if self.pending else 0)
            if line.text is None or line.before + len(line.text) + 1 - start.before > MAX_LINE:
                return self._broken(start, line.number)
            if _fresh(line, self.sep)[0] == self.width:  # as many cells as the header: a row of its own
                return self._broken(start, line.number)
            cells, still_open, clean = _cont(line, self.sep)
            if still_open:
                i += 1
                continue
            if not clean or start_cells + cells - 1 != self.width:
                return self._broken(start, line.number)
            lines = [start] + [self.pending.popleft() for _ in range(i + 1)]
            return self._row(lines)
