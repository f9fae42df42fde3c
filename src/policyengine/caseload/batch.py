"""Caseloads: many cases in, one result per case out, in order.

Reads a CSV export, a JSONL file, a folder of YAML/JSON case files or JSONL on
standard input, one record at a time. Every record gives exactly one result:
a decision, or an error naming its row (or file), field and message. Memory is
bounded by the chunk size times the jobs in flight, whatever the caseload.
"""
from __future__ import annotations

import codecs
import collections
import csv
import datetime as _dt
import errno
import io
import itertools
import json
import os
import re
import stat
import sys
from array import array
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from ..errors import CaseError, EvaluationError, Location, PolicyEngineError, printable, suggest
from ..engine.evaluate import jsonable, provenance, run, warnings
from .lines import EXCEL_ENCODING, MAX_LINE, CsvRecords, Decoder, Line, scan_line, physical_lines, split_row
from ..engine.load import SURROGATE_PROBLEM as _SURROGATE_PROBLEM, JsonProblem, YamlError, load_case, strict_json

#: Records sent to a worker at a time, and chunks in flight per worker: the
#: memory bound is about CHUNK * (IN_FLIGHT * jobs + 1) records.
CHUNK = 500
IN_FLIGHT = 4
csv.field_size_limit(MAX_LINE)  # a multi-line record is read with csv; it is within MAX_LINE


class InputError(CaseError):
    """A caseload file that cannot be read at all (not one bad record)."""


@dataclass
class Record:
    """One case as read: where it came from and its raw fields."""

    where: str          # "row 5", "line 3" or a file name
    raw: Any
    text: bool          # fields arrive as text (CSV)
    problem: str | None = None  # the record could not even be read


@dataclass
class Result:
    where: str
    case_id: str | None
    values: dict | None
    error: str | None = None
    field: str | None = None


# -- reading -------------------------------------------------------------------
#: Most columns a CSV header may have.
MAX_COLUMNS = 10_000
#: A slash date at the start of a cell, alone or followed by a time (``11/25/2026 00:00``).
_SLASH_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}|[0-9]{2})(?=\s|$)", re.ASCII)
#: A header cell that may be repeated in a message: an identifier, never text with spaces.
_COLUMN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}", re.ASCII)


class Caseload:
    """The records of a caseload, and notes for the user on how it was read
    (e.g. that some lines were not UTF-8 and were read as Windows-1252)."""

    def __init__(self, records: Iterable[Record], notes: Iterable[str] = ()) -> None:
        self._records = iter(records)
        self.notes = list(notes)

    def __iter__(self) -> Iterator[Record]:
        return self._records

    def __next__(self) -> Record:
        return next(self._records)


def read_records(path: str, book, ignore: Iterable[str] = ()) -> Caseload:
    """The records of a caseload, checking a CSV header and its date columns
    before any row."""
    if path == "-":
        return Caseload(_jsonl(sys.stdin.buffer, "<stdin>"))
    if os.path.isdir(path):
        return Caseload(_folder(path))
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", Location(path)) from None
    lower = path.lower()
    if lower.endswith(".csv"):
        if not stat.S_ISREG(mode):  # read twice (see read_csv), so not a pipe or a device
            raise InputError("a CSV caseload must be a regular file (not a pipe or a device)", Location(path))
        return read_csv(lambda: open(path, "rb"), path, book, ignore)
    if lower.endswith((".jsonl", ".ndjson")):
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise InputError("a JSONL caseload must be a file or a pipe (not a device)", Location(path))
        return Caseload(_jsonl(open(path, "rb"), path))
    raise InputError("a caseload is a .csv or .jsonl file, a folder of case files, or - for "
                     "JSONL on standard input", Location(path))


def read_csv_bytes(raw: bytes, name: str, book, ignore: Iterable[str] = ()) -> Caseload:
    """The records of a CSV caseload held in memory (a web upload)."""
    return read_csv(lambda: io.BytesIO(raw), name, book, ignore)


def read_csv(opener, name: str, book, ignore: Iterable[str] = ()) -> Caseload:
    """The records of a CSV caseload; ``opener`` opens it as bytes, twice.

    The first pass reads the whole file before any row is decided: it finds
    the lines that are not UTF-8 (to choose the encoding they are read in) and
    checks each date column as a whole, since a column with one month-first
    date may hold others that only look day-first. Both passes stream.
    """
    ignore = frozenset(ignore)
    with opener() as fh:
        if fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise InputError("the file is UTF-16 text (Excel's \"Unicode Text\"): save it as CSV UTF-8 or "
                             "CSV (Comma delimited)", Location(name, 1))
        fh.seek(0)
        survey = Decoder(fallback="latin-1")  # never fails: here only the cells' layout matters
        lines = physical_lines(fh, survey)
        first = _header_line(lines, name)
        header = _header(first, name)
        check_columns(header, book, ignore, name, first.number)
        body = CsvRecords(lines, len(header), hidden=first.number - 1)
        check_dates(body, header, book, ignore, name)
    decoder = Decoder(_fallback_encoding(bytes(survey.sample)) if survey.sample else EXCEL_ENCODING)
    survey.fallback = decoder.fallback
    notes = [note for note in (survey.note(), _multi_line_note(body)) if note]

    def rows() -> Iterator[Record]:
        with opener() as fh:
            lines = physical_lines(fh, decoder)
            for _ in range(first.number):  # the header, and any line above it, read above
                next(lines, None)
            yield from _csv_rows(CsvRecords(lines, len(header), hidden=first.number - 1), header, ignore)

    return Caseload(rows(), notes)


def _multi_line_note(body: CsvRecords) -> str | None:
    """What to tell the user about rows with a quoted cell over several lines.

    CSV cannot tell a notes cell over two lines from a stray quote that joins
    the next row to this one; both are read as a spreadsheet reads them, and
    said, so a row that vanished into another's notes does not pass unseen.
    """
    n = body.multi_line
    if not n:
        return None
    more = n - len(body.spans)
    rows = _and([row for row, _, _ in body.spans], more)
    lines = _and([f"{first}–{last}" for _, first, last in body.spans], more)
    if n == 1:
        return (f"1 row has a quoted cell over several lines, read as one row as a spreadsheet would "
                f"(row {rows}; lines {lines} of the file): check it")
    return (f"{n:,} rows have a quoted cell over several lines, read as one row each as a spreadsheet would "
            f"(rows {rows}; lines {lines} of the file): check them")


#: Excel's first line naming the separator; a spreadsheet does not show it.
_SEPARATOR_HINT = re.compile(r'"?sep=.?"?', re.IGNORECASE)


def _header_line(lines: Iterator[Line], path: str) -> Line:
    """The header's line: the first, or the one after Excel's ``sep=,`` line."""
    line = next(lines, None)
    if line is None:
        raise InputError("the file is empty: a CSV caseload needs a header row", Location(path, 1))
    if line.text is not None and _SEPARATOR_HINT.fullmatch(line.text.strip()):
        line = next(lines, None)
        if line is None:
            raise InputError("the file has no header row: it holds only Excel's sep= line", Location(path, 1))
    if line.text is not None and not line.text.strip():
        if all(later.text is not None and not later.text.strip() for later in lines):
            raise InputError("the file has no header row: it holds only blank lines", Location(path, 1))
        raise InputError("the first row is blank: the header row, naming the columns, must be the first "
                         "row; delete the blank rows above it", Location(path, line.number))
    return line


def _fallback_encoding(sample: bytes) -> str:
    """The encoding to read the lines that are not UTF-8 in.

    Windows-1252 (what Excel writes) if it reads at least half of them: on a few
    lines of names a detector cannot tell the Western code pages apart, and
    guessing Central European for a UK export would silently change letters.
    Otherwise charset-normalizer's choice, if it keeps the ASCII characters
    (commas, quotes, line ends) as they are.
    """
    lines = sample.splitlines()
    readable = sum(1 for line in lines if _decodes(line, EXCEL_ENCODING))
    if 2 * readable >= len(lines):
        return EXCEL_ENCODING
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    ascii_text = b',"\n\r azAZ09'
    if best and not best.encoding.startswith(("utf_16", "utf_32")) and _decodes(ascii_text, best.encoding) \
            and ascii_text.decode(best.encoding) == ascii_text.decode("ascii"):
        return best.encoding
    return EXCEL_ENCODING


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _header(line: Line, path: str) -> list[str]:
    where = Location(path, line.number)
    if line.text is None:
        raise InputError(f"the header row cannot be read: {line.problem}", where)
    if "\r" in line.text:
        raise InputError("the lines end in a carriage return alone (an old Mac format): save the file "
                         "as CSV UTF-8 or CSV (Comma delimited)", where)
    cells, still_open, _ = scan_line(line.text, False)
    if still_open:
        raise InputError("the header row has a quote (\") that is never closed", where)
    if cells > MAX_COLUMNS:
        raise InputError(f"the header has {cells:,} columns; the limit is {MAX_COLUMNS:,}", where)
    return [h.strip() for h in split_row([line.text])]


def check_columns(header: list[str], book, ignore: frozenset, path: str, line: int = 1) -> None:
    """Refuse a missing header, unknown, unnamed or repeated columns before a
    single row is read. A first row that names none of the rulebook's columns
    is not a header (it is a person's data, or another layout): none of its
    cells is ever repeated. In a real header a cell is shown only if it looks
    like a column name (no spaces): a person's name or a diagnosis never is."""
    where = Location(path, line)
    if len(header) > MAX_COLUMNS:
        raise InputError(f"the header has {len(header):,} columns; the limit is {MAX_COLUMNS:,}", where)
    known = set(book.inputs) | ignore
    if not any(h in known for h in header):
        raise InputError(_no_header(header, book, known), where)
    named = [h for h in header if h]
    unknown_at = [i + 1 for i, h in enumerate(header) if h and h not in known]
    if 2 * len(unknown_at) > len(named):
        # Mostly cells the rulebook does not know: a person's row in which one
        # value happens to equal a field name (`stage`) looks the same as a header
        # full of strangers, so none of its cells is shown.
        raise InputError(
            f"the first row names only {len(named) - len(unknown_at)} of the rulebook's columns among "
            f"{len(named)} cells, so it may not be a header: if it is, skip the other columns on purpose "
            f"(column{'s' if len(unknown_at) > 1 else ''} {_and(unknown_at)}) with --ignore-column NAME; "
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
        problems.append(f"column{'s' if len(unnamed) > 1 else ''} {_and(unnamed)} "
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
        raise InputError("; ".join(problems) + fix, where)


#: Columns listed when a file's first row names none of them.
_EXPECTED_SHOWN = 5


def _no_header(header: list[str], book, known: set) -> str:
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
        return f"`{name}` (columns {_and(at)})"
    return f"one name in columns {_and(at)} (not shown: it does not look like a column name)"


def _and(items: list, more: int = 0) -> str:
    """``1, 2 and 3``, or ``1, 2, 3 and 4 more``."""
    text = [str(item) for item in items] + ([f"{more:,} more"] if more else [])
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def check_dates(records: CsvRecords, header: list[str], book, ignore: frozenset, path: str) -> None:
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
    problems = [(at, f"column `{name}` holds dates written month first (the first at {_row_name(*at)}), "
                     "so none of its dates can be trusted: write them DD/MM/YYYY or YYYY-MM-DD")
                for name, at in month_first.items()]
    problems += [(at, f"column `{name}` writes years in two digits (the first at {_row_name(*at)}): write "
                      "the year in four digits, DD/MM/YYYY or YYYY-MM-DD")
                 for name, at in short_year.items()]
    if problems:
        problems.sort()
        raise InputError("; ".join(p for _, p in problems) + "; no row was decided",
                         Location(path, problems[0][0][1]))


def _row_name(row: int, line: int) -> str:
    """A record as a manager finds it: the spreadsheet's row, and the file's
    line too when a quoted cell over several lines above makes them differ."""
    return f"row {row}" if row == line else f"row {row} (line {line} of the file)"


def _csv_rows(records: CsvRecords, header: list[str], ignore: frozenset) -> Iterator[Record]:
    width = len(header)
    keep = [(i, h) for i, h in enumerate(header) if h not in ignore]
    for number, line, row, problem in records:
        where = _row_name(number, line)
        if problem:  # ``row`` holds what could be read of it, if anything
            yield Record(where, _case_id_of(row, header) if row else None, True, problem)
        elif len(row) != width:
            # A row of the wrong width may be the tail of a quoted note cut off by a
            # stray quote (`Smith",x`): a first cell holding a quote is someone's text.
            named = _case_id_of(row, header)
            if named and '"' in named["case_id"]:
                named = None
            yield Record(where, named, True, f"the row has {len(row)} cells; the header has {width}")
        else:
            yield Record(where, {h: row[i] for i, h in keep}, True)


def _case_id_of(row, header):
    try:
        return {"case_id": row[header.index("case_id")]}
    except (ValueError, IndexError):
        return None


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _jsonl(fh, name: str) -> Iterator[Record]:
    with fh:
        for line in physical_lines(fh, Decoder()):
            where = f"line {line.number}"
            if line.text is None:
                yield Record(where, None, False, line.problem)
                continue
            if not line.text.strip():
                continue
            try:
                raw = strict_json(line.text)
            except JsonProblem as exc:
                yield Record(where, None, False, exc.message)
                continue
            if _ESCAPED_SURROGATE.search(line.text) and not _is_text(raw):
                yield Record(where, None, False, _SURROGATE_PROBLEM)
                continue
            yield Record(where, raw, False)


def _is_text(raw) -> bool:
    """Whether every string in ``raw`` can be written out as UTF-8."""
    try:
        json.dumps(raw, ensure_ascii=False, default=str).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        return False
    return True


def _folder(path: str) -> Iterator[Record]:
    names = sorted(n for n in os.listdir(path) if n.lower().endswith((".yaml", ".yml", ".json")))
    for file_name in names:
        full = os.path.join(path, file_name)
        name = printable(file_name)  # a line break in a file name must not forge a line of the report
        try:
            regular = stat.S_ISREG(os.stat(full).st_mode)
        except OSError as exc:
            yield Record(name, None, False, f"cannot read the file: {exc.strerror}")
            continue
        if not regular:  # a FIFO would wait forever for a writer
            yield Record(name, None, False, "not a regular file: only regular files are read")
            continue
        try:
            raw = load_case(full)
        except YamlError as exc:
            yield Record(name, None, False, f"{exc.message} (line {exc.line})" if exc.line else exc.message)
            continue
        if not _is_text(raw):
            yield Record(name, None, False, _SURROGATE_PROBLEM)
            continue
        yield Record(name, raw, False)


# -- deciding ------------------------------------------------------------------
def decide(book, record: Record, as_of: _dt.date, keep: tuple | None = None) -> Result:
    """One record to one result; never raises for a bad record."""
    case_id = book.reader.case_id_of(record.raw)  # None when refused: a refused value is never shown
    if record.problem:
        return Result(record.where, case_id, None, record.problem)
    try:
        values = book.reader.read(record.raw, Location(None, None, None, record.where), text=record.text)
        run(book, values, as_of, reasons=False)
    except PolicyEngineError as exc:
        message = exc.detail if isinstance(exc, EvaluationError) else exc.message  # the result names the case
        return Result(record.where, case_id, None, message, exc.path if exc.path != record.where else None)
    if keep is not None:
        values = {k: values[k] for k in keep}
    return Result(record.where, values["case_id"], values)


_BOOK = None
_FORMATTER = None


def _init_worker(path: str, formatter: "Formatter | None" = None, parent: int | None = None) -> None:
    global _BOOK, _FORMATTER
    from ..engine.pipeline import load_rulebook

    _die_with(parent)
    _BOOK, _FORMATTER = load_rulebook(path), formatter


#: prctl(2) option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int | None) -> None:
    """Make this worker end when ``parent`` does, however it ends (even SIGKILL).

    A pool's workers otherwise outlive a killed parent, holding a caseload in
    memory and the CPU. They take SIGTERM as it comes (not the parent's
    clean-exit handler, which is for the parent's output file).
    """
    import signal

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the parent check below still covers a parent already gone
    if parent is not None and os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)


def _decide_chunk(records: list[Record], as_of: _dt.date, keep: tuple) -> list[Result]:
    return [decide(_BOOK, r, as_of, keep) for r in records]


def _format_chunk(records: list[Record], as_of: _dt.date) -> "Chunk":
    return _FORMATTER.chunk([decide(_BOOK, r, as_of) for r in records])


def _parallel(book, records, jobs, work, args, formatter=None):
    """Apply ``work`` to chunks of records in ``jobs`` processes, in order.

    At most ``jobs * IN_FLIGHT`` chunks are in flight, so memory stays flat
    however long the input is.
    """
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(book.path, formatter, os.getpid())) as pool:
        window: deque = deque()
        for chunk in _chunks(records, CHUNK):
            window.append(pool.submit(work, chunk, *args))
            if len(window) >= jobs * IN_FLIGHT:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def decide_all(book, records: Iterable[Record], as_of: _dt.date, *, jobs: int = 1,
               keep: Iterable[str] | None = None) -> Iterator[Result]:
    """Results in input order; with ``jobs`` > 1, across that many processes."""
    keep = tuple(keep) if keep is not None else None
    if jobs <= 1:
        for record in records:
            yield decide(book, record, as_of, keep)
        return
    for results in _parallel(book, records, jobs, _decide_chunk, (as_of, keep)):
        yield from results


def format_all(book, records: Iterable[Record], as_of: _dt.date, formatter: "Formatter", *,
               jobs: int = 1) -> Iterator["Chunk"]:
    """Formatted output in input order, a chunk at a time (the ``batch`` path)."""
    if jobs <= 1:
        for chunk in _chunks(records, CHUNK):
            yield formatter.chunk([decide(book, r, as_of) for r in chunk])
        return
    yield from _parallel(book, records, jobs, _format_chunk, (as_of,), formatter)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# -- duplicates ----------------------------------------------------------------
class Duplicates:
    """Finds repeated case ids in one pass, in 20 bytes per case.

    Each case's id is kept only as a 64-bit hash beside its row (or line)
    number and its source; repeats are found at the end by sorting. Ids are
    compared ignoring case and spaces at either end (``"CASE-1 "`` and
    ``case-1`` are one case to a person reading the export). Repeated cases
    are each decided, never merged, and reported by row number (not by id,
    which the report never needs to repeat). With several caseloads (``impact``)
    each place is named with its source, and repeats across them are found too.
    """

    _NUMBERED = re.compile(r"^(row|line) (\d+)(?: \(line \d+ of the file\))?$")

    def __init__(self) -> None:
        self.hashes, self.places, self.origins = array("q"), array("q"), array("i")
        self.names: list[str] = []  # places that are file names, not row numbers
        self.sources: list[list[str]] = []  # [name, "row" or "line"] of each source, in order

    def add(self, case_id: str | None, where: str, source: str = "") -> None:
        if case_id is None:
            return
        if not self.sources or self.sources[-1][0] != source:  # sources come one after another
            self.sources.append([source, "row"])
        m = self._NUMBERED.match(where)
        if m:
            self.sources[-1][1] = m.group(1)
            place = int(m.group(2))
        else:
            self.names.append(where)
            place = -len(self.names)
        self.hashes.append(hash(case_id.strip().casefold()))
        self.places.append(place)
        self.origins.append(len(self.sources) - 1)

    def _where(self, i: int) -> str:
        source, kind = self.sources[self.origins[i]]
        place = self.places[i]
        where = f"{kind} {place}" if place >= 0 else self.names[-place - 1]
        return f"{source} {where}" if source else where

    #: Buckets the cases are split into by their hash before sorting: sorting a
    #: million cases at once held a Python list of a million indexes and keys
    #: (over 100 MB at the end of a run); a bucket holds a 256th of them.
    BUCKETS = 256

    def report(self) -> list[str]:
        hashes = self.hashes
        buckets = [array("i") for _ in range(self.BUCKETS)]
        for i, h in enumerate(hashes):
            buckets[h & (self.BUCKETS - 1)].append(i)
        repeats = []  # (a repeat, the first with its id), as indexes in reading order
        for bucket in buckets:
            order = sorted(bucket, key=hashes.__getitem__)
            for _, group in itertools.groupby(order, key=hashes.__getitem__):
                found = sorted(group)
                repeats.extend((i, found[0]) for i in found[1:])
        repeats.sort()  # in the order the repeats were read, not the hashes' order
        return [f"{self._where(i)}: the same case_id as {self._where(first)}, ignoring case and spaces at "
                "either end (each kept as its own case, not merged)" for i, first in repeats]


# -- writing -------------------------------------------------------------------
@dataclass
class Chunk:
    """Formatted output for some records, and what the summary needs of them."""

    text: str
    decided: int
    errors: list  # Result for each record that could not be decided
    ids: list     # (case_id, where) of every record, for finding repeats


class Formatter:
    """Turns results into JSONL lines or CSV rows; picklable, so workers format."""

    def __init__(self, book, as_of: _dt.date, fmt: str) -> None:
        self.fmt = fmt
        self.outcomes = list(book.outcomes)
        self.warnings = warnings(book, as_of)
        self.provenance = provenance(book)
        prov = self.provenance
        self.tail = [prov["rulebook_id"], prov["rulebook_version"], prov["rulebook_sha256"],
                     prov["engine_version"]]

    def header(self) -> str:
        if self.fmt != "csv":
            return ""
        return self._csv([["case_id", *self.outcomes, "error", "where", "rulebook_id",
                           "rulebook_version", "rulebook_sha256", "engine_version"]])

    def chunk(self, results: list[Result]) -> Chunk:
        errors = [r for r in results if r.values is None]
        if self.fmt == "csv":
            text = self._csv(self._row(r) for r in results)
        else:
            text = "".join(json.dumps(self._record(r), ensure_ascii=False, allow_nan=False) + "\n" for r in results)
        return Chunk(text, len(results) - len(errors), errors, [(r.case_id, r.where) for r in results])

    def _row(self, result: Result) -> list:
        if result.values is None:
            return [result.case_id or "", *([""] * len(self.outcomes)), _error_text(result),
                    result.where, *self.tail]
        v = result.values
        return [result.case_id, *(csv_cell(v[o]) for o in self.outcomes), "", result.where, *self.tail]

    def _record(self, result: Result) -> dict:
        if result.values is None:
            return {"case_id": result.case_id, "where": result.where, "field": result.field,
                    "error": result.error}
        v = result.values
        return {"case_id": result.case_id, "outcomes": {o: jsonable(v[o]) for o in self.outcomes},
                "warnings": self.warnings, "provenance": self.provenance}

    @staticmethod
    def _csv(rows) -> str:
        from ..formats.spreadsheet import safe_row

        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(safe_row(row) for row in rows)
        return buffer.getvalue()


class AtomicOutput:
    """Standard output, or a file that appears whole or not at all.

    The file is written nameless where Linux allows it (``O_TMPFILE``: it
    vanishes with the process, even one killed with SIGKILL) and given its name
    only when every record has been written; elsewhere it is written under a
    hidden temporary name and renamed into place. Any failure to write (a full
    disk, a missing folder) is a clean ``InputError`` and leaves nothing behind.
    With ``exclusive`` an existing file is never replaced.
    """

    def __init__(self, path: str | None, *, exclusive: bool = False) -> None:
        self.path, self.exclusive = path, exclusive
        self.tmp: str | None = None   # the temporary name, when the file has one
        self.fd: int | None = None    # the nameless file, until it is linked
        if not path:
            self.fh = sys.stdout
            return
        folder = os.path.dirname(os.path.abspath(path))
        try:
            self.fd = _nameless(folder)
            if self.fd is None:
                self.tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
                self.fh = open(self.tmp, "w", encoding="utf-8", newline="")
            else:
                self.fh = open(self.fd, "w", encoding="utf-8", newline="", closefd=False)
        except OSError as exc:
            self._discard()
            raise self._cannot(exc) from None

    @classmethod
    def write_all(cls, path: str | None, text: str, *, exclusive: bool = False) -> None:
        """Write ``text`` to ``path`` atomically (or to stdout when there is none)."""
        out = cls(path, exclusive=exclusive)
        try:
            out.write(text)
            out.commit()
        except BaseException:
            out.abort()
            raise

    def write(self, text: str) -> None:
        try:
            self.fh.write(text)
        except OSError as exc:
            self.abort()
            if not self.path:
                raise  # stdout: the caller reports it (and stops Python retrying at exit)
            raise self._cannot(exc) from None

    def commit(self) -> None:
        try:
            self.fh.flush()
            if self.path:
                os.fsync(self.fh.fileno())
                self.fh.close()
                self._name()
        except OSError as exc:
            self.abort()
            if not self.path:
                raise
            raise self._cannot(exc) from None
        self._discard()

    def abort(self) -> None:
        if self.path:
            try:
                self.fh.close()
            except (OSError, AttributeError):
                pass  # a full disk fails the close too; the file is discarded anyway
        self._discard()

    def _name(self) -> None:
        """Give the finished file its name: replace the old one, or refuse to."""
        if self.fd is not None:  # link the nameless file under a temporary name first
            self.tmp = os.path.join(os.path.dirname(os.path.abspath(self.path)),
                                    f".{os.path.basename(self.path)}.{os.getpid()}.tmp")
            if self.exclusive:
                _link_nameless(self.fd, self.path)
                self.tmp = None
                return
            _link_nameless(self.fd, self.tmp)
        if self.exclusive:
            os.link(self.tmp, self.path)
        else:
            os.replace(self.tmp, self.path)
            self.tmp = None

    def _discard(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.tmp:
            try:
                os.unlink(self.tmp)
            except FileNotFoundError:
                pass
            self.tmp = None

    def _cannot(self, exc: OSError) -> InputError:
        if isinstance(exc, FileExistsError) and self.exclusive:
            return InputError("the file already exists; it will not be overwritten", Location(self.path))
        return InputError(f"cannot write the file: {exc.strerror or type(exc).__name__}", Location(self.path))


def _link_nameless(fd: int, path: str) -> None:
    """Name a nameless file: linkat through /proc following the link, which,
    unlike AT_EMPTY_PATH, needs no privilege. (A dir_fd makes Python use linkat.)"""
    procfd = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(str(fd), os.path.abspath(path), src_dir_fd=procfd, follow_symlinks=True)
    finally:
        os.close(procfd)


def _nameless(folder: str) -> int | None:
    """A nameless file in ``folder`` that can later be linked by name; None where
    the system or file system cannot make one (then a temporary name is used)."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, 0o666)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _error_text(result: Result) -> str:
    return f"field `{result.field}`: {result.error}" if result.field and "`" not in result.error else result.error


_CELL = {
    type(None): lambda v: "",
    bool: lambda v: "true" if v else "false",
    str: lambda v: v,
    list: lambda v: ";".join(str(jsonable(x)) for x in v),
    _dt.date: _dt.date.isoformat,
}


def csv_cell(value: Any) -> str:
    """A value as one CSV cell: lists joined with `;`, dates ISO, booleans true/false."""
    convert = _CELL.get(type(value))
    return convert(value) if convert else str(jsonable(value))


def writes_over_input(input_path: str, output: str | None) -> bool:
    """Whether ``output`` is the caseload itself (by its real path, so
    ``./in.csv``, a symbolic link or a hard link to it count too)."""
    if not output or input_path == "-":
        return False
    try:
        return os.path.samefile(input_path, output)
    except OSError:  # the output does not exist yet
        return os.path.realpath(input_path) == os.path.realpath(output)


def error_line(source: str, result: Result) -> str:
    """The one-line report of a record that could not be decided."""
    who = f" (case {result.case_id})" if result.case_id else ""
    return f"{source}: {result.where}{who}: {result.error}"
