"""What a rulebook change does to a real caseload.

Every case is evaluated against the base and the variant in one pass (at batch
speed, one record in memory at a time). For each outcome the report gives how
many cases changed, a transition table (``no → yes: 143``), the ids of the
cases affected and, for numbers and dates, how far they moved. Memory grows
only with the number of changed cases, for their ids.
"""
from __future__ import annotations

import datetime as _dt
import functools
import os
import statistics
from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Iterable, Sequence

from ..engine.dates import long_date
from ..engine.values import for_json
from ..engine.values import hashable
from ..formats.decision import said
from ..formats.spreadsheet import csv_cell
from .columnar import check_engine, large_file
from .duplicates import Duplicates
from .pairs import Alike, decided_pairs
from .plain_pairs import plain_pairs
from .readers import open_caseload
from .records import Record, Result

if TYPE_CHECKING:
    from ..engine.compile import Rulebook


@dataclass
class OutcomeImpact:
    name: str
    transitions: Counter = field(default_factory=Counter)
    cases: list = field(default_factory=list)
    deltas: list = field(default_factory=list)  # numbers, or days for dates
    unit: str = ""

    @property
    def changed(self) -> int:
        return len(self.cases)

    def distribution(self) -> dict | None:
        if not self.deltas:
            return None
        return {"unit": self.unit, "min": min(self.deltas), "median": statistics.median(self.deltas),
                "max": max(self.deltas), "mean": round(statistics.fmean(self.deltas), 2)}


@dataclass
class Impact:
    base: object
    variant: object
    as_of: _dt.date
    cases: int = 0
    outcomes: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)   # (where, case_id, which, message); which: base, variant or both
    undecided: int = 0                           # cases with an error under either rulebook
    moved: list = field(default_factory=list)    # (case_id, outcome, base value, variant value)
    duplicates: list = field(default_factory=list)  # "row 7: the same case_id as row 3 ..."
    notes: list = field(default_factory=list)    # (source, note) on how a caseload was read

    def text(self) -> str:
        return text(self)

    def rows(self) -> list[list[str]]:
        return csv_rows(self)

    def as_dict(self) -> dict:
        return {
            "base": self.base.meta.as_dict(), "variant": self.variant.meta.as_dict(),
            "as_of": self.as_of.isoformat(), "cases": self.cases,
            "outcomes": {
                name: {"changed": o.changed,
                       "transitions": [{"from": for_json(a), "to": for_json(b), "cases": n}
                                       for (a, b), n in o.transitions.most_common()],
                       "case_ids": o.cases, "change": o.distribution()}
                for name, o in self.outcomes.items()},
            "errors": [{"where": w, "case_id": c, "rulebook": which, "error": e} for w, c, which, e in self.errors],
            "duplicates": list(self.duplicates),
        }


def _labels(sources: list[str]) -> list[str]:
    """How each caseload is named in messages: by its path, and by its place
    among the arguments too when the same path is given twice."""
    if len(sources) < 2:
        return [""] * len(sources)
    counts = Counter(sources)
    return [f"{s} (caseload {i})" if counts[s] > 1 else s for i, s in enumerate(sources, 1)]


def measure_impact(base: Rulebook, variant: Rulebook, sources: Sequence[str | os.PathLike | bytes], *,
                   as_of: _dt.date, ignore: Iterable[str] = (), engine: str = "auto") -> Impact:
    """What changing rulebook ``base`` to ``variant`` does to the caseloads in
    ``sources`` (each a path or a CSV file's bytes, as ``run_caseload`` reads
    them), case by case. ``engine`` is ``python`` (the row engine), ``duckdb``
    (each rulebook's SQL on DuckDB, the row engine for the cases it does not
    decide exactly: ``caseload.pairs``, and ``caseload.plain_pairs`` for a plain
    CSV file, which DuckDB reads itself) or ``auto`` (the default: DuckDB for a
    plain CSV file of at least ``columnar.AUTO_BYTES``, where it is faster, the
    row engine for every other caseload); the report is the same."""
    if isinstance(sources, (str, bytes, bytearray, os.PathLike)):
        raise TypeError("measure_impact takes a list of caseloads, even of one")
    check_engine(engine, auto=True)
    return measure(base, variant, list(sources), as_of, ignore, engine)


def measure(base: Rulebook, variant: Rulebook, sources: list, as_of: _dt.date,
            ignore: Iterable[str] = (), engine: str = "python") -> Impact:
    shared = [o for o in base.outcomes if o in variant.outcomes]
    union = SimpleNamespace(inputs={**base.inputs, **variant.inputs}, elements=[*base.elements, *variant.elements])
    result = Impact(base, variant, as_of, outcomes={o: OutcomeImpact(o) for o in shared})
    repeats = Duplicates()
    names = [f"<caseload {i}>" if isinstance(s, (bytes, bytearray)) else os.fspath(s)
             for i, s in enumerate(sources, 1)]
    ignore = frozenset(ignore)
    engines: list = []  # each rulebook's DuckDB engine, made once for every caseload
    for source, name, label in zip(sources, names, _labels(names)):
        noted = functools.partial(_note, result.notes, label or name)
        lane = None
        if engine == "duckdb" or engine == "auto" and large_file(source):
            lane = plain_pairs(base, variant, source, as_of=as_of, ignore=ignore, union=union, engines=engines,
                               on_note=noted)
        if lane is not None:  # a plain CSV file, read and decided by DuckDB itself
            result.notes.extend((label or name, note) for note in lane.notes)
            pairs = lane.pairs(label, on_note=noted)
        else:
            records = open_caseload(union, source, ignore=ignore, name=name)
            result.notes.extend((label or name, note) for note in records.notes)
            pairs = decided_pairs(base, variant, records, as_of, label, engine="python" if engine == "auto" else engine,
                                  on_note=noted, engines=engines)
        for record, a, b in pairs:
            compare(result, shared, record, a, b, repeats, label)
    result.duplicates = repeats.report()
    return result


def _note(notes: list, source: str, note: str) -> None:
    notes.append((source, note))


def compare(result: Impact, shared: list[str], record: Record, a: Result | Alike, b: Result | None,
            repeats: Duplicates, label: str) -> None:
    """Count one case, decided as ``a`` under the base and ``b`` under the variant: its errors
    (one, under both, where both rulebooks refuse it alike), else each shared outcome it moves."""
    result.cases += 1
    if isinstance(a, Alike):  # decided alike under both rulebooks, found so in SQL: only counted
        repeats.add(a.case_id, record.where, label)
        return
    repeats.add(a.case_id if a.case_id is not None else b.case_id, record.where, label)
    failed = [(which, r) for which, r in (("base", a), ("variant", b)) if r.values is None]
    if len(failed) == 2 and (a.error, a.field) == (b.error, b.field):
        failed = [("both", a)]  # one broken row is one problem, not one per rulebook
    for which, r in failed:
        result.errors.append((r.where, r.case_id, which, r.error))
    if failed:
        result.undecided += 1
        return
    for name in shared:
        old, new = a.values[name], b.values[name]
        if old == new:
            continue
        entry = result.outcomes[name]
        entry.transitions[hashable(old), hashable(new)] += 1
        entry.cases.append(a.case_id)
        result.moved.append((a.case_id, name, old, new))
        if isinstance(old, _dt.date) and isinstance(new, _dt.date):
            entry.deltas.append((new - old).days)
            entry.unit = "days"
        elif type(old) in (int, float) and type(new) in (int, float):
            entry.deltas.append(new - old)


def text(impact: Impact, *, max_ids: int = 20) -> str:
    b, v = impact.base.meta, impact.variant.meta
    out = [f"Impact of {v.id} {v.version} against {b.id} {b.version}",
           f"{impact.cases} cases, as of {long_date(impact.as_of)}", ""]
    unchanged = []
    labels = impact.variant.labels  # the variant names what it decides; a value only the base gives is humanised
    for name, o in impact.outcomes.items():
        if not o.changed:
            unchanged.append(labels.of(name))
            continue
        out.append(f"{labels.of(name)}: {o.changed} case{'s change' if o.changed != 1 else ' changes'}")
        for (a, c), n in o.transitions.most_common():
            out.append(f"  {said(labels, name, a)} → {said(labels, name, c)}: {n}")
        dist = o.distribution()
        if dist:
            unit = f" {dist['unit']}" if dist["unit"] else ""
            out.append(f"  change: min {dist['min']}{unit}, median {dist['median']}{unit}, "
                       f"max {dist['max']}{unit}, mean {dist['mean']}{unit}")
        shown = ", ".join(o.cases[:max_ids])
        more = f" and {o.changed - max_ids} more" if o.changed > max_ids else ""
        out.append(f"  cases: {shown}{more}")
        out.append("")
    out.append(f"unchanged: {', '.join(unchanged) if unchanged else 'none'}")
    if impact.duplicates:
        out.append("")
        out.append(f"repeated case ids ({len(impact.duplicates)}):")
        out.extend(f"  {line}" for line in impact.duplicates[:max_ids])
        if len(impact.duplicates) > max_ids:
            out.append(f"  and {len(impact.duplicates) - max_ids} more")
    if impact.errors:
        out.append("")
        out.append(f"could not be decided ({impact.undecided}):")
        out.extend(f"  {w}{f' (case {c})' if c else ''} under {_under(which)}: {e}"
                   for w, c, which, e in impact.errors)
    return "\n".join(out) + "\n"


def _under(which: str) -> str:
    return "both rulebooks" if which == "both" else f"the {which}"


def csv_rows(impact: Impact) -> list[list[str]]:
    rows = [["case_id", "outcome", "base", "variant"]]
    rows.extend([c, name, csv_cell(a), csv_cell(b)] for c, name, a, b in impact.moved)
    return rows
