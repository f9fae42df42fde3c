"""Each case of a caseload decided under two rulebooks (``impact``), in input order.

The records are read once, through the union of both rulebooks' inputs; each rulebook sees only
its own fields. With ``engine="python"`` the row engine decides each record under the base, then
under the variant. With ``engine="duckdb"`` each rulebook decides the records as ``batch --engine
duckdb`` does (``columnar.decide_columnar``: its SQL on DuckDB for the cases it decides exactly,
the row engine for the rest), both streams reading the same records a block apart.
"""
from __future__ import annotations

import datetime as _dt
import itertools
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from .columnar import decide_columnar
from .records import Record, Result
from .run import decide

if TYPE_CHECKING:
    from ..engine.compile import Rulebook


def decided_pairs(base: Rulebook, variant: Rulebook, records: Iterable[Record], as_of: _dt.date, label: str = "",
                  *, engine: str = "python",
                  on_note: Callable[[str], None] | None = None) -> Iterator[tuple[Record, Result, Result]]:
    """Each record with its result under ``base`` and under ``variant``. A result's place is named
    with ``label`` (the caseload's, when ``impact`` reads several)."""
    if engine == "python":
        for record in records:
            yield record, decide(base, own(base, record, label), as_of), decide(variant, own(variant, record, label),
                                                                                  as_of)
        return
    originals, *copies = itertools.tee(records, 3)
    streams = [decide_columnar(book, (own(book, r, label) for r in copy), as_of,
                               lambda r, book=book: decide(book, r, as_of), _noted(on_note, which, book))
               for book, copy, which in zip((base, variant), copies, ("base", "variant"))]
    yield from zip(originals, *streams)
    for stream in streams:  # each to its end, for its closing notes
        for _ in stream:
            pass


def own(book: Rulebook, record: Record, label: str) -> Record:
    """The record as ``book`` reads it: only the fields it declares (a field only the other
    rulebook declares is not this one's), its place named with ``label``."""
    raw = record.raw
    if isinstance(raw, dict):
        raw = {k: v for k, v in raw.items() if k in book.inputs}
    return Record(f"{label} {record.where}" if label else record.where, raw, record.text, record.problem)


def _noted(on_note: Callable[[str], None] | None, which: str, book: Rulebook) -> Callable[[str], None] | None:
    """A note on how one rulebook's cases were decided, saying which rulebook."""
    if on_note is None:
        return None
    return lambda note: on_note(f"the {which} rulebook ({book.meta.id}): {note}")
