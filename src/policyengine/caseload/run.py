"""Deciding a caseload: many cases in, one result per case out, in order.

Every record gives exactly one result: a decision, or an error naming its row
(or file), field and message. With ``jobs`` > 1 the records are decided in
that many processes; memory is bounded by the chunk size times the jobs in
flight, whatever the caseload. ``run_caseload`` is the whole run behind
``policyengine batch``: read, decide, write, count.
"""
from __future__ import annotations

import datetime as _dt
import io
import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import IO, TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..engine.ahead import Plan, changes_ahead, plan
from ..engine.evaluate import run_case
from ..engine.pipeline import blueprint, rebuild
from ..errors import EvaluationError, Location, PolicyEngineError
from ..formats.atomic import AtomicOutput
from ..formats.workbook import WorkbookOutput
from .columnar import check_engine, format_columnar, large_file
from .output import Chunk, Formatter
from .plain_csv import plain_lane
from .readers import open_caseload
from .records import Caseload, InputError, Record, Result, blocks
from .summary import MAX_ERRORS, CaseloadSummary

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: Records sent to a worker at a time, and chunks in flight per worker: the
#: memory bound is about CHUNK * (IN_FLIGHT * jobs + 1) records.
CHUNK = 500
IN_FLIGHT = 4


def decide(book: Rulebook, record: Record, as_of: _dt.date, keep: tuple | None = None,
           ahead: tuple[int, Plan] | None = None) -> Result:
    """One record to one result; never raises for a bad record. With ``ahead``
    (days, the rulebook's plan), the result also says what changes within those days."""
    case_id = book.reader.case_id_of(record.raw)  # None when refused: a refused value is never shown
    if record.problem:
        return Result(record.where, case_id, None, record.problem)
    try:
        values = book.reader.read(record.raw, Location(None, None, None, record.where), text=record.text)
        _, needs = run_case(book, values, as_of, reasons=False)
        changes = changes_ahead(book, values, as_of, ahead[0], rules=ahead[1], skip=tuple(needs)) if ahead else None
    except PolicyEngineError as exc:
        message = exc.detail if isinstance(exc, EvaluationError) else exc.message  # the result names the case
        return Result(record.where, case_id, None, message, exc.path if exc.path != record.where else None)
    pending = {o: needs[o] for o in book.outcomes if o in needs} if needs else None
    if keep is not None:
        values = {k: values[k] for k in keep}
    return Result(record.where, values["case_id"], values, changes=changes, pending=pending)


def decide_all(book: Rulebook, records: Iterable[Record], as_of: _dt.date, *, jobs: int = 1,
               keep: Iterable[str] | None = None, ahead: int = 0) -> Iterator[Result]:
    """Results in input order; with ``jobs`` > 1, across that many processes.
    With ``ahead`` days, each result also holds what changes within them."""
    keep = tuple(keep) if keep is not None else None
    if jobs <= 1:
        looking = (ahead, plan(book)) if ahead else None
        for record in records:
            yield decide(book, record, as_of, keep, looking)
        return
    for results in _parallel(book, records, jobs, _decide_chunk, (as_of, keep, ahead), _results):
        yield from results


def format_all(book: Rulebook, records: Iterable[Record], as_of: _dt.date, formatter: Formatter, *,
               jobs: int = 1) -> Iterator[Chunk]:
    """Formatted output in input order, a chunk at a time (the ``batch`` path)."""
    if jobs <= 1:
        for chunk in blocks(records, CHUNK):
            yield formatter.chunk([decide(book, r, as_of) for r in chunk])
        return
    yield from _parallel(book, records, jobs, _format_chunk, (as_of,), _chunk, formatter)


def run_caseload(book: Rulebook, source: str | os.PathLike | bytes | Caseload, *, as_of: _dt.date,
                 output: str | os.PathLike | IO[str] | None = None, format: str = "jsonl",
                 ignore: Iterable[str] = (), jobs: int = 1, name: str | None = None,
                 sheet: str | None = None, max_errors: int = MAX_ERRORS,
                 on_note: Callable[[str], None] | None = None,
                 on_error: Callable[[Result], None] | None = None,
                 progress: Callable[[Iterator[Chunk]], Iterable[Chunk]] | None = None,
                 engine: str = "auto") -> CaseloadSummary:
    """Decide every case of a caseload and write one result per case, in order.

    ``source`` is a path (a CSV, XLSX, Parquet or JSONL file, a folder of case files,
    ``-`` for JSONL on standard input), the bytes of a CSV or XLSX file (an
    upload, named ``name`` in messages) or a ``Caseload`` already open;
    ``sheet`` names a workbook's sheet (default: the first). ``output`` is a path
    (written whole or not at all: nothing is left by a failed run), a text
    stream, or None (the results are only counted). ``format`` is ``jsonl``,
    ``csv`` (with a byte-order mark, for Excel) or ``xlsx`` (to a path or a
    binary stream). ``on_note`` hears how the caseload is read before any case is
    decided, ``on_error`` each of the first ``max_errors`` records that could
    not be decided as it comes, and ``progress`` may wrap the stream of
    finished chunks (to show a bar). ``engine`` is ``python`` (the row
    engine), ``duckdb`` (the rulebook's SQL on DuckDB, the row engine for the
    cases it does not decide exactly: ``caseload.columnar``, and for a plain CSV
    file ``caseload.plain_csv``; ``jobs`` is not used) or ``auto`` (the default:
    DuckDB for a plain CSV file of at least ``columnar.AUTO_BYTES`` written as CSV with one
    job, where it is faster, the row engine otherwise). The output is the same
    whichever decides it. A caseload that cannot
    be read at all raises an ``InputError`` before anything is written.
    """
    check_engine(engine, auto=True)
    path = os.fspath(output) if isinstance(output, (str, os.PathLike)) else None
    if path and isinstance(source, (str, os.PathLike)) and writes_over_input(os.fspath(source), path):
        raise InputError("the output is the caseload itself: the results would replace it; write them "
                         "to another file", Location(path))
    ignore = tuple(ignore)
    lane = None
    if format == "csv" and (engine == "duckdb" or engine == "auto" and jobs <= 1 and large_file(source)):
        # a plain CSV file is read by DuckDB itself
        lane = plain_lane(book, source, Formatter(book, as_of, format), as_of=as_of, ignore=frozenset(ignore),
                          sheet=sheet, on_note=on_note)
    records = lane or open_caseload(book, source, ignore=ignore, name=name, sheet=sheet)
    summary = CaseloadSummary(records.name, path, format, notes=list(records.notes), max_errors=max_errors)
    for note in summary.notes:  # before any case is decided
        if on_note:
            on_note(note)
    formatter = lane.formatter if lane is not None else Formatter(book, as_of, format)
    if lane is not None:
        chunks = lane.chunks(lambda r: decide(book, r, as_of), on_note)
    elif engine == "duckdb":
        chunks = format_columnar(book, records, as_of, formatter, lambda r: decide(book, r, as_of), on_note)
    else:
        chunks = format_all(book, records, as_of, formatter, jobs=jobs)
    try:
        _write(formatter, path, output, format, chunks, summary, progress, on_error)
    finally:
        if lane is not None:
            lane.close()
    summary.finish()
    return summary


def _write(formatter: Formatter, path: str | None, output: Any, format: str, chunks: Iterator[Chunk],
           summary: CaseloadSummary, progress: Callable | None, on_error: Callable | None) -> None:
    out = _Workbook(formatter, path, output) if format == "xlsx" else AtomicOutput(path, stream=_stream(output))
    try:
        out.write(formatter.header())
        for chunk in progress(chunks) if progress else chunks:
            out.write(chunk.rows if chunk.rows is not None else chunk.text)
            summary.add(chunk, on_error)
        out.commit()
    except BaseException:
        out.abort()
        raise


class _Workbook:
    """The results as an XLSX workbook: a Results sheet, and an About sheet
    with the provenance and warnings."""

    def __init__(self, formatter: Formatter, path: str | None, output: object) -> None:
        if isinstance(output, io.TextIOBase):
            raise ValueError("XLSX results are written to a file or a binary stream, not a text stream")
        self.formatter = formatter
        self.out = WorkbookOutput(path, stream=None if path else output if output is not None else io.BytesIO())
        try:
            self.sheet = self.out.sheet("Results", formatter.columns())
        except BaseException:
            self.out.abort()
            raise

    def write(self, rows: list | str) -> None:
        if rows:
            self.sheet.rows(rows)

    def commit(self) -> None:
        about = self.formatter.about()
        self.out.sheet("About", about[0]).rows(about[1:])
        self.out.commit()

    def abort(self) -> None:
        self.out.abort()


def _stream(output: object) -> Any:
    """The stream results go to when ``output`` is not a path."""
    if output is None:
        return _Nowhere()
    return None if isinstance(output, (str, os.PathLike)) else output


class _Nowhere:
    """A text stream that keeps nothing: a run whose results are only counted."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def writes_over_input(input_path: str, output: str | None) -> bool:
    """Whether ``output`` is the caseload itself (by its real path, so
    ``./in.csv``, a symbolic link or a hard link to it count too)."""
    if not output or input_path == "-":
        return False
    try:
        return os.path.samefile(input_path, output)
    except OSError:  # the output does not exist yet
        return os.path.realpath(input_path) == os.path.realpath(output)


# -- the --jobs workers ---------------------------------------------------------
_BOOK: Any = None
_FORMATTER: Formatter | None = None


def _init_worker(plan: tuple, formatter: Formatter | None = None, parent: int | None = None) -> None:
    global _BOOK, _FORMATTER
    _die_with(parent)
    _BOOK, _FORMATTER = rebuild(plan), formatter  # the parent's rules exactly, whatever the files hold now


#: prctl(2) option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _die_with(parent: int | None) -> None:
    """Make this worker end when ``parent`` does, however it ends (even SIGKILL).

    A pool's workers otherwise outlive a killed parent, holding a caseload in
    memory and the CPU. They take SIGTERM as it comes (not the parent's
    clean-exit handler, which is for the parent's output file). This runs in
    the worker processes the library starts, never in the host's.
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


# What passes to and from a worker is kept to what the other side lacks: a chunk
# of records goes as its rows' cells under one header (not a dict and a Record
# per row), and comes back without the places the parent already holds.
def _pack(records: list[Record]) -> tuple:
    """A chunk of records to send: the header of the first CSV-like row, and each
    record as (where, raw, text, problem), its raw cells as a tuple under that header."""
    keys = next((tuple(r.raw) for r in records if r.text and isinstance(r.raw, dict) and len(r.raw) > 1), ())
    rows = []
    for r in records:
        raw = r.raw
        if keys and isinstance(raw, dict) and len(raw) == len(keys) and tuple(raw) == keys:
            raw = tuple(raw.values())  # a tuple is never a raw record: JSON reads lists
        rows.append((r.where, raw, r.text, r.problem))
    return keys, rows


def _unpack(packed: tuple) -> list[Record]:
    keys, rows = packed
    return [Record(where, dict(zip(keys, raw)) if type(raw) is tuple else raw, text, problem)
            for where, raw, text, problem in rows]


def _decide_chunk(packed: tuple, as_of: _dt.date, keep: tuple, ahead: int = 0) -> list[tuple]:
    looking = (ahead, plan(_BOOK)) if ahead else None
    results = [decide(_BOOK, r, as_of, keep, looking) for r in _unpack(packed)]
    return [(r.case_id, r.values, r.error, r.field, r.changes, r.pending) for r in results]


def _results(sent: list[tuple], wheres: list[str]) -> list[Result]:
    return [Result(where, *fields) for where, fields in zip(wheres, sent)]


def _format_chunk(packed: tuple, as_of: _dt.date) -> tuple:
    chunk = _FORMATTER.chunk([decide(_BOOK, r, as_of) for r in _unpack(packed)])
    return chunk.text, chunk.decided, chunk.errors, [case_id for case_id, _ in chunk.ids], chunk.rows


def _chunk(sent: tuple, wheres: list[str]) -> Chunk:
    text, decided, errors, case_ids, rows = sent
    return Chunk(text, decided, errors, list(zip(case_ids, wheres)), rows)


def _parallel(book: Rulebook, records: Iterable[Record], jobs: int, work: Callable, args: tuple,
              receive: Callable[[Any, list[str]], Any], formatter: Formatter | None = None) -> Iterator[Any]:
    """Apply ``work`` to chunks of records in ``jobs`` processes, in order;
    ``receive`` makes what a worker sent back whole again with the chunk's places.

    At most ``jobs * IN_FLIGHT`` chunks are in flight, so memory stays flat
    however long the input is.
    """
    # Workers are spawned, not forked: a fork copies the host's threads' locks
    # mid-use (DuckDB's, a web server's), and a forked worker then crashed in
    # garbage collection. Each worker rebuilds the rules from the blueprint.
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                             initargs=(blueprint(book), formatter, os.getpid())) as pool:
        window: deque = deque()
        for chunk in blocks(records, CHUNK):
            window.append((pool.submit(work, _pack(chunk), *args), [r.where for r in chunk]))
            if len(window) >= jobs * IN_FLIGHT:
                future, wheres = window.popleft()
                yield receive(future.result(), wheres)
        while window:
            future, wheres = window.popleft()
            yield receive(future.result(), wheres)
