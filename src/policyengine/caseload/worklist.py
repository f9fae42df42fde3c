"""The manager's weekly view of a caseload, as the rulebook's `worklist:` declares.

Which outcomes are escalations, which dates are contacts or reviews, which
flags are breaches, where the actions are and what to count all come from the
rulebook; nothing here knows any council.
"""
from __future__ import annotations

import datetime as _dt
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..engine import english
from ..engine.ahead import plan
from ..engine.dates import long_date
from ..engine.evaluate import provenance
from ..engine.unknown import UNKNOWN
from ..engine.values import for_json, tally_key, words
from ..errors import Location, PolicyEngineError
from ..formats.decision import as_of_words, list_change
from ..formats.writers import json_chunks
from .columnar import check_engine, large_file
from .duplicates import Duplicates
from .readers import open_caseload
from .records import Caseload, Result
from .run import decide, decide_all
from . import worklist_sql
from .plain_worklist import plain_worklist
from .worklist_sql import decide_worklist

if TYPE_CHECKING:
    from ..engine.labels import Labels
    from ..engine.compile import Rulebook


@dataclass
class Worklist:
    as_of: _dt.date
    within: int
    escalations: list = field(default_factory=list)   # (case_id, label, date or None)
    overdue: list = field(default_factory=list)       # (case_id, label, date, days overdue)
    due_soon: list = field(default_factory=list)      # (case_id, label, date, days until due)
    changes: list = field(default_factory=list)       # (case_id, outcome, date, becomes, days until)
    changes_from: list = field(default_factory=list)  # each change's outcome before it, in the order of changes
    breaches: list = field(default_factory=list)      # (case_id, label, date or None)
    actions: list = field(default_factory=list)       # (case_id, (action, ...))
    undecided: list = field(default_factory=list)     # (case_id, {pending outcome: [inputs it waits for]})
    summary: dict = field(default_factory=dict)       # outcome -> Counter of values
    errors: list = field(default_factory=list)        # (where, case_id, message)
    duplicates: list = field(default_factory=list)    # "row 7: the same case_id as row 3 ..."
    cases: int = 0
    notes: list = field(default_factory=list)         # how the caseload was read
    book: Any = field(default=None, repr=False)       # the rulebook, for the report's title
    as_of_defaulted: bool = False                     # no date was given: as_of is the day it was built

    def text(self) -> str:
        return text(self, self.book)

    def rows(self) -> list[list[str]]:
        return csv_rows(self)

    def as_dict(self) -> dict:
        return {k: list(v) if isinstance(v, Iterator) else v for k, v in self._sections().items()}

    def json_chunks(self) -> Iterator[str]:
        """The JSON of ``as_dict()`` a piece at a time, each section's entries
        made as they are written (never the whole report in memory twice)."""
        return json_chunks(self._sections())

    def _sections(self) -> dict[str, Any]:
        """``as_dict()``, with each per-case section an iterator of its entries."""
        return {
            "as_of": self.as_of.isoformat(), "within_days": self.within, "cases": self.cases,
            "escalations": ({"case_id": c, "item": label, "date": for_json(d)} for c, label, d in self.escalations),
            "overdue": ({"case_id": c, "item": label, "due": d.isoformat(), "days_overdue": n}
                        for c, label, d, n in self.overdue),
            "due_soon": ({"case_id": c, "item": label, "due": d.isoformat(), "days_until_due": n}
                         for c, label, d, n in self.due_soon),
            "changes_ahead": ({"case_id": c, "outcome": o, "on": d.isoformat(), "becomes": for_json(v),
                               "days_until": n} for c, o, d, v, n in self.changes),
            "breaches": ({"case_id": c, "item": label, "date": for_json(d)} for c, label, d in self.breaches),
            "actions": ({"case_id": c, "actions": list(a)} for c, a in self.actions),
            "not_decided_yet": ({"case_id": c, "pending": p} for c, p in self.undecided),
            "summary": {k: {tally_key(v): n for v, n in counts.most_common()} for k, counts in self.summary.items()},
            "errors": ({"where": w, "case_id": c, "error": e} for w, c, e in self.errors),
            "duplicates": iter(self.duplicates),
        }


def names_used(book: Rulebook) -> tuple:
    """Every value the worklist reads, so parallel workers send back only these:
    the reported outcomes too, so a change ahead can be told from the value before it."""
    spec = book.worklist
    names = {"case_id", *book.outcomes}
    for item in spec.get("escalations", []) + spec.get("breaches", []):
        names.add(item["flag"])
        if item.get("date"):
            names.add(item["date"])
    names.update(item["date"] for item in spec.get("due", []))
    if spec.get("actions"):
        names.add(spec["actions"])
    names.update(spec.get("summary", []))
    return tuple(sorted(names))


def build_worklist(book: Rulebook, source: str | bytes | Caseload, *, as_of: _dt.date | None = None, within: int = 7,
                   ignore: Iterable[str] = (), jobs: int = 1, name: str | None = None,
                   sheet: str | None = None, on_note: Callable[[str], None] | None = None,
                   progress: Callable[[Iterator[Result]], Iterable[Result]] | None = None,
                   engine: str = "auto") -> Worklist:
    """The worklist of a caseload (a path, the bytes of a CSV upload named
    ``name``, or a ``Caseload``), as the rulebook's ``worklist:`` declares,
    as of ``as_of`` (left out, today, and the worklist says so).
    ``on_note`` hears how the caseload is read before any case is decided
    (and, with DuckDB, how many cases the row engine decided, once all are);
    ``progress`` may wrap the stream of results (to show a bar). ``engine`` is
    ``python`` (the row engine), ``duckdb`` (the rulebook's SQL, the row engine
    for the cases it does not decide exactly: ``caseload.worklist_sql``, and
    ``caseload.plain_worklist`` for a plain CSV file, which DuckDB reads itself;
    ``jobs`` is not used) or ``auto`` (the default: DuckDB for a plain CSV file
    of at least ``columnar.AUTO_BYTES`` with one job, where it is faster, the
    row engine otherwise); the worklist is the same."""
    check_engine(engine, auto=True)
    if not book.worklist:
        raise PolicyEngineError(f"rulebook `{book.meta.id}` declares no worklist", Location(book.path))
    defaulted, as_of = as_of is None, as_of or _dt.date.today()
    keep, ignore = names_used(book), tuple(ignore)
    lane_first = engine == "duckdb" or engine == "auto" and jobs <= 1 and large_file(source)
    made = worklist_sql.engine_for(book, as_of, within, keep, None) if lane_first else None  # (its notes:
    # decide_worklist's, after the caseload's)
    lane = plain_worklist(book, source, made, as_of=as_of, ignore=frozenset(ignore), sheet=sheet, on_note=on_note)
    if engine == "auto":  # on DuckDB only where it reads the file itself: elsewhere it is not faster
        engine = "duckdb" if lane is not None else "python"
    records = lane or open_caseload(book, source, ignore=ignore, name=name, sheet=sheet)
    for note in records.notes:  # before any case is decided
        if on_note:
            on_note(note)
    looking = (within, plan(book)) if within and engine == "duckdb" else None
    row_engine = lambda record: decide(book, record, as_of, keep, looking)  # noqa: E731
    if lane is not None:  # a plain CSV file, read and decided by DuckDB itself
        results = lane.results(row_engine, on_note)
    elif engine == "duckdb":
        results = decide_worklist(book, records, as_of, within, keep, row_engine, on_note, engine=made)
    else:
        results = decide_all(book, records, as_of, jobs=jobs, keep=keep, ahead=within)
    wl = build(book, progress(results) if progress else results, as_of, within)
    wl.notes, wl.as_of_defaulted = list(records.notes), defaulted
    return wl


def build(book: Rulebook, results: Iterable[Result], as_of: _dt.date, within: int = 7) -> Worklist:
    spec = book.worklist
    wl = Worklist(as_of, within, book=book)
    horizon = _days_after(as_of, within)
    summary_names = spec.get("summary", [])
    wl.summary = {n: Counter() for n in summary_names}
    repeats = Duplicates()
    changes = []  # (case_id, outcome, date, becomes, days until, the value before)
    shared = _Shared()
    for result in results:
        wl.cases += 1
        repeats.add(result.case_id, result.where)
        if result.values is None:
            wl.errors.append((result.where, result.case_id, result.error))
            continue
        v, cid = result.values, result.case_id
        if result.pending:  # never silently off the list: a case waiting on answers is named with them
            wl.undecided.append((cid, shared.pending(result.pending)))
        changes.extend((cid, c.outcome, c.on, c.becomes, (c.on - as_of).days, v.get(c.outcome))
                       for c in result.changes or ())
        for item in spec.get("escalations", []):
            if _yes(v[item["flag"]]):
                wl.escalations.append((cid, item["label"], v.get(item.get("date"))))
        for item in spec.get("due", []):
            due = v[item["date"]]
            if due is None or due is UNKNOWN:
                continue
            if as_of > due:  # due on D is overdue from D+1
                wl.overdue.append((cid, item["label"], due, (as_of - due).days))
            elif due <= horizon:
                wl.due_soon.append((cid, item["label"], due, (due - as_of).days))
        for item in spec.get("breaches", []):
            if _yes(v[item["flag"]]):
                wl.breaches.append((cid, item["label"], v.get(item.get("date"))))
        if spec.get("actions") and _yes(v[spec["actions"]]):
            wl.actions.append((cid, shared.actions(v[spec["actions"]])))
        for name in summary_names:
            value = v[name]
            wl.summary[name][tuple(value) if isinstance(value, list) else value] += 1
    wl.duplicates = repeats.report()
    wl.overdue.sort(key=lambda r: (-r[3], r[0]))
    wl.due_soon.sort(key=lambda r: (r[2], r[0]))
    order = {name: i for i, name in enumerate(book.outcomes)}
    changes.sort(key=lambda r: (r[2], r[0], order[r[1]]))
    wl.changes, wl.changes_from = [r[:5] for r in changes], [r[5] for r in changes]
    return wl


class _Shared:
    """One object for each distinct list of actions and each distinct set of
    pending outcomes: most cases share a few, so the worklist holds a
    reference per case, not a copy (a case's entry arrives anew from a
    ``--jobs`` worker). The shared pending dicts are read, never changed."""

    def __init__(self) -> None:
        self._actions: dict[tuple, tuple] = {}
        self._pending: dict[tuple, dict] = {}

    def actions(self, items: Iterable[str]) -> tuple:
        items = tuple(items)
        return self._actions.setdefault(items, items)

    def pending(self, pending: dict) -> dict:
        key = tuple((outcome, tuple(names)) for outcome, names in pending.items())
        found = self._pending.get(key)
        if found is None:
            found = self._pending[key] = {outcome: list(names) for outcome, names in key}
        return found


def still_needed(pending: dict) -> list[str]:
    """The answers a case's pending outcomes wait for, each once, in the order first needed."""
    return list(dict.fromkeys(name for names in pending.values() for name in names))


def _yes(value: Any) -> bool:
    """A flag that is set; a pending one (not known) is not listed as set."""
    return value is not UNKNOWN and bool(value)


def _days_after(day: _dt.date, days: int) -> _dt.date:
    """``day`` plus ``days``, or the last date there is when that is past 9999-12-31."""
    try:
        return day + _dt.timedelta(days=days)
    except OverflowError:
        return _dt.date.max


# -- output ------------------------------------------------------------------
#: The widest a text line grows (a table's, an action's): longer text wraps onto the lines below.
LINE = 100
#: The narrowest a table's column is made to fit ``LINE``.
NARROWEST = 20


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Rows under their headers. A table wider than ``LINE`` has its widest
    columns narrowed to fit, and a cell too long for its column wraps within
    it; a cell's own line breaks (one item each) are kept. So a long list never
    makes a line hundreds of characters wide."""
    widths = _fit([max(len(h), *(len(part) for row in rows for part in row[i].split("\n")))
                   for i, h in enumerate(headers)])
    cells = [[_wrap(cell, w) for cell, w in zip(row, widths)] for row in rows]
    line = lambda parts: "  " + "  ".join(p.ljust(w) for p, w in zip(parts, widths)).rstrip()  # noqa: E731
    out = [line(headers), line(["-" * w for w in widths])]
    for row in cells:
        out.extend(line([cell[k] if k < len(cell) else "" for cell in row]) for k in range(max(map(len, row))))
    return out


def _fit(widths: list[int]) -> list[int]:
    """Column widths narrowed until the table fits ``LINE``: the widest columns
    first, down to the next widest, so no column is cut far below the others
    (and none below ``NARROWEST``)."""
    widths = list(widths)
    while (excess := 2 + sum(widths) + 2 * (len(widths) - 1) - LINE) > 0:
        widest = max(widths)
        tied = [i for i, w in enumerate(widths) if w == widest]
        others = [w for w in widths if w < widest]
        target = max(NARROWEST, max(others, default=0), widest - -(-excess // len(tied)))
        if target >= widest:
            break
        for i in tied:
            widths[i] = target
    return widths


def _wrap(cell: str, width: int) -> list[str]:
    """A cell's lines: each of its own lines wrapped to ``width``, continued two spaces in."""
    return [part for paragraph in cell.split("\n")
            for part in textwrap.wrap(paragraph, width, subsequent_indent="  ") or [""]]


def change_words(before: Any, after: Any, say: Callable[[Any], str] = words) -> list[str]:
    """What a change ahead does to an outcome, a line each: "becomes yes"; for a
    list (a checklist's actions), each item it gains and each it loses."""
    if not (isinstance(before, list) and isinstance(after, list)):
        return [f"becomes {say(after)}"]
    gained, lost = list_change(before, after)
    return [f"gains: {say(x)}" for x in gained] + [f"loses: {say(x)}" for x in lost] or ["changes order"]


def _date(day: _dt.date | None) -> str:
    return long_date(day) if day else ""


def text(wl: Worklist, book: Rulebook) -> str:
    as_of = as_of_words(wl.as_of, wl.as_of_defaulted)
    out = [f"Worklist: {book.meta.council}: {book.meta.title}",
           f"{as_of[:1].upper()}{as_of[1:]} · {wl.cases} case{'s' if wl.cases != 1 else ''} · "
           f"due within {wl.within} days", ""]

    def section(title, headers, rows):
        out.append(f"{title} ({len(rows)})")
        out.extend(_table(headers, rows) if rows else ["  none"])
        out.append("")

    d = _date
    labels = book.labels
    section("Escalations due", ["case", "escalation", "date"],
            [[c, label, d(date)] for c, label, date in wl.escalations])
    section("Overdue, most overdue first", ["case", "item", "was due", "days overdue"],
            [[c, label, d(date), str(n)] for c, label, date, n in wl.overdue])
    section(f"Due within {wl.within} days", ["case", "item", "due", "in days"],
            [[c, label, d(date), str(n)] for c, label, date, n in wl.due_soon])
    section(f"Changes in the next {wl.within} days", ["case", "outcome", "on", "in days", "what changes"],
            [[c, labels.of(o), d(date), str(n), "\n".join(change_words(was, v, lambda x, o=o: _said(labels, o, x)))]
             for (c, o, date, v, n), was in zip(wl.changes, wl.changes_from)])
    section("Targets breached", ["case", "target", "date"],
            [[c, label, d(date)] for c, label, date in wl.breaches])
    out.extend(_actions(wl))
    section("Not decided yet: answers still needed", ["case", "still needed", "to decide"],
            [[c, ", ".join(map(labels.of, still_needed(p))), ", ".join(map(labels.of, p))] for c, p in wl.undecided])
    out.extend(_summary(wl, labels))
    return "\n".join(out) + "\n"


def _actions(wl: Worklist) -> list[str]:
    """Each case's actions, one wrapped item each."""
    out = [f"Actions ({len(wl.actions)} case{'s' if len(wl.actions) != 1 else ''})"]
    if not wl.actions:
        out.append("  none")
    for cid, actions in wl.actions:
        out.append(f"  {cid}")
        out.extend(textwrap.fill(a, LINE, initial_indent="    - ", subsequent_indent="      ") for a in actions)
    return [*out, ""]


def _summary(wl: Worklist, labels: Labels) -> list[str]:
    """The counts, then repeated case ids and the cases that could not be decided."""
    decided = wl.cases - len(wl.errors)
    out = ["Summary", f"  cases: {wl.cases} ({decided} decided, {len(wl.errors)} could not be decided)"]
    for name, counts in wl.summary.items():
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], tally_key(kv[0])))
        parts = ", ".join(f"{_said(labels, name, v)} {n}" for v, n in ordered)
        out.append(f"  {labels.of(name)}: {parts or 'none'}")
    if wl.duplicates:
        out.append("")
        out.append(f"Repeated case ids ({len(wl.duplicates)})")
        out.extend(f"  {line}" for line in wl.duplicates)
    if wl.errors:
        out.append("")
        out.append(f"Could not be decided ({len(wl.errors)})")
        out.extend(f"  {where}{f' (case {c})' if c else ''}: {e}" for where, c, e in wl.errors)
    return out


def _said(labels: Labels, name: str, value: Any) -> str:
    """An outcome's value in the worklist's text: a named value by its label, else in a few words."""
    if isinstance(value, str) and value and " " not in value:
        return english.value(labels, name, value)
    if isinstance(value, tuple) and all(isinstance(v, str) and " " not in v for v in value):
        return english.value(labels, name, list(value))
    if isinstance(value, _dt.date):
        return long_date(value)
    return tally_key(value) if not isinstance(value, list) else words(value)


def csv_rows(wl: Worklist) -> list[list[str]]:
    return sheet_rows(wl, typed=False)


def sheet_rows(wl: Worklist, *, typed: bool = True) -> list[list[Any]]:
    """The worklist as rows under one header; ``typed`` keeps dates and day
    counts as values (for XLSX), else ISO dates and digits (for CSV)."""
    d = (lambda x: x or "") if typed else (lambda x: x.isoformat() if x else "")  # noqa: E731
    n = (lambda x: x) if typed else str  # noqa: E731
    rows: list[list[Any]] = [["section", "case_id", "item", "date", "days"]]
    for c, label, date in wl.escalations:
        rows.append(["escalation", c, label, d(date), ""])
    for c, label, date, days in wl.overdue:
        rows.append(["overdue", c, label, d(date), n(days)])
    for c, label, date, days in wl.due_soon:
        rows.append(["due_soon", c, label, d(date), n(days)])
    for (c, o, date, v, days), was in zip(wl.changes, wl.changes_from):
        rows.append(["change", c, f"{o} {'; '.join(change_words(was, v, _iso_words))}", d(date), n(days)])
    for c, label, date in wl.breaches:
        rows.append(["breach", c, label, d(date), ""])
    for c, actions in wl.actions:
        rows.extend(["action", c, a, "", ""] for a in actions)
    for c, pending in wl.undecided:
        rows.append(["not_decided_yet", c, f"{' '.join(still_needed(pending))} (to decide: {', '.join(pending)})",
                     "", ""])
    for name, counts in wl.summary.items():
        rows.extend(["summary", "", f"{name}={tally_key(v)}", "", n(count)] for v, count in counts.items())
    rows.extend(["error", c or "", f"{where}: {e}", "", ""] for where, c, e in wl.errors)
    rows.extend(["duplicate", "", line, "", ""] for line in wl.duplicates)
    return rows


def _iso_words(value: Any) -> str:
    """A value in a spreadsheet's words: as in text, but a date stays ISO, as in every other cell."""
    return value.isoformat() if isinstance(value, _dt.date) else words(value)


def about_rows(wl: Worklist) -> list[list[Any]]:
    """An XLSX worklist's second sheet: what the worklist was made from and by."""
    book = wl.book
    rows: list[list[Any]] = [["about", "value"], ["as_of", wl.as_of], ["within_days", wl.within],
                             ["cases", wl.cases], ["could_not_be_decided", len(wl.errors)]]
    if book is not None:
        rows.extend([k, v] for k, v in provenance(book).items())
    rows.extend(["note", note] for note in wl.notes)
    return rows
