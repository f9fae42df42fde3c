"""Reading a caseload: a CSV export, an XLSX workbook, a JSONL file, a Parquet
file, a folder of YAML/JSON case files, or JSONL on standard input, one record
at a time.

Every record is read as it comes (memory stays flat whatever the caseload);
one that cannot be read is a record with a problem, never a stop. A file that
cannot be read at all (no header, unknown columns, month-first dates) is an
``InputError`` before any record is decided.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
import sys
from typing import IO, TYPE_CHECKING, Callable, Iterable, Iterator

from ..engine.load import SURROGATE_PROBLEM, JsonProblem, YamlError, load_case, strict_json
from ..errors import Location, printable
from .blanks import BlankRows
from .columns import MAX_COLUMNS, and_list, check_columns, check_dates, row_name
from .parquet import is_parquet, read_parquet
from .lines import EXCEL_ENCODING, CsvRecords, Decoder, Line, physical_lines, scan_line, split_row
from .records import Caseload, InputError, Record
from .workbook import is_workbook, read_xlsx

if TYPE_CHECKING:
    from ..engine.compile import Rulebook


def open_caseload(book: Rulebook, source: str | bytes | Caseload, *, ignore: Iterable[str] = (),
                  name: str | None = None, sheet: str | None = None) -> Caseload:
    """A caseload from a path (``-`` for JSONL on standard input), from the
    bytes of a CSV or XLSX file held in memory (a web upload, named ``name``:
    an XLSX one by its extension), or one already open. Its header and date
    columns are checked before any row. ``sheet`` names a workbook's sheet
    (default: the first)."""
    if isinstance(source, Caseload):
        return source
    _check_ignored(book, ignore, name or (source if isinstance(source, str) else "<upload>"))
    if sheet is not None and not (is_workbook(name or "") if isinstance(source, (bytes, bytearray))
                                  else is_workbook(os.fspath(source))):
        raise InputError("a sheet is named only for an XLSX caseload", Location(name or os.fspath(source)))
    if isinstance(source, (bytes, bytearray)):
        if is_workbook(name or ""):
            return read_xlsx(bytes(source), name, book, ignore, sheet)
        return read_csv_bytes(bytes(source), name or "<upload>", book, ignore)
    return read_records(os.fspath(source), book, ignore, sheet)


def _check_ignored(book: Rulebook, ignore: Iterable[str], where: str) -> None:
    """A column skipped on purpose is one the rulebook's rules do not read:
    skipping a question they read would decide every case as if nobody had
    answered it. (A question only letters use, such as a name, may be skipped.)"""
    ignore = [name for name in ignore if name in book.inputs]
    read = {dep for el in book.elements for dep in el.deps} if ignore else set()
    asked = [name for name in ignore if name in read]
    if asked:
        what = "are questions" if len(asked) > 1 else "is a question"
        raise InputError(f"{and_list([f'`{n}`' for n in asked])} {what} the rules read, not a column to skip: "
                         "ignoring it would decide every case without its answer; take it out of the columns to "
                         "skip (a column to skip is one the rulebook does not read)", Location(os.fspath(where)))


def read_records(path: str, book: Rulebook, ignore: Iterable[str] = (), sheet: str | None = None) -> Caseload:
    """The records of a caseload, checking a CSV or XLSX header and its date
    columns before any row."""
    if path == "-":
        return Caseload(_jsonl(sys.stdin.buffer, "<stdin>"), name=path)
    if os.path.isdir(path):
        return Caseload(_folder(path), name=path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", Location(path)) from None
    lower = path.lower()
    if lower.endswith(".csv"):
        if not stat.S_ISREG(mode):  # read twice (see read_csv), so not a pipe or a device
            raise InputError("a CSV caseload must be a regular file (not a pipe or a device)", Location(path))
        return read_csv(lambda: open(path, "rb"), path, book, ignore)
    if is_workbook(lower):
        if not stat.S_ISREG(mode):
            raise InputError("an XLSX caseload must be a regular file (not a pipe or a device)", Location(path))
        return read_xlsx(path, path, book, ignore, sheet)
    if lower.endswith(".xls"):
        raise InputError("an .xls workbook (Excel 97-2003) is not read: save it as Excel Workbook (.xlsx) "
                         "or as CSV UTF-8", Location(path))
    if is_parquet(lower):
        if not stat.S_ISREG(mode):
            raise InputError("a Parquet caseload must be a regular file (not a pipe or a device)", Location(path))
        return read_parquet(path, book, ignore)
    if lower.endswith((".jsonl", ".ndjson")):
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise InputError("a JSONL caseload must be a file or a pipe (not a device)", Location(path))
        return Caseload(_jsonl(open(path, "rb"), path), name=path)
    raise InputError("a caseload is a .csv, .xlsx, .jsonl or .parquet file, a folder of case files, or - for "
                     "JSONL on standard input", Location(path))


def read_csv_bytes(raw: bytes, name: str, book: Rulebook, ignore: Iterable[str] = ()) -> Caseload:
    """The records of a CSV caseload held in memory (a web upload)."""
    return read_csv(lambda: io.BytesIO(raw), name, book, ignore)


def read_csv(opener: Callable[[], IO[bytes]], name: str, book: Rulebook, ignore: Iterable[str] = ()) -> Caseload:
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
        sep = _separator(first, book, ignore)
        header = _header(first, name, sep)
        check_columns(header, book, ignore, name, first.number)
        body = CsvRecords(lines, len(header), hidden=first.number - 1, sep=sep)
        blanks = BlankRows()
        check_dates(blanks.skip(body), header, book, ignore, name)
    decoder = Decoder(_fallback_encoding(bytes(survey.sample)) if survey.sample else EXCEL_ENCODING)
    survey.fallback = decoder.fallback
    notes = [note for note in (_separator_note(sep), survey.note(), _multi_line_note(body), blanks.note()) if note]

    def rows() -> Iterator[Record]:
        with opener() as fh:
            lines = physical_lines(fh, decoder)
            for _ in range(first.number):  # the header, and any line above it, read above
                next(lines, None)
            body = CsvRecords(lines, len(header), hidden=first.number - 1, sep=sep)
            yield from _csv_rows(BlankRows().skip(body), header, ignore)

    return Caseload(rows(), notes, name)


#: The separators a CSV caseload may use, by the name a note gives them: Excel
#: writes `;` in locales whose decimal mark is a comma, and "Text (Tab delimited)" tabs.
SEPARATORS = {",": "commas", ";": "semicolons (;)", "\t": "tabs"}


def _separator(line: Line, book: Rulebook, ignore: frozenset) -> str:
    """The separator the header line is written with: the one that splits it
    into the most of the rulebook's column names (a comma on a tie)."""
    if line.text is None:
        return ","
    known = set(book.inputs) | ignore

    def named(sep: str) -> int:
        try:
            return sum(1 for cell in split_row([line.text], sep) if cell.strip() in known)
        except csv.Error:
            return 0

    return max(SEPARATORS, key=named)  # max keeps the first of equals: the comma


def _separator_note(sep: str) -> str | None:
    if sep == ",":
        return None
    return f"the file is separated by {SEPARATORS[sep]}, not commas: read as such"


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
    rows = and_list([row for row, _, _ in body.spans], more)
    lines = and_list([f"{first}–{last}" for _, first, last in body.spans], more)
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


def _header(line: Line, path: str, sep: str = ",") -> list[str]:
    where = Location(path, line.number)
    if line.text is None:
        raise InputError(f"the header row cannot be read: {line.problem}", where)
    if "\r" in line.text:
        raise InputError("the lines end in a carriage return alone (an old Mac format): save the file "
                         "as CSV UTF-8 or CSV (Comma delimited)", where)
    cells, still_open, _ = scan_line(line.text, False, sep)
    if still_open:
        raise InputError("the header row has a quote (\") that is never closed", where)
    if cells > MAX_COLUMNS:
        raise InputError(f"the header has {cells:,} columns; the limit is {MAX_COLUMNS:,}", where)
    return [h.strip() for h in split_row([line.text], sep)]



def _csv_rows(records: CsvRecords, header: list[str], ignore: frozenset) -> Iterator[Record]:
    width = len(header)
    keep = [(i, h) for i, h in enumerate(header) if h not in ignore]
    for number, line, row, problem in records:
        where = row_name(number, line)
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
                yield Record(where, None, False, SURROGATE_PROBLEM)
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
            yield Record(name, None, False, SURROGATE_PROBLEM)
            continue
        yield Record(name, raw, False)

