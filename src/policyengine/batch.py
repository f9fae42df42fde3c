"""Caseloads: many cases in, one result per case out, in order.

Reads a CSV export, a JSONL file, a folder of YAML/JSON case files or JSONL on
standard input, one record at a time. Every record gives exactly one result:
a decision, or an error naming its row (or file), field and message. Memory is
bounded by the chunk size times the jobs in flight, whatever the caseload.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
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
    fh = open(path, encoding="utf-8-sig", newline="")
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


def _init_worker(path: str) -> None:
    global _BOOK
    from .compile import load_rulebook

    _BOOK = load_rulebook(path)


def _decide_chunk(records: list[Record], as_of: _dt.date, keep: tuple) -> list[Result]:
    return [decide(_BOOK, r, as_of, keep) for r in records]


def decide_all(book, records: Iterable[Record], as_of: _dt.date, *, jobs: int = 1,
               keep: Iterable[str] | None = None) -> Iterator[Result]:
    """Results in input order; with ``jobs`` > 1, across that many processes."""
    keep = tuple(keep) if keep is not None else None
    if jobs <= 1:
        for record in records:
            yield decide(book, record, as_of, keep)
        return
    with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(book.path,)) as pool:
        window: deque = deque()
        for chunk in _chunks(records, CHUNK):
            window.append(pool.submit(_decide_chunk, chunk, as_of, keep))
            if len(window) >= jobs * IN_FLIGHT:
                yield from window.popleft().result()
        while window:
            yield from window.popleft().result()


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# -- writing -------------------------------------------------------------------
class Writer:
    """JSONL or CSV results, to stdout or atomically to a file."""

    def __init__(self, book, as_of: _dt.date, output: str | None, fmt: str) -> None:
        self.book, self.fmt = book, fmt
        self.outcomes = list(book.outcomes)
        self.warnings = warnings(book, as_of)
        self.provenance = provenance(book)
        self.output = output
        if output:
            folder = os.path.dirname(os.path.abspath(output))
            self.tmp = os.path.join(folder, f".{os.path.basename(output)}.{os.getpid()}.tmp")
            self.fh = open(self.tmp, "w", encoding="utf-8", newline="")
        else:
            self.tmp, self.fh = None, sys.stdout
        if fmt == "csv":
            from .spreadsheet import safe_row

            self._safe = safe_row
            self.csv = csv.writer(self.fh, lineterminator="\r\n" if output else "\n")
            self.csv.writerow(self._safe(["case_id", *self.outcomes, "error", "where",
                                          "rulebook_id", "rulebook_version", "rulebook_sha256",
                                          "engine_version"]))

    def write(self, result: Result) -> None:
        if self.fmt == "csv":
            prov = self.provenance
            tail = [prov["rulebook_id"], prov["rulebook_version"], prov["rulebook_sha256"],
                    prov["engine_version"]]
            if result.values is None:
                row = [result.case_id or "", *([""] * len(self.outcomes)), _error_text(result),
                       result.where, *tail]
            else:
                row = [result.case_id, *(csv_cell(result.values[o]) for o in self.outcomes), "",
                       result.where, *tail]
            self.csv.writerow(self._safe(row))
            return
        if result.values is None:
            record = {"case_id": result.case_id, "where": result.where, "field": result.field,
                      "error": result.error}
        else:
            record = {"case_id": result.case_id,
                      "outcomes": {o: jsonable(result.values[o]) for o in self.outcomes},
                      "warnings": self.warnings, "provenance": self.provenance}
        self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")

    def commit(self) -> None:
        if self.tmp:
            self.fh.close()
            os.replace(self.tmp, self.output)
        else:
            self.fh.flush()

    def abort(self) -> None:
        if self.tmp:
            self.fh.close()
            if os.path.exists(self.tmp):
                os.unlink(self.tmp)


def _error_text(result: Result) -> str:
    return f"field `{result.field}`: {result.error}" if result.field and "`" not in result.error else result.error


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ";".join(str(jsonable(v)) for v in value)
    return str(jsonable(value))


def error_line(source: str, result: Result) -> str:
    """The one-line report of a record that could not be decided."""
    who = f" (case {result.case_id})" if result.case_id else ""
    return f"{source}: {result.where}{who}: {result.error}"
