"""The plain-CSV lane of ``batch --engine duckdb --format csv``: DuckDB reads the file, decides it
and writes each output line, with Python only per distinct cell and per row it cannot decide.

It runs when the caseload is a path to a *plain* CSV file (``plain_scan``: every record one line,
its cells the line split on the separator, or well-formed quoted cells, so DuckDB's reader and the
row path read the same cells by construction), or to a Parquet file the row path reads with no
judgement (no blank row: ``plain_scan.scan_parquet``), its cells made text by the Parquet reader's
own SQL. Any other file goes to ``columnar.format_columnar`` unchanged, and so does a file on which
DuckDB fails while the lane is prepared (its strict reader finding rows of different widths whose
separators add up to the header's, running out of memory), with a note that says so. The steps:

1. The file is loaded and typed by ``plain_table.PlainTable`` (``pe_read``): each column's
   DISTINCT cells coerced once by the engine's own coercers, and for each row whether SQL may
   decide it (``pe_ok``). A row goes to the row engine (``decide``) when it may not, or the
   rulebook's query gives it an error or cannot give its pending column exactly
   (``Query.inexact``): its result or error record is then the row engine's own, from its cells.
2. (The lane's other refusals: a file DuckDB reads otherwise, a date the row path refuses the
   file for, a header without case_id or a required column: the usual path runs.)
3. The query (``sql.query``, its tree rewritten by ``streaming`` so DuckDB streams it) decides
   the other rows in two passes: those that answer every question that may be left not known,
   with the query's ``first`` form (one try each: a projection), then those that leave one
   unanswered, with every try and the ``pending`` column (the tries as columns of the row, ``wide``,
   a projection too; a rulebook with more than ``WIDE_MAX`` combinations has them as rows, decided
   ``OPEN_BLOCK`` rows at a time). Each output line is made in SQL (cells made spreadsheet-safe and
   quoted as ``formats.spreadsheet.csv_text`` does, CRLF ends, ``pe_out``). The lines are fetched a
   block at a time, one string per row, and merged by line with the row engine's lines, one
   ``Chunk`` per block for the progress bar and the summary.
4. Repeated case ids: SQL finds the rows whose id may repeat (a key at least as coarse as
   ``Duplicates``' ``strip().casefold()``); only those rows' ids reach the summary, which
   confirms them as it always does, so the report is the row path's.

Memory: the lane's tables are in a DuckDB file in its own temporary folder (removed after), held
to ``MEMORY_LIMIT`` (it spills there too); Python holds the rulebook and DuckDB's library (about
130 MB before any row), one block of ``BLOCK`` output lines and rows for the row engine, and the
rows whose ids may repeat. Measured: a 317 MiB peak at 1,000,000 generated Leicestershire rows, 44% of
them with an unanswered question (bench/RESULTS.md).
"""
from __future__ import annotations

import bisect
import gc
import datetime as _dt
import os
import stat
import tempfile  # noqa: F401 (the tests point its folder elsewhere)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from sqlglot import exp

from ..engine.dates import parse_interval
from ..errors import PolicyEngineError
from ..formats.spreadsheet import csv_text
from ..sql.calendar import Span
from ..sql.query import Query, build_query
from ..sql.inputs import member_column, unknowable
from .columnar import SEQ, TABLE, splits_apart, streaming
from .output import CSV_LINE_END, Chunk, Formatter, TRAILING
from .parquet import is_parquet
from .plain_scan import PlainFile, scan, scan_parquet
from .plain_table import INLINE, MEMORY_LIMIT, PlainTable, ident, quote_literal
from .records import Record, Result, duckdb_path

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: Rows with an unanswered question decided at a time (each is one row per combination of answers).
OPEN_BLOCK = 10_000
#: Output lines gathered in SQL at a time (at most one string per run of lines SQL decided).
BLOCK = 20_000
#: The characters that make a cell formula-like (``spreadsheet.safe_cell``) or need quotes.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def plain_lane(book: Rulebook, source: Any, formatter: Formatter, *, as_of: _dt.date, ignore: frozenset,
               sheet: str | None, on_note: Callable[[str], None] | None = None) -> "Lane | None":
    """The lane ready to stream its output, or None when the file is not plain (or anything else
    is not as the lane expects): the caller then reads it the usual way. DuckDB failing while the
    lane is prepared (rows of different widths whose separators add up, say) is said in a note: the
    run is slower."""
    found = plain_file(book, source, ignore, sheet)
    if found is None:
        return None
    engine = compiled(book, as_of)
    if engine is None:
        return None
    return prepared(Lane(book, engine, *found, ignore, formatter, as_of), engine.duckdb.Error, on_note)


def prepared(lane: Any, error: type[Exception], on_note: Callable[[str], None] | None) -> Any:
    """``lane`` (batch's, impact's) prepared, or None, closed, where it does not run: its ``prepare``
    found the file not as it expects, or DuckDB failed (``error``: a row its strict reader refuses, say),
    which a note says, since the usual path is slower."""
    try:
        ready = lane.prepare()
    except error as exc:
        ready = False
        if on_note:
            on_note(f"DuckDB could not read the file itself ({type(exc).__name__}), so it was read the usual "
                    "way: the same results, more slowly")
    except BaseException:
        lane.close()
        raise
    if not ready:
        lane.close()
        return None
    return lane


def plain_file(book: Any, source: Any, ignore: frozenset, sheet: str | None = None) -> tuple[str, PlainFile] | None:
    """The path and pre-scan of a caseload that is a plain CSV file (``plain_scan``), or a Parquet file
    the row path would read (``plain_scan.scan_parquet``), for ``book`` (a rulebook, or anything with its
    inputs and elements), else None."""
    if sheet is not None or not isinstance(source, (str, os.PathLike)):
        return None
    path = os.fspath(source)
    csv = path.lower().endswith(".csv")
    if not (csv or is_parquet(path)) or duckdb_path(path) is None:  # a path DuckDB reads as a pattern
        return None
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        if not csv:
            plain = scan_parquet(path, book, ignore)
        else:
            with open(path, "rb") as fh:
                plain = scan(fh, book, ignore, path)
    except OSError:
        return None
    return None if plain is None else (path, plain)


@dataclass
class Compiled:
    """The rulebook's query, its form for rows answering every question (``build_query``'s ``first``),
    and the DuckDB module that runs them."""

    query: Query
    first: Query
    duckdb: Any
    _sql: tuple[str, str] | None = None

    def passes(self) -> tuple[str, str]:
        """The SQL of the first form and of the query, each with the row's line and ``pe_inexact``,
        streamed (``streaming``); made once, changing the queries' trees in place (a copy of each
        took a quarter of a second). ValueError where a tree is not as ``streaming`` expects."""
        if self._sql is None:
            answered, every = (streaming(q.select.select('"pe_row"', exp.alias_(q.inexact, "pe_inexact", quoted=True),
                                                         copy=False)).sql(dialect="duckdb")
                               for q in (self.first, self.query))
            self._sql = answered, every
        return self._sql


def compiled(book: Rulebook, as_of: _dt.date) -> Compiled | None:
    """The rulebook's query as ``columnar.DuckEngine`` builds it, or None where that engine would not
    run (DuckDB missing, a rulebook the SQL cannot express, a list value holding `;`): the usual
    path then runs, and says why, once. (Not the DuckEngine itself: its own database is not needed.)"""
    try:
        import duckdb
    except ImportError:
        return None
    span = Span(as_of.year - 25, as_of.year + 25)
    try:
        query = build_query(book, table=TABLE, as_of=as_of, span=span, order=SEQ)
        first = build_query(book, table=TABLE, as_of=as_of, span=span, order=SEQ, first=True)
    except PolicyEngineError:
        return None
    if splits_apart(book, query):
        return None
    return Compiled(query, first, duckdb)


def _plain_text(text: str) -> bool:
    """Whether ``csv_text`` writes this text as it is."""
    return not text.startswith(_TRIGGERS) and not any(c in text for c in ',"\r\n')


def _cell_sql(expr: str) -> str:
    """A text cell as ``csv_text`` writes it: a formula-like cell prefixed with ``'``, a cell with a
    comma, quote or line break quoted (its quotes doubled; the prefix is none of those)."""
    x = f"coalesce({expr}, '')"
    triggers = ", ".join(quote_literal(t) for t in _TRIGGERS)
    safe = f"(CASE WHEN left({x}, 1) IN ({triggers}) THEN '''' || {x} ELSE {x} END)"
    special = " OR ".join(f"contains({x}, {c})" for c in ("','", "'\"'", "chr(13)", "chr(10)"))
    return (f"(CASE WHEN {special} THEN '\"' || replace({safe}, '\"', '\"\"') || '\"' "
            f"ELSE {safe} END)")


class Lane:
    """One plain CSV file on DuckDB: ``prepare`` loads and decides it, ``chunks`` streams the output."""

    def __init__(self, book: Rulebook, engine: Compiled, path: str, plain: PlainFile, ignore: frozenset,
                 formatter: Formatter, as_of: _dt.date) -> None:
        self.book, self.engine, self.path, self.plain, self.formatter = book, engine, path, plain, formatter
        self.name = path  # as the summary names the caseload
        self.as_of = as_of
        self.table = PlainTable(engine.duckdb, path, plain, ignore, book.inputs, book.reader.text_fast)
        self.con, self.kept = self.table.con, self.table.kept
        self.notes = [note for note in (_separator_note(plain.sep),) if note]
        self.counts = [0, 0]  # rows decided in SQL, by the row engine

    def close(self) -> None:
        self.table.close()

    # -- preparing: load, check, coerce, decide --------------------------------------------------
    def prepare(self) -> bool:
        if self.engine.query.uses_calendar:  # the calendar the query reads
            self.table.calendar(self.book, self.as_of)
        if not self.table.load():
            return False
        self.table.read({"pe_ok": self.book.inputs})
        decided = self._decide()
        self.engine = None  # the query's tree (tens of MB) is not needed to stream the output
        gc.collect()
        return decided

    def _decide(self) -> bool:
        """``pe_out``: each row SQL decides, its output line and whether the query gave it an error."""
        query = self.engine.query
        formatter = self.formatter
        heads = formatter.columns()
        cells = heads[1:len(heads) - len(TRAILING) - len(formatter.tail)]
        shape = ["case_id", *cells, "pending", "error"]
        if query.columns[:len(shape)] != shape:
            return False  # not the shape this lane writes: the usual path runs
        try:
            answered, every = self.engine.passes()
        except ValueError:
            return False
        made = "CREATE TABLE pe_out AS"
        for rows, chosen in decide_passes(self.con, self._open(), "pe_ok", answered, every, query.wide):
            self.con.execute(f"CREATE OR REPLACE VIEW {TABLE} AS SELECT pe_line AS {SEQ}, "
                             f"{', '.join(self.table.typed)} FROM pe_read WHERE pe_ok AND ({rows})")
            self.con.execute(f"{made} SELECT q.pe_row AS pe_line, q.error <> '' OR q.pe_inexact AS pe_bad, "
                             f"{self._line(cells)} AS pe_text FROM ({chosen}) q")
            made = "INSERT INTO pe_out"
            self.con.execute("CHECKPOINT")  # the lines written to the file, so memory holds one pass at a time
        self.con.execute(f"CREATE TABLE pe_fall AS SELECT f.pe_line, {self.table.cells_sql()} FROM (SELECT pe_line "
                         "FROM pe_read WHERE NOT pe_ok UNION ALL SELECT pe_line FROM pe_out WHERE pe_bad) f JOIN "
                         f"{self.table.raw_lines()} r USING (pe_line) ORDER BY f.pe_line")
        return True

    def _line(self, cells: list[str]) -> str:
        """The SQL of one output line: the cells, pending, error, where and the provenance."""
        plain = self._plain_cells()
        parts = [_cell_sql("q.case_id"),  # (concat reads NULL as '')
                 *(f"q.{ident(c)}" if c in plain else _cell_sql(f"q.{ident(c)}") for c in cells),
                 _cell_sql("q.pending"), "''", "'row ' || q.pe_row",
                 quote_literal(csv_text([self.formatter.tail], line_end=CSV_LINE_END))]  # the provenance
        return "concat(" + ", ',', ".join(parts) + ")"  # one string made once, not one per `||`

    def _open(self) -> str:
        return unanswered(self.book)

    def _plain_cells(self) -> set[str]:
        """The outcome columns whose every possible text is written as it is (no quotes, no prefix):
        yes/no, dates, a checklist's "yes", a list or an interval whose every value is plain."""
        plain = set()
        for out in self.book.outcomes:
            items = getattr(self.book.producers.get(out), "items", ())
            if items:
                plain.update(f"{out}.{item_id}" for item_id, _ in items)
                continue
            v = self.engine.query.outcomes.get(out)
            if v is None:
                continue
            if v.kind in ("boolean", "date") or (v.kind == "list" and v.members is not None and all(
                    _plain_text(str(m)) for m in v.members)):
                plain.add(out)
            elif v.kind == "interval" and v.choices and all(  # its cell is one of these (``sql.text.cell``)
                    _plain_text(str(parse_interval(str(c)))) for c in v.choices if c is not None):
                plain.add(out)
        return plain

    # -- streaming the output --------------------------------------------------------------------
    def chunks(self, decide: Callable[[Record], Result],
               on_note: Callable[[str], None] | None = None) -> Iterator[Chunk]:
        """The output in input order: runs of lines made in SQL, and the row engine's chunks between."""
        try:
            yield from self._merged(self.formatter, decide)
        finally:
            self.close()
        done, by_row = self.counts
        if by_row and on_note:
            on_note(f"--engine duckdb: {by_row:,} of {done + by_row:,} cases were decided by the row engine "
                    "(records that could not be read, refused or unanswered answers, errors)")

    def _merged(self, formatter: Formatter, decide: Callable[[Record], Result]) -> Iterator[Chunk]:
        self.repeats = self.table.repeats()
        self.repeat_lines = [line for line, _ in self.repeats]
        for start in self.plain.starts(BLOCK):  # a block of lines at a time: memory stays flat
            span = {"start": start, "stop": start + BLOCK}
            lines = self.con.execute("SELECT pe_line, pe_text FROM pe_out WHERE NOT pe_bad AND pe_line >= $start "
                                     "AND pe_line < $stop ORDER BY pe_line", span).fetchall()
            rows = self.con.execute("SELECT * FROM pe_fall WHERE pe_line >= $start AND pe_line < $stop "
                                    "ORDER BY pe_line", span).fetchall()
            yield self._block(start, lines, rows, formatter, decide)

    def _block(self, start: int, lines: list, rows: list, formatter: Formatter,
               decide: Callable[[Record], Result]) -> Chunk:
        """One block's chunk: the lines SQL wrote, and between them the row engine's lines."""
        fallback = {row[0] for row in rows}  # a row the row engine decided is named by its result
        ids: list[tuple[int, Any, str]] = [(line, case_id, f"row {line}") for line, case_id
                                           in self._repeats_in(start, start + BLOCK) if line not in fallback]
        errors = []
        if rows:
            lines = list(lines)
            for row in rows:
                record = self.table.record(row[0], row[1:])
                result = decide(record)
                lines.append((row[0], csv_text([formatter.row(result)], line_end=CSV_LINE_END)))
                if result.values is None:
                    errors.append(result)
                ids.append((row[0], result.case_id, result.where))
            lines.sort(key=lambda line: line[0])
            ids.sort(key=lambda found: found[0])
        self.counts[0] += len(lines) - len(rows)
        self.counts[1] += len(rows)
        return Chunk("".join(text for _, text in lines), len(lines) - len(errors), errors,
                     [(case_id, where) for _, case_id, where in ids])

    def _repeats_in(self, start: int, stop: int) -> list:
        """(line, case_id) of the rows in [start, stop) whose id may repeat another's."""
        lo = bisect.bisect_left(self.repeat_lines, start)
        hi = bisect.bisect_left(self.repeat_lines, stop)
        return self.repeats[lo:hi]


def decide_passes(con: Any, open_: str, admitted: str, answered: str, every: str, wide: bool) -> list[tuple[str, str]]:
    """The passes of the queries over the admitted rows of ``pe_read`` (``admitted``): (which rows, the
    query's SQL). The rows answering every question that may be left not known (``open_`` false)
    are one try each (``answered``: ``build_query``'s ``first``); the others, with every try
    (``every``), in one pass where the query tries them as columns (``wide``: it streams), else a
    range of lines at a time (its GROUP BY and windows hold a range at once)."""
    if wide:
        return [(f"NOT ({open_})", answered), *([(open_, every)] if open_ != "false" else [])]
    return [(f"NOT ({open_})", answered),
            *((f"({open_}) AND pe_line >= {lo} AND pe_line < {hi}", every)
              for lo, hi in open_ranges(con, f"{admitted} AND ({open_})"))]


def open_ranges(con: Any, where: str) -> list[tuple[int, int]]:
    """The lines of the rows of ``pe_read`` with an unanswered question (``where``), cut into ranges
    of ``OPEN_BLOCK`` such rows: each try of each is a row of the query, and its windows hold a
    range's at once, so a range at a time keeps within the memory limit however many there are."""
    starts = [line for (line,) in con.execute(
        f"SELECT pe_line FROM (SELECT pe_line, row_number() OVER (ORDER BY pe_line) AS n FROM pe_read "
        f"WHERE {where}) WHERE (n - 1) % {OPEN_BLOCK} = 0 ORDER BY pe_line").fetchall()]
    return list(zip(starts, [*starts[1:], 2**62]))


def unanswered(book: Rulebook) -> str:
    """Whether a typed row leaves a question unanswered that may be (no ``default:``): the rows
    whose every answer must be tried, which ``build_query``'s ``first`` cannot decide."""
    blank = []
    for name, spec in book.inputs.items():
        if unknowable(spec):
            column = member_column(name, spec.values[0]) if spec.type == "list" else name
            blank.append(f"{ident(column)} IS NULL")
    return " OR ".join(blank) or "false"


def _separator_note(sep: str) -> str | None:
    from .readers import _separator_note as note

    return note(sep)


__all__ = ["BLOCK", "INLINE", "MEMORY_LIMIT", "Lane", "decide_passes", "open_ranges", "plain_file", "plain_lane",
           "streaming", "unanswered"]
