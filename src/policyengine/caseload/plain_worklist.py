"""``worklist --engine duckdb`` on a plain CSV file (``plain_scan``): DuckDB reads the file itself,
and only the rows SQL cannot decide are read in Python (``worklist_sql`` is the same SQL over
records read in Python).

1. The file is loaded and typed once (``plain_table.PlainTable``: each column's DISTINCT cells
   coerced once by the rulebook's coercers; ``pe_ok``, whether SQL may decide a row).
2. The rows are decided ``worklist_sql.block_size`` lines at a time, in the file's order: those
   that answer every question by the ``WorklistEngine``'s query of a row a day, the others by its
   query trying every answer, each in parts of about ``SCAN_ROWS`` rows of the scan
   (``worklist_sql.cut``), a part copied from ``pe_read`` into the table the queries read.
3. Each row's ``Result`` is read back from its row of the scan (``WorklistEngine._found``), with
   the inputs the worklist shows from ``pe_read``; a row SQL does not decide (not ``pe_ok``, an
   outcome that may be not known left blank, ``pe_refer``, a query that cannot try its answers)
   is decided by the row engine from its own cells (``PlainTable.record``), as on every path.

The results, notes and repeated ids are those of ``worklist_sql.decide_worklist`` over the
records the usual path reads. Anything not as the lane expects (a file that is not plain, an input
the worklist shows that is a list, a DuckDB error while preparing) sends the file the usual way.
Memory: DuckDB's tables are in the lane's own folder, held to ``plain_table.MEMORY_LIMIT``; Python
holds one block of lines.
"""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..engine.pending import MAX_COMPLETIONS
from ..sql.calendar import CALENDAR
from ..sql.inputs import member_column, unknowable
from .columnar import SEQ, TABLE
from .plain_csv import _separator_note, plain_file, prepared, unanswered
from .plain_table import PlainTable, ident
from .records import Result
from .worklist_sql import VIEW, WorklistEngine, block_size, cut

if TYPE_CHECKING:
    from ..engine.compile import Rulebook
    from .records import Record

#: The input types whose typed column in ``pe_read`` is the value the row engine holds.
_SCALAR = ("string", "enum", "date", "boolean", "integer")
#: DuckDB's memory limit for the lane: the scan of a part (about ``SCAN_ROWS`` rows of tries and days)
#: spills at ``plain_table.MEMORY_LIMIT`` and runs three times slower (at 100,000 generated rows: 31 s against 13 s).
MEMORY_LIMIT = "384MB"
WHY = "(records that could not be read, refused or unanswered answers, errors today or on a day ahead)"


class PlainWorklist:
    """A plain CSV file's worklist results on DuckDB: ``prepare``, then ``results``."""

    def __init__(self, book: Rulebook, engine: WorklistEngine, path: str, plain: Any, ignore: frozenset,
                 as_of: _dt.date) -> None:
        self.book, self.engine, self.plain, self.as_of = book, engine, plain, as_of
        self.table = PlainTable(engine.duckdb, path, plain, ignore, book.inputs, book.reader.text_fast,
                                prefix="policyengine-worklist-")
        self.con = self.table.con
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.notes = [note for note in (_separator_note(plain.sep),) if note]
        #: The inputs the worklist shows (read from ``pe_read``), and the value of a blank one.
        self.shown = [n for n in engine.names if n in book.inputs and n != "case_id"]
        self.blank = book.reader._fresh()
        self.counts: list = [0, 0]  # cases decided in SQL, by the row engine, then any block DuckDB failed on

    def close(self) -> None:
        self.table.close()

    def prepare(self) -> bool:
        if any(CALENDAR in sql for sql in self.engine.sqls.values() if sql):
            self.table.calendar(self.book, self.as_of)
        if not self.table.load():
            return False
        self.table.read({"pe_ok": self.book.inputs})
        self._cases("false")  # the table the views read, for now empty
        for tries, sql in self.engine.sqls.items():
            if sql is not None:  # parsed once: planning is most of a small part's time
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW {_view(tries)} AS {sql}")
        return True

    # -- the results, a block of lines at a time ---------------------------------------------------
    def results(self, decide: Callable[[Record], Result],
                on_note: Callable[[str], None] | None = None) -> Iterator[Result]:
        """Each row's result in the file's order; then the note of how many the row engine decided."""
        try:
            size = block_size(self.engine.within)
            for start in self.plain.starts(size):
                yield from self._block(start, start + size, decide)
        finally:
            self.close()
        done, by_row, *failures = self.counts
        for failure in failures:
            if on_note:
                on_note(f"--engine duckdb: {failure}")
        if by_row and on_note:
            on_note(f"--engine duckdb: {by_row:,} of {done + by_row:,} cases were decided by the row engine {WHY}")

    def _block(self, start: int, stop: int, decide: Callable[[Record], Result]) -> list[Result]:
        rows = self.con.execute(
            f"SELECT pe_line, case_id, {self._admitted()} AS pe_in, ({unanswered(self.book)}) AS pe_open, "
            f"{self._tries()} AS pe_tries{''.join(f', {ident(n)}' for n in self.shown)} FROM pe_read "
            "WHERE pe_line >= $start AND pe_line < $stop ORDER BY pe_line", {"start": start, "stop": stop}).fetchall()
        found: dict[int, Any] = {}
        cells: dict[int, tuple] = {}
        try:
            for tries in (False, True):
                cases = [(row[0], row, int(row[4])) for row in rows if row[2] and row[3] == tries]
                if cases and self.engine.sqls[tries] is not None:
                    for part in cut(cases, self.engine.within + 1):
                        found.update(self._decided(tries, part))
            cells = self._cells([row[0] for row in rows if found.get(row[0]) is None])
            found.update(self._read(rows, cells))
        except self.engine.duckdb.Error as exc:  # never expected: the row engine decides the block, and it is said
            found, cells = {}, {}
            self.counts.append(f"DuckDB failed on a block of cases ({type(exc).__name__}), which the row engine "
                               "decided")  # said at the end, as ``columnar.in_blocks`` says it
        cells = cells or self._cells([row[0] for row in rows if found.get(row[0]) is None])
        results = []
        for row in rows:
            line, got = row[0], found.get(row[0])
            if got is None:
                self.counts[1] += 1
                results.append(decide(self.table.record(line, cells[line])))
            else:
                self.counts[0] += 1
                results.append(Result(f"row {line}", got[0]["case_id"], got[0], pending=got[1], changes=got[2]))
        return results

    def _read(self, rows: list, cells: dict[int, tuple]) -> dict[int, Any]:
        """The rows SQL may not decide from ``pe_read`` (a cell the careful path reads, say one of spaces)
        decided as ``worklist_sql.decide_worklist`` decides them: read in Python (``DuckEngine.values``)
        and, where that reads them, by the engine's query over them, so the same cases reach the row engine."""
        cases = []
        for row in rows:
            if not row[2]:
                values = self.engine.values(self.table.record(row[0], cells[row[0]]))
                if values is not None:
                    cases.append((row[0], values))
        return self.engine.decide(cases, self.table.folder) if cases else {}

    def _decided(self, tries: bool, part: list) -> Iterator[tuple[int, Any]]:
        """Each case of ``part`` (consecutive in the block's cases of its kind) by line: its (values,
        pending, changes), or None for the row engine."""
        first, last = part[0][0], part[-1][0]
        open_ = f"({unanswered(self.book)})"
        self._cases(f"pe_line >= {first} AND pe_line <= {last} AND {self._admitted()} AND "
                    f"{open_ if tries else f'NOT {open_}'}")
        got_rows = self.con.execute(f"SELECT * FROM {_view(tries)}").fetchall()
        names = [d[0] for d in self.con.description]
        at = {name: i for i, name in enumerate(names)}
        if len(got_rows) != len(part):  # never expected: the row engine decides them
            return
        for (line, row, _), got in zip(part, got_rows):
            by_name = dict(zip(names, got))
            if by_name["pe_refer"]:
                continue
            values = {"case_id": row[1], **{n: self.blank[n] if v is None else v
                                            for n, v in zip(self.shown, row[5:])}}
            yield line, self.engine._found(got, at, by_name, values)

    def _cases(self, where: str) -> None:
        """The table the queries read (as ``DuckEngine.load`` makes it): the rows of ``pe_read`` ``where`` holds."""
        columns = ", ".join(ident(name) for name, _ in self.engine.columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {TABLE} AS SELECT pe_line AS {SEQ}, {columns} FROM pe_read "
                         f"WHERE {where} ORDER BY pe_line")

    def _cells(self, lines: list[int]) -> dict[int, tuple]:
        """The cells of the rows at ``lines`` (``PlainTable.record``'s)."""
        if not lines:
            return {}
        first = self.plain.first
        listed = ", ".join(str(line - first) for line in lines)
        return {row[0]: row[1:] for row in self.con.execute(
            f"SELECT r.rowid + {first}, {self.table.cells_sql()} FROM pe_raw r WHERE r.rowid IN ({listed})").fetchall()}

    def _admitted(self) -> str:
        """Whether SQL may decide a row: ``pe_ok``, and no outcome that may be not known left blank
        (the row engine gives it as such: ``DuckEngine.values``)."""
        blank = [f"{ident(n)} IS NOT NULL" for n in self.engine.unknown_outcomes]
        return "(" + " AND ".join(["coalesce(pe_ok, false)", *blank]) + ")"

    def _tries(self) -> str:
        """A row's number of tries (``WorklistEngine._parts``'): the product of the answers tried for each
        question left unanswered, at most ``MAX_COMPLETIONS``."""
        factors = []
        for name, spec in self.book.inputs.items():
            options = self.engine.options.get(name, 1)
            if unknowable(spec) and options > 1:
                column = member_column(name, spec.values[0]) if spec.type == "list" else name
                factors.append(f"(CASE WHEN {ident(column)} IS NULL THEN {options}.0 ELSE 1.0 END)")
        return f"least({MAX_COMPLETIONS}, {' * '.join(factors) or '1'})"


def _view(tries: bool) -> str:
    return f"{VIEW}_{'tries' if tries else 'days'}"


def plain_worklist(book: Rulebook, source: Any, engine: WorklistEngine | None, *, as_of: _dt.date,
                   ignore: frozenset, sheet: str | None,
                   on_note: Callable[[str], None] | None = None) -> PlainWorklist | None:
    """The lane ready to give its results, or None where it does not run (see the module's doc)."""
    if engine is None or any(book.inputs[n].type not in _SCALAR for n in engine.names if n in book.inputs):
        return None
    found = plain_file(book, source, ignore, sheet)
    if found is None:
        return None
    return prepared(PlainWorklist(book, engine, *found, ignore, as_of), engine.duckdb.Error, on_note)


__all__ = ["PlainWorklist", "plain_worklist"]
