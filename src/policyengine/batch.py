"""Caseloads: many cases in, one result per case out, in order.

Reads a CSV export, a JSONL file, a folder of YAML/JSON case files or JSONL on
standard input, one record at a time. Every record gives exactly one result:
a decision, or an error naming its row (or file), field and message. Memory is
bounded by the chunk size times the jobs in flight, whatever the caseload.
"""
from __future__ import annotations

import csv
import datetime as _dt
import errno
import re
from array import array
import io
import json
import os
import itertools
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from .errors import CaseError, Location, PolicyEngineError, suggest
from .evaluate import jsonable, provenance, run, warnings
from .load import MAX_FILE_BYTES, YamlError, decode, load_yaml, parse_yaml

#: Records sent to a worker at a time, and chunks in flight per worker: the
#: memory bound is about CHUNK * (IN_FLIGHT * jobs + 1) records.
CHUNK = 500
IN_FLIGHT = 4
#: Longest line accepted in a JSONL file, and longest CSV cell.
MAX_LINE = 1_000_000
csv.field_size_limit(MAX_LINE)


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
def read_records(path: str, book, ignore: Iterable[str] = ()) -> Iterator[Record]:
    """The records of a caseload, checking a CSV header before any row."""
    if path == "-":
        return _jsonl(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig"), "<stdin>")
    if os.path.isdir(path):
        return _folder(path)
    if not os.path.exists(path):
        raise InputError("cannot read the file: No such file or directory", Location(path))
    if path.lower().endswith(".csv"):
        return _csv(path, book, frozenset(ignore))
    if path.lower().endswith((".jsonl", ".ndjson")):
        return _jsonl(open(path, encoding="utf-8-sig", newline=""), path)
    raise InputError("a caseload is a .csv or .jsonl file, a folder of case files, or - for "
                     "JSONL on standard input", Location(path))


def _csv(path: str, book, ignore: frozenset) -> Iterator[Record]:
    return read_csv_stream(open(path, encoding="utf-8-sig", newline=""), path, book, ignore)


def read_csv_stream(fh, name: str, book, ignore: Iterable[str] = ()) -> Iterator[Record]:
    """The records of a CSV caseload from an open text stream (a file, or an
    upload held in memory); the header is checked before any row is read."""
    ignore = frozenset(ignore)
    path = name
    try:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError("the file is empty: a CSV caseload needs a header row", Location(path, 1)) from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"the header row cannot be read: {exc}", Location(path, 1)) from None
        header = [h.strip() for h in header]
        check_columns(header, book, ignore, path)
    except BaseException:
        fh.close()
        raise
    return _csv_rows(fh, reader, header, ignore)


def check_columns(header: list[str], book, ignore: frozenset, path: str) -> None:
    """Refuse unknown or repeated columns before a single row is read."""
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InputError(f"the header repeats {', '.join(f'`{h}`' for h in repeated)}", Location(path, 1))
    unknown = [h for h in header if h not in book.inputs and h not in ignore]
    if unknown:
        hints = [f"`{h}`{suggest(h, book.inputs)}" for h in unknown]
        raise InputError(
            f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; rename "
            f"{'them' if len(unknown) > 1 else 'it'} or skip on purpose with --ignore-column",
            Location(path, 1))


def _csv_rows(fh, reader, header, ignore) -> Iterator[Record]:
    width = len(header)
    keep = [(i, h) for i, h in enumerate(header) if h not in ignore]
    row_number = 1
    with fh:
        while True:
            row_number += 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield Record(f"row {row_number}", None, True, f"the row cannot be read as CSV: {exc}")
                return
            except UnicodeDecodeError:
                yield Record(f"row {row_number}", None, True, "the row is not UTF-8 text")
                return
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank lines are not cases
            if len(row) != width:
                yield Record(f"row {row_number}", _case_id_of(row, header), True,
                             f"the row has {len(row)} cells; the header has {width}")
                continue
            yield Record(f"row {row_number}", {h: row[i] for i, h in keep}, True)


def _case_id_of(row, header):
    try:
        return {"case_id": row[header.index("case_id")]}
    except (ValueError, IndexError):
        return None


def _jsonl(fh, name: str) -> Iterator[Record]:
    with fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            where = f"line {number}"
            if len(line) > MAX_LINE:
                yield Record(where, None, False, f"the line is longer than {MAX_LINE:,} characters")
                continue
            try:
                raw = json.loads(line, parse_constant=_no_constant)
            except (json.JSONDecodeError, ValueError) as exc:
                message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                yield Record(where, None, False, f"not valid JSON: {message}")
                continue
            yield Record(where, raw, False)


def _no_constant(name):
    raise ValueError(f"{name} is not a number a case may hold")


def _folder(path: str) -> Iterator[Record]:
    names = sorted(n for n in os.listdir(path) if n.lower().endswith((".yaml", ".yml", ".json")))
    for name in names:
        full = os.path.join(path, name)
        try:
            raw = load_yaml(full)
        except YamlError as exc:
            yield Record(name, None, False, f"{exc.message} (line {exc.line})" if exc.line else exc.message)
            continue
        yield Record(name, raw, False)


# -- deciding ------------------------------------------------------------------
def decide(book, record: Record, as_of: _dt.date, keep: tuple | None = None) -> Result:
    """One record to one result; never raises for a bad record."""
    raw = record.raw if isinstance(record.raw, dict) else {}
    case_id = raw.get("case_id")
    case_id = str(case_id) if isinstance(case_id, (str, int)) and not isinstance(case_id, bool) else None
    if record.problem:
        return Result(record.where, case_id, None, record.problem)
    try:
        values = book.reader.read(record.raw, Location(None, None, None, record.where), text=record.text)
        run(book, values, as_of, reasons=False)
    except PolicyEngineError as exc:
        return Result(record.where, case_id, None, exc.message, exc.path if exc.path != record.where else None)
    if keep is not None:
        values = {k: values[k] for k in keep}
    return Result(record.where, values["case_id"], values)


_BOOK = None
_FORMATTER = None


def _init_worker(path: str, formatter: "Formatter | None" = None, parent: int | None = None) -> None:
    global _BOOK, _FORMATTER
    from .compile import load_rulebook

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
    """Finds repeated case ids in one pass, in 16 bytes per case.

    Each case's id is kept only as a 64-bit hash beside its row (or line)
    number; repeats are found at the end by sorting. Repeated cases are each
    decided, never merged, and reported by row number (not by id, which the
    report never needs to repeat).
    """

    _NUMBERED = re.compile(r"^(row|line) (\d+)$")

    def __init__(self) -> None:
        self.hashes, self.places = array("q"), array("q")
        self.names: list[str] = []  # places that are file names, not row numbers
        self.kind = "row"

    def add(self, case_id: str | None, where: str) -> None:
        if case_id is None:
            return
        m = self._NUMBERED.match(where)
        if m:
            self.kind = m.group(1)
            place = int(m.group(2))
        else:
            self.names.append(where)
            place = -len(self.names)
        self.hashes.append(hash(case_id))
        self.places.append(place)

    def _where(self, place: int) -> str:
        return f"{self.kind} {place}" if place >= 0 else self.names[-place - 1]

    def report(self) -> list[str]:
        order = sorted(range(len(self.hashes)), key=self.hashes.__getitem__)
        lines = []
        for _, group in itertools.groupby(order, key=self.hashes.__getitem__):
            places = sorted(self.places[i] for i in group)
            if len(places) > 1:
                first = self._where(places[0])
                lines.extend(f"{self._where(p)}: the same case_id as {first} (both decided, not merged)"
                             for p in places[1:])
        return lines


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
        from .spreadsheet import safe_row

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


def error_line(source: str, result: Result) -> str:
    """The one-line report of a record that could not be decided."""
    who = f" (case {result.case_id})" if result.case_id else ""
    return f"{source}: {result.where}{who}: {result.error}"
