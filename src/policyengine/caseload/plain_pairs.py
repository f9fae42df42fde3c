"""``impact --engine duckdb`` on a plain CSV file (``plain_scan``): DuckDB reads the file itself
and decides it under both rulebooks, and only the cases not decided alike come back to Python.

1. The file is loaded and typed once (``plain_table.PlainTable``) for the union of both
   rulebooks' inputs, each column by the coercer of the rulebook that declares it; ``pe_read``
   says for each rulebook whether SQL may decide a row on its own inputs (``pe_ok0``, ``pe_ok1``:
   each rulebook sees only its own fields, as ``pairs.own`` gives them).
2. Each rulebook's query (its ``columnar.DuckEngine``'s, rewritten by ``plain_csv.streaming``;
   for the rows that answer every question that may be left not known, its ``first`` form) runs
   over the rows it may decide (``plain_csv.decide_passes``), into a table of its errors and keys
   by line (``pe_r0``, ``pe_r1``).
3. The keys are compared in SQL as ``pairs`` compares them (``pairs.differs``, over the columns
   ``pairs._comparable`` finds), ``BLOCK`` lines at a time: the rows not decided alike are
   ``pe_back``, and the cells of those the row engine must decide ``pe_fall``.
4. The rows are streamed in blocks of ``BLOCK`` lines, in the file's order: a row decided alike is
   ``Alike`` (its id as the engine reads it); another is read back from its keys
   (``DuckEngine._outcomes``) or, where SQL did not decide it under a rulebook (a cell refused, an
   error, a pending column not exact), decided by the row engine from its own cells.

Memory: DuckDB's tables are in the lane's own folder, held to ``plain_table.MEMORY_LIMIT``; Python
holds the rulebooks, their engines and one block of lines (the rows not decided alike with their
keys). (``impact`` itself keeps every case id, for repeats, as on every path.)

Anything not as the lane expects (a file that is not plain, a column both rulebooks declare
differently, a rulebook the SQL cannot express, a DuckDB error while preparing) sends the file to
``pairs.decided_pairs``' usual path, which gives the same report.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..sql.calendar import CALENDAR
from ..sql.inputs import member_column
from . import pairs
from .columnar import SEQ, TABLE, DuckEngine
from .plain_csv import _separator_note, decide_passes, plain_file, prepared, unanswered
from .plain_table import PlainTable, ident
from .records import Record, Result

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: Lines compared and streamed back at a time (the rows decided alike as ids, the others with their keys
#: and cells).
BLOCK = 20_000
WHICH = pairs.WHICH


class PlainPairs:
    """A plain CSV file decided under two rulebooks on DuckDB: ``prepare``, then ``pairs``."""

    def __init__(self, books: tuple, engines: list[DuckEngine], path: str, plain: Any, ignore: frozenset,
                 as_of: _dt.date) -> None:
        self.books, self.engines, self.plain, self.as_of = books, engines, plain, as_of
        inputs = {**books[0].inputs, **books[1].inputs}
        coercers = {n: (books[0] if n in books[0].inputs else books[1]).reader.text_fast[n] for n in inputs}
        self.table = PlainTable(engines[0].duckdb, path, plain, ignore, inputs, coercers,
                                prefix="policyengine-impact-")
        self.con = self.table.con
        self.notes = [note for note in (_separator_note(plain.sep),) if note]
        self.calendar: Any = None  # the calendar of the rulebook whose calendar table is made
        #: Where each rulebook's columns start in a row of pe_back (its pe_row, error, then those a case is
        #: read back from: ``pairs._read``), and their places among the last.
        reads = [pairs._read(engine) for engine in engines]
        self.sides = [(2, {n: i for i, n in enumerate(reads[0])}),
                      (4 + len(reads[0]), {n: i for i, n in enumerate(reads[1])})]

    def close(self) -> None:
        self.table.close()

    # -- preparing ---------------------------------------------------------------------------------
    def prepare(self) -> bool:
        if not self.table.load():
            return False
        self.table.read({f"pe_ok{k}": book.inputs for k, book in enumerate(self.books)})
        for k in (0, 1):
            self._decide(k)
        self._compare()
        undecided = " OR ".join(f'{ident(f"{w}:pe_row")} IS NULL OR {ident(f"{w}:error")} <> \'\' OR '
                                f'{ident(f"{w}:pe_inexact")}' for w in WHICH)
        self.con.execute(f"CREATE TABLE pe_fall AS SELECT f.pe_line, {self.table.cells_sql()} FROM (SELECT pe_line "
                         f"FROM pe_back WHERE {undecided}) f JOIN {self.table.raw_lines()} r "
                         "USING (pe_line) ORDER BY f.pe_line")
        return True

    def _compare(self) -> None:
        """``pe_back``: the rows not decided alike, each with both rulebooks' errors and keys (NULL where
        SQL did not decide it), compared a block of lines at a time (so each join fits in memory)."""
        compared = pairs._comparable(*self.engines)
        moved = "true" if compared is None else pairs.differs(compared, "pe_row").sql(dialect="duckdb")
        sides = ", ".join(f'{side}.{ident(n)} AS {ident(f"{WHICH[k]}:{n}")}' for k, side in enumerate("ab")
                          for n in ["pe_row", "error", *pairs._read(self.engines[k])])
        made = "CREATE TABLE pe_back AS"
        for lo in self.plain.starts(BLOCK):
            def within(column: str, lo: int = lo) -> str:
                return f"{column} >= {lo} AND {column} < {lo + BLOCK}"

            self.con.execute(
                f"{made} SELECT r.pe_line, r.case_id AS pe_case, {sides} FROM (SELECT pe_line, case_id FROM pe_read "
                f"WHERE {within('pe_line')}) r "
                f"LEFT JOIN (SELECT * FROM pe_r0 WHERE {within('pe_row')}) a ON a.pe_row = r.pe_line "
                f"LEFT JOIN (SELECT * FROM pe_r1 WHERE {within('pe_row')}) b ON b.pe_row = r.pe_line "
                f"WHERE {moved} ORDER BY r.pe_line")
            made = "INSERT INTO pe_back"

    def _decide(self, k: int) -> None:
        """``pe_r{k}``: the rulebook's error and keys of each row SQL may decide under it, by line."""
        book, engine = self.books[k], self.engines[k]
        if CALENDAR in engine.sql and self.calendar != book.calendar:
            self.table.calendar(book, self.as_of)
            self.calendar = book.calendar
        answered, every = engine.streamed()
        columns = ", ".join(ident(name) for name, _ in engine.columns)
        admitted = " AND ".join([f"pe_ok{k}", *(f"{ident(_column(book, n))} IS NOT NULL"
                                                for n in engine.unknown_outcomes)])  # (the row engine's UNKNOWN)
        made = f"CREATE TABLE pe_r{k} AS"
        for rows, chosen in decide_passes(self.con, unanswered(book), admitted, answered, every, engine.wide):
            self.con.execute(f"CREATE OR REPLACE VIEW {TABLE} AS SELECT pe_line AS {SEQ}, {columns} "
                             f"FROM pe_read WHERE {admitted} AND ({rows})")
            self.con.execute(f"{made} SELECT * FROM ({chosen})")
            made = f"INSERT INTO pe_r{k}"
            self.con.execute("CHECKPOINT")

    # -- streaming the pairs -------------------------------------------------------------------------
    def pairs(self, label: str, on_note: Callable[[str], None] | None = None) -> Iterator[tuple[Record, Any, Any]]:
        """Each row as ``pairs.decided_pairs`` gives it, in the file's order; then the notes."""
        pair = pairs._Pair(self.books, self.engines, self.as_of)
        try:
            for start in self.plain.starts(BLOCK):
                span = {"start": start, "stop": start + BLOCK}
                ids = self.con.execute("SELECT pe_line, case_id FROM pe_read WHERE pe_line >= $start AND "
                                       "pe_line < $stop ORDER BY pe_line", span).fetchall()
                back = {row[0]: row for row in self.con.execute(
                    "SELECT * FROM pe_back WHERE pe_line >= $start AND pe_line < $stop", span).fetchall()}
                cells = {row[0]: row[1:] for row in self.con.execute(
                    "SELECT * FROM pe_fall WHERE pe_line >= $start AND pe_line < $stop", span).fetchall()}
                for line, case_id in ids:
                    row = back.get(line)
                    if row is None:
                        for counted in pair.counts:
                            counted[0] += 1
                        yield Record(f"row {line}", {}, True), pairs.Alike(case_id), None
                    else:
                        yield self._pair(pair, row, cells.get(line, ()), label)
        finally:
            self.close()
        pairs.say_counts(pair, [pairs._noted(on_note, which, book) for which, book in zip(WHICH, self.books)])

    def _pair(self, pair: Any, row: tuple, cells: tuple, label: str) -> tuple[Record, Result, Result]:
        """A row not decided alike (a row of ``pe_back``), with its results; its cells (``cells``) are
        read where the row engine decides it under either rulebook."""
        record = self.table.record(row[0], cells)
        results = []
        for k, (engine, (start, at)) in enumerate(zip(self.engines, self.sides)):
            found = None
            if row[start] is not None and not row[start + 1] and not row[start + 2 + at["pe_inexact"]]:
                found = engine._outcomes(row[start + 2:start + 2 + len(at)], at, {"case_id": row[1]})
            results.append(pair._result(k, found, pairs.own(self.books[k], record, label)))
        return record, *results


def _same(a: Any, b: Any) -> bool:
    """Whether two rulebooks declare an input alike: it is read, typed and refused alike."""
    return dataclasses.replace(a, loc=b.loc, question=b.question) == b


def _column(book: Rulebook, name: str) -> str:
    """The column a blank answer to ``name`` is NULL in."""
    spec = book.inputs[name]
    return member_column(name, spec.values[0]) if spec.type == "list" else name


def plain_pairs(base: Rulebook, variant: Rulebook, source: Any, *, as_of: _dt.date, ignore: frozenset,
                union: Any, engines: list, on_note: Callable[[str], None] | None = None) -> PlainPairs | None:
    """The lane ready to stream its pairs, or None where it does not run (see the module's doc).
    ``engines``: each rulebook's DuckDB engine, made here (``pairs.engine_for``) if it is empty and
    left there for the usual path."""
    if any(not _same(base.inputs[n], variant.inputs[n]) for n in base.inputs.keys() & variant.inputs.keys()):
        return None
    found = plain_file(union, source, ignore)
    if found is None:
        return None
    if not engines:
        engines.extend(pairs.engine_for(book, as_of, None) for book in (base, variant))
    if not all(engines):
        return None
    return prepared(PlainPairs((base, variant), engines, *found, ignore, as_of), engines[0].duckdb.Error, on_note)


__all__ = ["BLOCK", "PlainPairs", "plain_pairs"]
