"""The worklist's results on DuckDB (``worklist --engine duckdb``): each case's values and its
changes ahead from SQL, the row engine for every case the SQL does not decide exactly.

``build`` (``worklist.py``) reads a stream of ``Result``s, one per record in input order, holding
the values ``names_used`` lists and ``changes``, each reported outcome's first change in the
``within`` days. Here they come from ``sql.ahead.scan_query`` run by a ``DuckEngine``
(``columnar.py``: the same coercion, blocks and table): the rulebook's query decided as of every
day from ``as_of`` to ``as_of + within``, which is the day-by-day definition of a change ahead.

To the row engine (``decide``, with its changes ahead), as ``batch --engine duckdb`` sends them:
a record that could not be read, a refused or unanswered answer, and a case with an error or a
pending value on any day scanned (so its entry, error or change is exactly the row engine's).
Past ``MAX_WITHIN`` days the scan would multiply the rows too far, and every case is decided by
the row engine (said in a note). Memory is bounded by a block: ``block_size(within)`` records, so
about ``SCAN_ROWS`` rows of the scan (cases times days) in DuckDB at a time.

A case with an unanswered question goes to the row engine, whose ``pending`` column and changes
(a value may become pending on a later day) the scan does not give yet: in a generated caseload
nearly half the cases, and most of the time a worklist takes.
"""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..engine.ahead import Change
from ..engine.unknown import UNKNOWN
from ..sql.ahead import MAX_WITHIN, scan_query
from .columnar import BLOCK, DuckEngine, Unsupported, in_blocks
from .records import Record, Result

if TYPE_CHECKING:
    from ..engine.compile import Rulebook
    from ..sql.query import Query


#: Rows (cases times days) DuckDB holds at a time: memory is bounded by about this many.
SCAN_ROWS = 100_000
VIEW = "pe_worklist"


def block_size(within: int) -> int:
    """Records read at a time: ``SCAN_ROWS`` rows of the scan, at most ``BLOCK`` cases."""
    return max(1_000, min(BLOCK, SCAN_ROWS // (within + 1)))


class WorklistEngine(DuckEngine):
    """A ``DuckEngine`` whose query scans the days ahead: a block of cases to their worklist results."""

    def __init__(self, book: Rulebook, as_of: _dt.date, within: int, names: tuple) -> None:
        self.as_of, self.within, self.names = as_of, within, names
        self.reported: dict = {}
        self.viewed = False
        super().__init__(book, as_of, self._build)
        self.outcomes = {**self.outcomes, **self.reported}  # every name read back from its key

    def _build(self, book: Rulebook, **kw: Any) -> Query:
        extra = tuple(n for n in self.names if n not in book.outcomes and n not in book.inputs)
        query = scan_query(book, within=self.within, reported=extra, **kw)
        self.reported = query.reported
        return query

    def decide(self, cases: list[tuple[int, dict]], folder: str) -> dict[int, Any]:
        """Each case's (values, changes) by its index, or None where the row engine must decide it."""
        self.load(cases, folder)
        if not self.viewed:  # parsed once: planning the query is most of a small block's time
            self.con.execute(f"CREATE OR REPLACE TEMP VIEW {VIEW} AS {self.sql}")
            self.viewed = True
        rows = self.con.execute(f"SELECT * FROM {VIEW}").fetchall()
        names = [d[0] for d in self.con.description]
        at = {name: i for i, name in enumerate(names)}
        decided: dict[int, Any] = {}
        for (seq, values), row in zip(cases, rows):
            got = dict(zip(names, row))
            decided[seq] = None if got["pe_refer"] else (self._kept(row, at, got, values), self._changes(got))
        return decided

    def _kept(self, row: tuple, at: dict, got: dict, values: dict) -> dict:
        found, _ = self._outcomes(row, at, values)  # no pending: every case with an unanswered question is referred
        found.update((n, self._value(n, got[f"{n}__key"])) for n in self.reported)
        return {n: found[n] if n in found else values[n] for n in self.names}

    def _changes(self, got: dict) -> list[Change]:
        changes = []
        for out in self.book.outcomes:
            day = got[f"{out}__on"]
            if day is None:
                continue
            if self.items[out]:
                becomes: Any = [t for i, t in enumerate(self.items[out]) if got[f"{out}__to{i}"] == "yes"]
            else:
                becomes = self._value(out, got[f"{out}__to"])
            changes.append(Change(out, self.as_of + _dt.timedelta(days=day), becomes))
        return changes


def engine_for(book: Rulebook, as_of: _dt.date, within: int, names: tuple,
               on_note: Callable[[str], None] | None) -> WorklistEngine | None:
    """The worklist's DuckDB engine, or None (with a note) where every case goes to the row engine."""
    def note(reason: str) -> None:
        if on_note:
            on_note(f"--engine duckdb: {reason}; every case is decided by the row engine instead")

    if within > MAX_WITHIN:
        note(f"the SQL looks at most {MAX_WITHIN} days ahead, and --within is {within}")
        return None
    if (_dt.date.max - as_of).days < within:
        note("the days ahead run past the last date there is")
        return None
    try:
        engine = WorklistEngine(book, as_of, within, names)
    except Unsupported as exc:  # the SQL cannot express it, or a list value holds `;`
        note(str(exc))
        return None
    return engine


def decide_worklist(book: Rulebook, records: Iterable[Record], as_of: _dt.date, within: int, names: tuple,
                    decide: Callable[[Record], Result],
                    on_note: Callable[[str], None] | None = None) -> Iterator[Result]:
    """Each record's worklist result in input order: from the SQL where it decides exactly, else by
    ``decide`` (the row engine, keeping ``names`` and looking ``within`` days ahead). A case waiting
    on an answer goes to the row engine for its pending outcomes (whatever ``values`` allows)."""
    yield from in_blocks(engine_for(book, as_of, within, names, on_note), records, decide, block_size(within),
                         made=lambda record, found: Result(record.where, found[0]["case_id"], found[0],
                                                           changes=found[1]),
                         admit=lambda values: not any(x is UNKNOWN for x in values.values()),
                         why="errors today or on a day ahead", on_note=on_note)
