"""Deciding a caseload on DuckDB (``batch --engine duckdb``): the rulebook compiled to SQL
(``policyengine.sql``) over each block of cases, the row engine for every case the SQL does not
decide exactly, and the results written by the same ``Formatter``, so the output is byte for byte
``--engine python``'s.

The pipeline, a block of ``BLOCK`` records at a time:

1. The records come from the same readers (``readers.open_caseload``): their pre-scan finds the
   broken quotes, short rows, bad bytes and blank rows, and a record it refuses goes to the row
   engine, which reports it as it always has.
2. Each cell is coerced by the engine's own coercers (``CaseReader``'s fast path), each distinct
   cell of a column once. A case with a cell they refuse or a required answer missing goes to the
   row engine: its result or error record is the row engine's own.
3. The other cases' coerced values are loaded into DuckDB (as typed JSON lines it reads back, so
   no text is reinterpreted; a question not known as a blank) and the rulebook's query decides
   them, trying every answer to the questions left unanswered as the row engine does. A case the
   query gives an error for is decided again by the row engine, so the error record is worded and
   placed as it is; so is a case whose pending column the query marks as perhaps not the row
   engine's (``Query.inexact``).
4. Each outcome is read back from its key (its cell's text, or ``N`` for none) as the engine's
   value, UNKNOWN where it is pending, with the inputs each pending outcome waits for read back
   from the ``pending`` cell; the results of both engines go, in input order, through the same
   ``Formatter``.

A rulebook the SQL cannot express exactly runs wholly on the row engine. Either way the user is
told on stderr (``on_note``), never in the output.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from sqlglot import exp

from ..engine.dates import parse_interval
from ..engine.unknown import UNKNOWN
from ..errors import Location, PolicyEngineError
from ..sql.calendar import Span, calendar_statements
from ..sql.inputs import member_column, table_columns
from ..sql.query import Query, build_query
from .output import Chunk, Formatter
from .records import Record, Result, blocks

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: The engines ``batch`` decides a caseload with; python (the row engine) is the default.
ENGINES = ("python", "duckdb")
#: Records loaded into DuckDB at a time: memory is bounded by about this many records and results.
BLOCK = 20_000
#: Results formatted at a time (as the row path's chunks, for the progress bar and the summary).
CHUNK = 500
#: Distinct cells of one column kept coerced; past it (a column of ids) cells are coerced each time.
MAX_CACHED = 50_000
TABLE, SEQ = "pe_caseload", "pe_seq"
_REFUSED, _BLANK = object(), object()  # a cell the engine refuses; one that answers nothing
_NOWHERE = Location(None, None, None, None)  # a refused cell's place is named by the row engine
_SQL_TYPES = {"BOOLEAN": "BOOLEAN", "BIGINT": "BIGINT", "TEXT": "VARCHAR", "DATE": "DATE"}


def streaming(select: exp.Select) -> exp.Select:
    """The query with each row numbered by its line (``pe_seq``, the file's row number) rather than
    by a window over the whole table, and its rows in no particular order: so DuckDB streams it
    instead of holding every row at once. The lane orders the lines itself, by line."""
    for cte in select.find_all(exp.CTE):
        if cte.alias != "pe_answers":
            continue
        rows = [item for item in cte.this.expressions if isinstance(item, exp.Alias) and item.alias == "pe_row"]
        if len(rows) != 1 or not isinstance(rows[0].this, exp.Window):
            raise ValueError("pe_answers does not number its rows as expected")  # never expected
        rows[0].set("this", exp.column(SEQ, quoted=True))
    select.set("order", None)
    return select


class Unsupported(Exception):
    """The rulebook cannot run on DuckDB: the reason, for a note."""


class DuckEngine:
    """A rulebook's query on an in-memory DuckDB, deciding blocks of coerced cases."""

    def __init__(self, book: Rulebook, as_of: _dt.date, build: Callable[..., Query] | None = None) -> None:
        """``build`` makes the query, with ``build_query``'s keywords (the worklist's scans the days ahead)."""
        try:
            import duckdb
        except ImportError:  # a dependency, but say so rather than fail if it is missing
            raise Unsupported("DuckDB is not installed (pip install duckdb)") from None
        self.book, self.reader, self.duckdb = book, book.reader, duckdb
        span = Span(as_of.year - 25, as_of.year + 25)
        try:
            query = (build or build_query)(book, table=TABLE, as_of=as_of, span=span, order=SEQ)
        except PolicyEngineError as exc:
            raise Unsupported(exc.message) from None
        self.outcomes, self.wide, self.as_of, self.span = query.outcomes, query.wide, as_of, span
        self.items = {o: [text for _, text in getattr(book.producers.get(o), "items", ())] for o in book.outcomes}
        if splits_apart(book, query):
            raise Unsupported("a list outcome holds a value with `;`")
        select = self._select(query, trimmed=build is None)
        self.sql = select.sql(dialect="duckdb")
        self._tree: exp.Select | None = select if build is None else None  # for ``streamed``
        self._streamed: tuple[str, str] | None = None
        self.values_of: dict[str, dict] = {o: {} for o in book.outcomes}  # each outcome's value by its key
        self.columns = [(name, _SQL_TYPES[kind]) for name, kind in table_columns(book.inputs)]
        self.con = duckdb.connect(":memory:")
        if query.uses_calendar:
            for statement in calendar_statements(book.calendar, span):
                self.con.execute(statement.sql(dialect="duckdb"))
        self.cache: dict[str, dict] = {name: {} for name in book.inputs}
        #: Questions that may be left not known and are outcomes too: the SQL reads their blank as None.
        self.unknown_outcomes = [n for n, v in self.reader.defaults.items() if v is UNKNOWN and n in book.outcomes]

    def _select(self, query: Query, trimmed: bool) -> exp.Select:
        """The query's select with each outcome's keys (None told apart from "") and a checklist's
        items; ``trimmed``: only what is read back (not the CSV's columns), and the case's place."""
        select = query.select  # (the engine's own query: changed in place)
        for out in self.book.outcomes:
            select.select(f'"{out}__key"', *(f'"{out}__item{i}"' for i in range(len(self.items[out]))), copy=False)
        if trimmed:
            select.select(exp.alias_(query.inexact.copy(), "pe_inexact", quoted=True), '"pe_row"', copy=False)
            wanted = {"error", "pending", "pe_inexact", "pe_row", *(f"{o}__key" for o in self.book.outcomes),
                      *(f"{o}__item{i}" for o in self.book.outcomes for i in range(len(self.items[o])))}
            select.set("expressions", [e for e in select.expressions if e.alias_or_name in wanted])
        return select

    def streamed(self) -> tuple[str, str]:
        """For a plain-CSV lane: ``sql`` in ``build_query``'s ``first`` form (for cases answering
        every question that may be left not known) and as it is, both rewritten by ``streaming``;
        made when first asked for, once (making the first form takes a fraction of a second)."""
        if self._streamed is None:
            if self._tree is None:
                raise ValueError("the engine's query is gone")  # never expected: made once
            first = self._select(build_query(self.book, table=TABLE, as_of=self.as_of, span=self.span, order=SEQ,
                                             first=True), trimmed=True)
            self._streamed = (streaming(first).sql(dialect="duckdb"), streaming(self._tree).sql(dialect="duckdb"))
            self._tree = None
        return self._streamed

    # -- 2: coercion --------------------------------------------------------------------------
    def values(self, record: Record) -> dict | None:
        """The case's values as the row engine reads them (``CaseReader.read``: its fast path, else
        its careful one), or None for the row engine to decide."""
        if record.problem or not isinstance(record.raw, dict):
            return None
        values = self._read(record, careful=False)
        if values is None or not self.reader._settled(values, False):
            values = self._read(record, careful=True)
            if values is None or any(values[n] is None for n in self.reader.required):
                return None
        if any(values[n] is UNKNOWN for n in self.unknown_outcomes):
            return None  # an outcome not known: the row engine gives it as such
        return values

    def _read(self, record: Record, careful: bool) -> dict | None:
        values = self.reader._fresh()
        for name, raw in record.raw.items():
            if raw is None or raw == "":
                continue
            value = self._coerce(name, raw, record.text, careful)
            if value is _REFUSED or value is UNKNOWN:
                return None
            if value is not _BLANK:
                values[name] = value
        return values

    def _coerce(self, name: str, raw: Any, text: bool, careful: bool) -> Any:
        """One cell's value, each distinct cell of a column coerced once."""
        cache = self.cache.get(name)
        if cache is None:  # not a field of the rulebook: the row engine names it
            return _REFUSED
        key = (careful, text, type(raw), raw)
        try:
            return cache[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable cell (a JSON list): coerced each time
            return self._fresh_coerce(name, raw, text, careful)
        value = self._fresh_coerce(name, raw, text, careful)
        if len(cache) < MAX_CACHED:
            cache[key] = value
        return value

    def _fresh_coerce(self, name: str, raw: Any, text: bool, careful: bool) -> Any:
        if careful:  # the careful path's own reading of one field (spaces, control characters, ...)
            got: dict = {}
            problem = self.reader._field({name: raw}, name, raw, got, _NOWHERE, text, frozenset(), False)
            return _REFUSED if problem is not None else got.get(name, _BLANK)
        try:
            return (self.reader.text_fast if text else self.reader.fast)[name](raw)
        except (ValueError, TypeError, KeyError):
            return _REFUSED

    # -- 3 and 4: the query, and its values back --------------------------------------------------
    def decide(self, cases: list[tuple[int, dict]], folder: str) -> dict[int, tuple[dict, dict | None] | None]:
        """Each case's outcomes and pending ones (``Result.pending``) by its index, or None where
        the row engine must decide it: an error, or a pending column the SQL cannot give exactly."""
        self.load(cases, folder)
        rows = self.con.execute(self.sql).fetchall()
        at = {d[0]: i for i, d in enumerate(self.con.description)}
        error, inexact = at["error"], at["pe_inexact"]
        decided: dict[int, tuple[dict, dict | None] | None] = {}
        for (seq, values), row in zip(cases, rows):
            decided[seq] = None if row[error] or row[inexact] else self._outcomes(row, at, values)
        return decided

    def load(self, cases: list[tuple[int, dict]], folder: str, *, written: bool = False) -> None:
        """The cases as the table the query reads, each with its index as ``SEQ``. ``written``: the
        file of them is in ``folder`` already (written by an engine for the same inputs)."""
        path = os.path.join(folder, "block.jsonl")
        if not written:
            with open(path, "w", encoding="utf-8") as fh:
                for seq, values in cases:
                    fh.write(json.dumps(self._row(seq, values), ensure_ascii=False, default=_iso) + "\n")
        types = ", ".join(f"'{name}': '{kind}'" for name, kind in [(SEQ, "BIGINT"), *self.columns])
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {TABLE} AS SELECT * FROM read_json('{path}', "
                         f"format = 'newline_delimited', columns = {{{types}}})")

    def _row(self, seq: int, values: dict) -> dict:
        row: dict[str, Any] = {SEQ: seq}
        for name, spec in self.book.inputs.items():
            value = values[name]
            if value is UNKNOWN:  # not known: a blank cell, as the query reads it
                row.update({member_column(name, v): None for v in spec.values} if spec.type == "list" else
                           {name: None})
            elif spec.type == "list":
                held = set(value)
                row.update((member_column(name, v), v in held) for v in spec.values)
            else:
                row[name] = value
        return row

    def _outcomes(self, row: tuple, at: dict[str, int], values: dict) -> tuple[dict, dict | None]:
        """The outcomes (UNKNOWN where pending, as the row engine holds them) and the pending ones'
        inputs, read back from the ``pending`` cell ("outcome: input1 input2; outcome2: input3")."""
        found = {"case_id": values["case_id"]}
        cell = row[at["pending"]] if "pending" in at else ""  # a query that sends every unanswered case away
        pending = {out: names.split(" ") for out, names in
                   (part.split(": ", 1) for part in cell.split("; "))} if cell else None
        for out in self.book.outcomes:
            if pending and out in pending:
                found[out] = UNKNOWN
            elif self.items[out]:
                found[out] = [t for i, t in enumerate(self.items[out]) if row[at[f"{out}__item{i}"]] == "yes"]
            else:
                found[out] = self._cached(out, row[at[f"{out}__key"]])
        return found, pending

    def _cached(self, out: str, key: str) -> Any:
        """:meth:`_value`, each distinct key of an outcome read once (a list's value is copied, never shared)."""
        known = self.values_of[out]
        if key not in known:
            value = self._value(out, key)
            if len(known) >= MAX_CACHED or isinstance(value, list):
                return value
            known[key] = value
        return known[key]

    def _value(self, out: str, key: str) -> Any:
        """The engine's value from its key: ``N`` for None, else ``V`` and the cell's text."""
        if key == "N":
            return None
        text, v = key[1:], self.outcomes[out]
        if v.kind == "boolean":
            return text == "true"
        if v.kind == "integer":
            return int(text)
        if v.kind == "date":
            return _dt.date.fromisoformat(text)
        if v.kind == "interval":
            return next(i for i in map(parse_interval, map(str, v.choices or ())) if str(i) == text)
        if v.kind == "list":
            return text.split(";") if text else []
        return text


def _iso(value: Any) -> str:
    if isinstance(value, _dt.date):
        return value.isoformat()
    raise TypeError(f"no JSON form for a {type(value).__name__}")


def engine_for(book: Rulebook, as_of: _dt.date, on_note: Callable[[str], None] | None) -> DuckEngine | None:
    """The DuckDB engine for ``book``, or None (with a note) when it cannot run there."""
    try:
        return DuckEngine(book, as_of)
    except Unsupported as exc:
        if on_note:
            on_note(f"--engine duckdb: {exc}; every case is decided by the row engine instead")
        return None


def splits_apart(book: Rulebook, query: Query) -> bool:
    """Whether a list the query reads back (an outcome, not a checklist, or a reported name) holds a
    value with `;`: its key joins the values with `;`, so that value would come back as two."""
    named = {**query.outcomes, **query.reported}
    return any(";" in str(v) for o, sv in named.items()
               if sv.kind == "list" and not getattr(book.producers.get(o), "items", ())
               for v in (sv.members or {}))


#: The smallest CSV file ``engine="auto"`` gives DuckDB (about 20,000 rows of an export): below it,
#: compiling the rulebook's SQL and loading the file (about 2 s) cost more than the row engine's time.
AUTO_BYTES = 2_000_000


def large_file(source: Any) -> bool:
    """Whether ``source`` is a file of at least ``AUTO_BYTES`` (``engine="auto"`` gives it DuckDB)."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    try:
        return os.path.getsize(source) >= AUTO_BYTES
    except OSError:
        return False


def check_engine(engine: str, *, auto: bool = False) -> None:
    """Refuse an engine by name that is not one of ``ENGINES`` (or ``auto``, where it is offered)."""
    offered = ("auto", *ENGINES) if auto else ENGINES
    if engine not in offered:
        raise ValueError(f"a caseload is decided by engine {', '.join(offered[:-1])} or {offered[-1]}, "
                         f"not {engine!r}")


def format_columnar(book: Rulebook, records: Iterable[Record], as_of: _dt.date, formatter: Formatter,
                    decide: Callable[[Record], Result],
                    on_note: Callable[[str], None] | None = None) -> Iterator[Chunk]:
    """Formatted output in input order, deciding on DuckDB what it decides exactly (see the module's
    doc) and with ``decide`` (the row engine) the rest."""
    results = decide_columnar(book, records, as_of, decide, on_note)
    for chunk in blocks(results, CHUNK):
        yield formatter.chunk(chunk)


def decide_columnar(book: Rulebook, records: Iterable[Record], as_of: _dt.date, decide: Callable[[Record], Result],
                    on_note: Callable[[str], None] | None = None) -> Iterator[Result]:
    """Each record's result in input order: on DuckDB where it decides exactly, else by ``decide``
    (the row engine). The notes say how many the row engine decided, once every record is read."""
    yield from in_blocks(engine_for(book, as_of, on_note), records, decide, BLOCK, on_note=on_note,
                         made=lambda record, found: Result(record.where, found[0]["case_id"], found[0],
                                                           pending=found[1]))


def in_blocks(engine: Any, records: Iterable[Record], decide: Callable[[Record], Result], size: int, *,
              made: Callable[[Record, Any], Result], admit: Callable[[dict], bool] = lambda values: True,
              why: str = "errors", on_note: Callable[[str], None] | None = None) -> Iterator[Result]:
    """Results in input order, ``size`` records at a time: ``engine`` (a ``DuckEngine``, or None for
    the row engine alone) decides the cases whose values it reads and ``admit`` lets through, and
    ``made(record, found)`` turns what it found into the result; ``decide`` (the row engine) decides
    the rest. A note says how many the row engine decided (``why``: the kinds of case it gets)."""
    counts: list = [0, 0]  # cases decided on DuckDB, by the row engine, then any block DuckDB failed on
    with tempfile.TemporaryDirectory(prefix="policyengine-duckdb-") as folder:
        for block in blocks(records, size):
            yield from _decide_block(engine, block, decide, folder, counts, made, admit)
    for failure in counts[2:]:
        if on_note:
            on_note(f"--engine duckdb: {failure}")
    if engine is not None and counts[1] and on_note:
        on_note(f"--engine duckdb: {counts[1]:,} of {counts[0] + counts[1]:,} cases were decided by the row engine "
                f"(records that could not be read, refused or unanswered answers, {why})")


def _decide_block(engine: Any, block: list[Record], decide: Callable[[Record], Result], folder: str, counts: list,
                  made: Callable[[Record, Any], Result], admit: Callable[[dict], bool]) -> list[Result]:
    if engine is None:
        counts[1] += len(block)
        return [decide(r) for r in block]
    read = [(i, engine.values(r)) for i, r in enumerate(block)]
    cases = [(i, v) for i, v in read if v is not None and admit(v)]
    try:
        decided = engine.decide(cases, folder) if cases else {}
    except engine.duckdb.Error as exc:  # never expected: the row engine decides the block, and it is said
        decided = {}
        counts.append(f"DuckDB failed on a block of cases ({type(exc).__name__}), which the row engine decided")
    results = []
    for i, record in enumerate(block):
        found = decided.get(i)
        if found is None:
            counts[1] += 1
            results.append(decide(record))
        else:
            counts[0] += 1
            results.append(made(record, found))
    return results


__all__ = ["AUTO_BYTES", "BLOCK", "ENGINES", "DuckEngine", "check_engine", "decide_columnar", "engine_for",
           "format_columnar", "in_blocks", "large_file", "splits_apart", "streaming"]
