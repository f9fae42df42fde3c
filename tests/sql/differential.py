"""The differential harness: the same cases decided by the row engine and by the SQL.

Cases are typed answers (as the engine coerces them), drawn by hypothesis with
the values rules turn on: every enum value, yes, no and not known, numbers at
and around the rulebook's own limits, dates around ``as_of``, the rulebook's
intervals, month ends and bank holidays, and blanks. The row engine decides each
through the caseload path (``caseload.run.decide``) and its CSV row
(``caseload.output.Formatter``); the SQL's row must be the same, cell for cell,
except ``where``, which the SQL does not give (a table's rows have no place in a file).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import holidays
from hypothesis import strategies as st

from policyengine.caseload.output import Formatter
from policyengine.caseload.records import Record
from policyengine.caseload.run import decide
from policyengine.engine.candidates import _boundaries
from policyengine.engine.dates import Interval
from policyengine.sql.inputs import member_column, table_columns

AS_OF = dt.date(2026, 11, 24)


def rulebook_head(id_: str, title: str) -> str:
    """A small test rulebook's metadata and its case_id, before the test's own inputs."""
    return (f"rulebook:\n  id: {id_}\n  title: {title}\n  council: Test Council\n  version: \"1\"\n"
            "  effective_from: 2026-01-01\n  review_by: 2999-01-01\n  sources: {g: {title: Guide}}\n"
            "inputs:\n  case_id: {type: string, required: true, question: 'Case?'}\n")
SKIPPED = ("where",)


def _dates(book) -> list[dt.date]:
    """Days where dated rules turn: around as_of and the rulebook's intervals from it,
    the rulebook's own dates, month ends, and bank holidays near them."""
    found = _boundaries(book)
    days = {AS_OF, *found["dates"]}
    for interval in found["intervals"]:
        for sign in (-1, 1):
            try:
                days.add(book.calendar.add(AS_OF, Interval(sign * interval.count, interval.unit)))
            except (OverflowError, ValueError):
                continue
    for year in (2025, 2026, 2027):
        for month in (1, 2, 3, 8, 12):
            end = dt.date(year, month % 12 + 1, 1) - dt.timedelta(days=1) if month != 12 else dt.date(year, 12, 31)
            days.add(end)
        days.update(d for d in holidays.country_holidays("GB", subdiv="ENG", years=year))
    days.add(dt.date(2024, 2, 29))
    near = {d + dt.timedelta(days=k) for d in days for k in (-1, 0, 1)}
    return sorted(d for d in near if dt.date(1950, 1, 1) <= d <= dt.date(2060, 12, 31))


def _numbers(book, spec) -> list[int]:
    found = _boundaries(book)
    named = {v for v in found["named"].get(spec.name, set()) if isinstance(v, int) and not isinstance(v, bool)}
    edges = {v + d for v in found["integers"] | named for d in (-1, 0, 1)} | {0, 1}
    low = spec.minimum if spec.minimum is not None else -10**6
    high = spec.maximum if spec.maximum is not None else 10**6
    return sorted(e for e in edges if low <= e <= high and abs(e) <= 10**6) or [low]


def _texts(book, spec) -> list[str]:
    named = sorted(v for v in _boundaries(book)["named"].get(spec.name, set()) if isinstance(v, str))
    return [*named, "some text", "", "  "]


def answers(book, name: str) -> st.SearchStrategy:
    """One input's answer: a typed value, or None for a blank."""
    spec = book.inputs[name]
    if spec.type == "boolean":
        given = st.booleans()
    elif spec.type == "enum":
        given = st.sampled_from(spec.values)
    elif spec.type == "integer":
        given = st.sampled_from(_numbers(book, spec))
    elif spec.type == "date":
        given = st.sampled_from(_dates(book))
    elif spec.type == "list":
        given = st.lists(st.sampled_from(spec.values), unique=True).map(
            lambda chosen, order=spec.values: [v for v in order if v in chosen])
    else:
        given = st.sampled_from(_texts(book, spec))
    if spec.required:  # left blank only now and then, by `caseloads`: a refusal
        return given
    # A blank is "not known", "not recorded" or the default.
    return st.one_of(given, given, given, st.none())


def caseloads(book, *, max_rows: int = 12) -> st.SearchStrategy:
    """A list of cases, each a dict of answers (None: left blank), with distinct case ids;
    about one case in ten leaves a required answer blank."""
    fields = {name: answers(book, name) for name in book.inputs if name != "case_id"}
    required = [n for n, spec in book.inputs.items() if spec.required and n != "case_id"]
    one = st.fixed_dictionaries(fields)
    if required:
        one = st.tuples(one, st.integers(0, 10 * len(required) - 1)).map(
            lambda pair: {**pair[0], **({required[pair[1]]: None} if pair[1] < len(required) else {})})
    return st.lists(one, min_size=1, max_size=max_rows).map(
        lambda cases: [{"case_id": f"C{i + 1:03d}", **case} for i, case in enumerate(cases)])


def table_rows(book, cases: list[dict]) -> list[tuple]:
    """The cases as rows of the caseload table's columns."""
    rows = []
    for case in cases:
        row = []
        for column, _ in table_columns(book.inputs):
            row.append(_cell(book, case, column))
        rows.append(tuple(row))
    return rows


def _cell(book, case: dict, column: str):
    if column in book.inputs:
        return case.get(column)
    for name, spec in book.inputs.items():
        if spec.type == "list":
            for value in spec.values:
                if member_column(name, value) == column:
                    chosen = case.get(name)
                    return None if chosen is None else value in chosen
    raise KeyError(column)


def engine_rows(book, cases: list[dict]) -> list[list[str]]:
    """The row engine's CSV rows for the cases, without the columns the SQL does not give."""
    formatter = Formatter(book, AS_OF, "csv")
    keep = [i for i, c in enumerate(formatter.columns()) if c not in SKIPPED]
    rows = []
    for i, case in enumerate(cases):
        raw = {k: v for k, v in case.items() if v is not None}
        result = decide(book, Record(f"row {i + 2}", raw, False), AS_OF)
        row = formatter.row(result)
        rows.append([_text(row[j]) for j in keep])
    return rows


def _text(value) -> str:
    return str(value) if isinstance(value, Decimal) else value


def sql_columns(book) -> list[str]:
    return [c for c in Formatter(book, AS_OF, "csv").columns() if c not in SKIPPED]
