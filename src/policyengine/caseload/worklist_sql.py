"""The worklist's results on DuckDB (``worklist --engine duckdb``): each case's values, pending
outcomes and changes ahead from SQL, the row engine for every case the SQL does not decide exactly.

``build`` (``worklist.py``) reads a stream of ``Result``s, one per record in input order, holding
the values ``names_used`` lists, ``pending`` ({outcome: [inputs it waits for]}) and ``changes``,
each reported outcome's first change in the ``within`` days. Here they come from
``sql.ahead.scan_query`` run by a ``DuckEngine`` (``columnar.py``: the same coercion, blocks and
table): the rulebook's query decided as of every day from ``as_of`` to ``as_of + within``, which is
the day-by-day definition of a change ahead. Two queries: a case with every question answered is a
row a day; a case with an unanswered question is tried with every answer to it on every day, as
the row engine settles it on each day it looks at (``decided_on``), so a value that becomes
pending on a later day, or is decided, is a change as it is there.

To the row engine (``decide``, with its changes ahead), as ``batch --engine duckdb`` sends them:
a record that could not be read, a refused answer, and a case with an error on any day scanned,
or a ``pending`` cell the SQL may not give exactly (``Query.inexact``) on any day (so its entry,
error or change is exactly the row engine's). Past ``MAX_WITHIN`` days the scan would multiply the
rows too far, and every case is decided by the row engine (said in a note).

Memory is bounded by a block of ``block_size(within)`` records, cut into parts of about
``SCAN_ROWS`` rows of the scan in DuckDB at a time: a case is ``within + 1`` rows, times the
combinations of answers to its unanswered questions (at most ``MAX_COMPLETIONS``). Cases are
gathered into as few parts as hold them at that size, one query each (a query costs about
0.2 s to plan, whatever its size), so a part holds at most about 1.5 times ``SCAN_ROWS`` rows,
or one case's rows alone.

A plain CSV file (``plain_scan``) is read by DuckDB itself and typed there (``plain_worklist``):
the same two queries, over its typed rows, with the same results and notes.
"""
from __future__ import annotations

import datetime as _dt
from math import prod
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..engine.ahead import Change
from ..engine.pending import MAX_COMPLETIONS
from ..engine.unknown import UNKNOWN
from ..errors import PolicyEngineError
from ..sql.ahead import MAX_WITHIN, PENDING, scan_query
from ..sql.inputs import candidate_count
from .columnar import BLOCK, DuckEngine, Unsupported, in_blocks
from .records import Record, Result

if TYPE_CHECKING:
    from ..engine.compile import Rulebook
    from ..sql.query import Query


#: Rows (cases times days times tries) DuckDB holds at a time: memory is bounded by about this many.
SCAN_ROWS = 100_000
VIEW = "pe_worklist"


def block_size(within: int) -> int:
    """Records read at a time: ``SCAN_ROWS`` rows of the scan when every question is answered, at
    most ``BLOCK`` cases (the tries of unanswered questions are cut into parts: ``_parts``)."""
    return max(1_000, min(BLOCK, SCAN_ROWS // (within + 1)))


class WorklistEngine(DuckEngine):
    """A ``DuckEngine`` whose query scans the days ahead: a block of cases to their worklist results.
    Two queries: one for cases with every question answered (a row a case and day), one trying every
    answer to the unanswered questions of the others."""

    def __init__(self, book: Rulebook, as_of: _dt.date, within: int, names: tuple) -> None:
        self.as_of, self.within, self.names = as_of, within, names
        self.reported: dict = {}
        self.viewed: set = set()
        #: Each input's number of answers tried when it is not known (a case's tries multiply them).
        self.options = {n: candidate_count(spec) for n, spec in book.inputs.items() if spec.type in ("boolean", "list")}
        super().__init__(book, as_of, self._build)
        self.outcomes = {**self.outcomes, **self.reported}  # every name read back from its key
        self.sqls: dict[bool, str | None] = {False: self.sql, True: None}
        if self.tried is not None:  # as DuckEngine adds day 0's keys and items to the other (not copied: 0.5 s)
            select = self.tried.select
            for out in book.outcomes:
                select.select(f'"{out}__key"', *(f'"{out}__item{i}"' for i in range(len(self.items[out]))),
                              copy=False)
            self.sqls[True] = select.sql(dialect="duckdb", copy=False)

    def _build(self, book: Rulebook, **kw: Any) -> Query:
        extra = tuple(n for n in self.names if n not in book.outcomes and n not in book.inputs)
        query = scan_query(book, within=self.within, reported=extra, tries=False, **kw)
        try:
            self.tried: Query | None = scan_query(book, within=self.within, reported=extra, tries=True, **kw)
        except PolicyEngineError:  # answers the SQL cannot try (a long list): the row engine decides those cases
            self.tried = None
        self.reported = query.reported
        return query

    def decide(self, cases: list[tuple[int, dict]], folder: str) -> dict[int, Any]:
        """Each case's (values, pending, changes) by its index, or None where the row engine must
        decide it; a part of the block at a time, each about ``SCAN_ROWS`` rows of tries and days."""
        decided: dict[int, Any] = {}
        for tries, part in self._parts(cases):
            if self.sqls[tries] is None:
                continue
            self.load(part, folder)
            view = f"{VIEW}_{'tries' if tries else 'days'}"
            if view not in self.viewed:  # parsed once: planning the query is most of a small block's time
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {self.sqls[tries]}")
                self.viewed.add(view)
            rows = self.con.execute(f"SELECT * FROM {view}").fetchall()
            names = [d[0] for d in self.con.description]
            at = {name: i for i, name in enumerate(names)}
            for (seq, values), row in zip(part, rows):
                got = dict(zip(names, row))
                decided[seq] = None if got["pe_refer"] else self._found(row, at, got, values)
        return decided

    def _parts(self, cases: list[tuple[int, dict]]) -> Iterator[tuple[bool, list[tuple[int, dict]]]]:
        """The cases with every question answered, then the others (to be tried), each in as few
        parts of about ``SCAN_ROWS`` rows of the scan as hold them (at most 1.5 times it: a query
        costs about 0.2 s to plan, whatever its size). A case is a row a day for each combination
        of answers its unanswered questions could have."""
        by_tries: dict[bool, list] = {False: [], True: []}
        for seq, values in cases:
            unanswered = any(v is UNKNOWN for v in values.values())
            tries = min(MAX_COMPLETIONS, prod(self.options.get(n, 1) for n, v in values.items() if v is UNKNOWN)) \
                if unanswered else 1
            by_tries[unanswered].append((seq, values, tries))
        for tried, found in by_tries.items():
            for part in cut(found, self.within + 1):
                yield tried, [(seq, values) for seq, values, _ in part]

    def _found(self, row: tuple, at: dict, got: dict, values: dict) -> tuple[dict, dict | None, list] | None:
        """Day 0's kept values, pending outcomes and changes; None where the pending outcomes the
        ``pending`` cell names are not those whose keys say pending (never expected)."""
        found, pending = self._outcomes(row, at, values)
        if {o for o in self.book.outcomes if got[f"{o}__key"] == PENDING} != set(pending or ()):
            return None
        found.update((n, self._state(n, got[f"{n}__key"])) for n in self.reported)
        kept = {n: found[n] if n in found else values[n] for n in self.names}
        return kept, pending, self._changes(got, pending or {})

    def _state(self, name: str, key: str) -> Any:
        return UNKNOWN if key == PENDING else self._value(name, key)

    def _changes(self, got: dict, pending: dict) -> list[Change]:
        """Each outcome's first change: a day its value differs, becomes pending or is decided. An
        outcome pending on day 0 is not watched (the row engine skips it: ``changes_ahead``'s ``skip``)."""
        changes = []
        for out in self.book.outcomes:
            day = got[f"{out}__on"]
            if day is None or out in pending:
                continue
            if got[f"{out}__to"] == PENDING:
                becomes: Any = UNKNOWN
            elif self.items[out]:
                becomes = [t for i, t in enumerate(self.items[out]) if got[f"{out}__to{i}"] == "yes"]
            else:
                becomes = self._value(out, got[f"{out}__to"])
            changes.append(Change(out, self.as_of + _dt.timedelta(days=day), becomes))
        return changes


def cut(found: list[tuple[Any, Any, int]], days: int) -> Iterator[list[tuple[Any, Any, int]]]:
    """``found`` (each case's index, what is loaded of it, its tries) in as few parts of about
    ``SCAN_ROWS`` rows of the scan (tries times ``days``) as hold them, of about equal size."""
    left = sum(tries for *_, tries in found) * days
    count = max(1, round(left / SCAN_ROWS))
    part: list = []
    rows = 0
    for case in found:
        tries = case[2]
        if part and count > 1 and rows + tries * days > left / count:  # the last part takes the rest
            yield part
            left, count, part, rows = left - rows, count - 1, [], 0
        part.append(case)
        rows += tries * days
    if part:
        yield part


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
                    on_note: Callable[[str], None] | None = None,
                    engine: WorklistEngine | None = None) -> Iterator[Result]:
    """Each record's worklist result in input order: from the SQL where it decides exactly, else by
    ``decide`` (the row engine, keeping ``names`` and looking ``within`` days ahead). ``engine``: the
    worklist's engine if made already (``engine_for``'s), else it is made here."""
    made = engine or engine_for(book, as_of, within, names, on_note)
    yield from in_blocks(made, records, decide, block_size(within),
                         made=lambda record, found: Result(record.where, found[0]["case_id"], found[0],
                                                           pending=found[1], changes=found[2]),
                         why="errors today or on a day ahead", on_note=on_note)
