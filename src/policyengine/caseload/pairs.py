"""Each case of a caseload decided under two rulebooks (``impact``), in input order.

The records are read once, through the union of both rulebooks' inputs; each rulebook sees only
its own fields. With ``engine="python"`` the row engine decides each record under the base, then
under the variant. With ``engine="duckdb"``, a block of ``columnar.BLOCK`` records at a time:

1. Each rulebook's DuckDB engine (``columnar.DuckEngine``) coerces the block's records with its own
   coercers and loads the cases it can decide (``values``: None for the row engine's cases).
2. The base's query runs on its engine, and its keys (each outcome's value as text that tells
   every two values apart, and a checklist's items) go to a Parquet file, by the case's index.
3. The variant's query runs on its engine, joined to that file by the index: only the cases it
   does not find decided alike come back to Python (an outcome whose keys differ, an error on
   either side, a case only one engine decided). Keys are compared in SQL only for an outcome
   both rulebooks read back alike (the same kind, choices and checklist items); otherwise every
   case comes back, and Python compares the values.
4. A case that came back is read from its keys (``DuckEngine._outcomes``), or decided by the row
   engine where its engine could not (an error in SQL, a record it refused); a case decided alike
   is yielded as ``Alike``, which ``impact`` counts and never compares again.

A rulebook the SQL cannot express is decided wholly by the row engine, with a note, as ``batch``
says it; the other still runs on DuckDB. A caseload that is a plain CSV file is not read here
but by DuckDB itself (``plain_pairs``), which gives the same pairs.
"""
from __future__ import annotations

import datetime as _dt
import os
import tempfile
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple

from sqlglot import exp

from ..engine.sqlvalues import lit
from .columnar import BLOCK, SEQ, TABLE, DuckEngine, engine_for
from .records import Record, Result, blocks
from .run import decide

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

RESULT, KEPT = "pe_result", "pe_base"  # an engine's query over the block loaded; the base's keys, by index
WHICH = ("base", "variant")


class Alike(NamedTuple):
    """A case decided on DuckDB under both rulebooks, every shared outcome alike: its id."""

    case_id: str | None


def decided_pairs(base: Rulebook, variant: Rulebook, records: Iterable[Record], as_of: _dt.date, label: str = "",
                  *, engine: str = "python", on_note: Callable[[str], None] | None = None,
                  engines: list | None = None) -> Iterator[tuple[Record, Any, Any]]:
    """Each record with its result under ``base`` and under ``variant`` (two ``Result``), or, on
    DuckDB, ``Alike`` and None where both decide it alike. A result's place is named with
    ``label`` (the caseload's, when ``impact`` reads several). ``engines``: each rulebook's DuckDB
    engine, made already (by ``plain_pairs``), else made here."""
    books = (base, variant)
    if engine == "python":
        for record in records:
            yield (record, *(decide(book, own(book, record, label), as_of) for book in books))
        return
    notes = [_noted(on_note, which, book) for which, book in zip(WHICH, books)]
    if not engines or not all(engines):
        engines = [engine_for(book, as_of, note) for book, note in zip(books, notes)]
    pair = _Pair(books, engines, as_of)
    with tempfile.TemporaryDirectory(prefix="policyengine-impact-") as folder:
        for block in blocks(records, BLOCK):
            yield from pair.block(block, label, folder, on_note)
    say_counts(pair, notes)


def say_counts(pair: "_Pair", notes: list) -> None:
    """Each rulebook's note of the cases the row engine decided, if any."""
    for counted, note, duck in zip(pair.counts, notes, pair.engines):
        if duck is not None and counted[1] and note:
            note(f"--engine duckdb: {counted[1]:,} of {counted[0] + counted[1]:,} cases were decided by the row "
                 "engine (records that could not be read, refused or unanswered answers, errors)")


def own(book: Rulebook, record: Record, label: str) -> Record:
    """The record as ``book`` reads it: only the fields it declares (a field only the other
    rulebook declares is not this one's), its place named with ``label``."""
    raw = record.raw
    if isinstance(raw, dict) and not raw.keys() <= book.inputs.keys():
        raw = {k: v for k, v in raw.items() if k in book.inputs}
    elif not label:
        return record
    return Record(f"{label} {record.where}" if label else record.where, raw, record.text, record.problem)


class _Pair:
    """The base's and the variant's engines (None: the row engine decides every case), deciding
    blocks of records; ``counts``: each rulebook's cases decided on DuckDB and by the row engine."""

    def __init__(self, books: tuple, engines: list[DuckEngine | None], as_of: _dt.date) -> None:
        self.books, self.engines, self.as_of = books, engines, as_of
        self.counts = [[0, 0], [0, 0]]
        #: Both rulebooks read a case alike (the same inputs): it is read, coerced and written once.
        self.alike = books[0].inputs == books[1].inputs and all(engines)
        self.joined, self.viewed = None, False
        if all(engines):
            self.joined = _joined(*engines, _comparable(*engines)).sql(dialect="duckdb")

    def block(self, block: list[Record], label: str, folder: str, on_note) -> Iterator[tuple]:
        owned = [[own(book, r, label) for r in block] for book in self.books[:2 - self.alike]]
        values = [[e.values(r) for r in rs] if e else [None] * len(rs) for e, rs in zip(self.engines, owned)]
        if self.alike:
            owned.append(owned[0])
            values.append(values[0])
        try:
            found, alike = self._decide(values, folder)
        except tuple({e.duckdb.Error for e in self.engines if e}) as exc:  # never expected: said, and the row
            found, alike = ({}, {}), set()                                     # engine decides the block
            if on_note:
                on_note(f"--engine duckdb: DuckDB failed on a block of cases ({type(exc).__name__}), which the row "
                        "engine decided")
        for i, record in enumerate(block):
            if i in alike:
                for counted in self.counts:
                    counted[0] += 1
                yield record, Alike(values[0][i]["case_id"]), None
            else:
                yield (record, *(self._result(k, found[k].get(i), owned[k][i]) for k in (0, 1)))

    def _result(self, k: int, found: dict | None, record: Record) -> Result:
        if found is None:
            self.counts[k][1] += 1
            return decide(self.books[k], record, self.as_of)
        self.counts[k][0] += 1
        outcomes, pending = found
        return Result(record.where, outcomes["case_id"], outcomes, pending=pending)

    def _decide(self, values: list[list], folder: str) -> tuple[tuple[dict, dict], set]:
        """Each rulebook's outcomes decided in SQL of the cases that came back, by index; and the
        indexes of the cases decided alike, which did not."""
        cases = [[(i, v) for i, v in enumerate(vs) if v is not None] for vs in values]
        if self.joined is None:  # one engine, or none: each decides its own cases
            return tuple(e.decide(c, folder) if e and c else {} for e, c in zip(self.engines, cases)), set()
        base, variant = self.engines
        for k, (engine, c) in enumerate(zip(self.engines, cases)):
            engine.load(c, folder, written=self.alike and k == 1)
            if not self.viewed:  # over the table loaded, whichever block is in it (binding it takes ~0.5 s)
                engine.con.sql(engine.sql).create_view(RESULT, replace=True)
        self.viewed = True
        kept = os.path.join(folder, "base.parquet")
        base.con.sql(_indexed(base).sql(dialect="duckdb")).write_parquet(kept)
        variant.con.read_parquet(kept).create_view(KEPT, replace=True)
        rows = variant.con.sql(self.joined)
        names, found, returned = rows.columns, ({}, {}), set()
        for row in rows.fetchall():
            got = dict(zip(names, row))
            returned.add(got[SEQ])
            for k, engine in enumerate(self.engines):
                side = f"{WHICH[k]}:"
                if got[side + SEQ] is not None and not got[side + "error"] and not got[side + "pe_inexact"]:
                    read = _read(engine)
                    row = tuple(got[side + n] for n in read)
                    found[k][got[SEQ]] = engine._outcomes(row, {n: i for i, n in enumerate(read)},
                                                          values[k][got[SEQ]])
        both = {i for i, _ in cases[0]}.intersection(i for i, _ in cases[1])
        return found, both - returned


def _read(engine: DuckEngine) -> list[str]:
    """The columns of the engine's result a case is read back from: its pending cell, whether that
    may not be the row engine's, and its outcomes' keys."""
    return ["pending", "pe_inexact", *_keys(engine)]


def _keys(engine: DuckEngine) -> list[str]:
    """The columns its outcomes are read back from: each one's key, and a checklist's items."""
    return [n for out in engine.book.outcomes for n in _columns(engine, out)]


def _columns(engine: DuckEngine, out: str) -> list[str]:
    return [f"{out}__key", *(f"{out}__item{i}" for i in range(len(engine.items[out])))]


def _comparable(base: DuckEngine, variant: DuckEngine) -> list[str] | None:
    """The columns whose equality in SQL is the values' equality in Python, for every outcome both
    rulebooks report (each read back alike by both), or None if one is not (every case then comes
    back, to be compared in Python)."""
    columns = []
    for out in base.book.outcomes:
        if out not in variant.book.outcomes:
            continue
        a, b = base.outcomes[out], variant.outcomes[out]
        if (a.kind, base.items[out]) != (b.kind, variant.items[out]) or \
                (a.kind == "interval" and list(map(str, a.choices or ())) != list(map(str, b.choices or ()))):
            return None
        columns.extend(_columns(base, out))
    return columns


def _indexed(engine: DuckEngine) -> exp.Select:
    """The engine's error and keys by each case's index (``SEQ``): its result's ``pe_row`` is the
    case's place among the indexes loaded."""
    places = exp.select(exp.column(SEQ), exp.alias_(exp.Window(this=exp.RowNumber(), order=exp.Order(
        expressions=[exp.Ordered(this=exp.column(SEQ))])), "pe_row")).from_(TABLE)
    return (exp.select(exp.column(SEQ, "m"), *(exp.column(n, "r", quoted=True) for n in ["error", *_read(engine)]))
            .from_(exp.alias_(exp.to_table(RESULT), "r"))
            .join(places.subquery("m"), on=exp.column("pe_row", "r").eq(exp.column("pe_row", "m"))))


def _joined(base: DuckEngine, variant: DuckEngine, compared: list[str] | None) -> exp.Select:
    """The cases not decided alike: on one side only, with an error on either, or with a compared
    column that differs (every case, when ``compared`` is None); each side's columns named
    ``base:`` or ``variant:`` and the column's name."""
    items: list[exp.Expression] = [exp.alias_(exp.Coalesce(this=exp.column(SEQ, "a"),
                                                            expressions=[exp.column(SEQ, "b")]), SEQ)]
    for side, engine in (("a", base), ("b", variant)):
        which = WHICH[side == "b"]
        items.extend(exp.alias_(exp.column(n, side, quoted=True), f"{which}:{n}", quoted=True)
                     for n in [SEQ, "error", *_read(engine)])
    a, b = (lambda n: exp.column(n, "a", quoted=True)), (lambda n: exp.column(n, "b", quoted=True))
    query = (exp.select(*items).from_(exp.alias_(exp.to_table(KEPT), "a"))
             .join(_indexed(variant).subquery("b"), on=a(SEQ).eq(b(SEQ)), join_type="full"))
    return query if compared is None else query.where(differs(compared, SEQ))


def differs(compared: list[str], seq: str) -> exp.Expression:
    """Whether a case is not decided alike, its base's columns as ``a`` and its variant's as ``b``
    (``seq`` NULL where that side did not decide it): on one side only, with an error or a pending
    outcome on either, or a ``compared`` column that differs."""
    a, b = (lambda n: exp.column(n, "a", quoted=True)), (lambda n: exp.column(n, "b", quoted=True))
    found = [exp.Is(this=a(seq), expression=exp.null()), exp.Is(this=b(seq), expression=exp.null()),
             exp.NEQ(this=a("error"), expression=lit("")), exp.NEQ(this=b("error"), expression=lit("")),
             exp.NEQ(this=a("pending"), expression=lit("")), exp.NEQ(this=b("pending"), expression=lit("")),
             a("pe_inexact"), b("pe_inexact")]  # a pending outcome's key is no value: compared in Python
    found.extend(exp.NullSafeNEQ(this=a(n), expression=b(n)) for n in compared)
    return exp.or_(*found)


def _noted(on_note: Callable[[str], None] | None, which: str, book: Rulebook) -> Callable[[str], None] | None:
    """A note on how one rulebook's cases were decided, saying which rulebook."""
    if on_note is None:
        return None
    return lambda note: on_note(f"the {which} rulebook ({book.meta.id}): {note}")
