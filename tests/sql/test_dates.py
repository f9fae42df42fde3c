"""Date arithmetic in SQL is the row engine's, on every database the tests run:
calendar months and years clamp at the month's end, and working days count
England's bank holidays from the calendar table, forwards and backwards."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlglot import exp

from policyengine.engine.dates import Interval, calendar
from policyengine.engine.sqlvalues import SqlValue, column, lit
from policyengine.sql.calendar import DateSql, Span, calendar_rows, calendar_statements

from .conftest import duckdb

SPAN = Span(2024, 2028)
STEPS = [Interval(1, "months"), Interval(-1, "months"), Interval(12, "months"), Interval(1, "years"),
         Interval(3, "months"), Interval(14, "days"), Interval(2, "weeks"), Interval(1, "working days"),
         Interval(10, "working days"), Interval(-2, "working days"), Interval(-1, "working days")]
DAYS = [dt.date(2025, 12, 1) + dt.timedelta(days=k) for k in range(0, 400)] + [dt.date(2024, 2, 29)]


def _query(dialect: str) -> tuple[list[str], str]:
    """The calendar's statements and a query giving each day plus each step, one column a step."""
    dates = DateSql(calendar(), SPAN)
    day = SqlValue("date", column("day", "days"), nullable=False)  # `day`, as the calendar's own column
    items = [column("day", "days")]
    for i, step in enumerate(STEPS):
        words = str(Interval(abs(step.count), step.unit))
        every = SqlValue("interval", lit(words), nullable=False, choices=(words,))
        added = dates.add(day, every, "subtract" if step.count < 0 else "add")
        items.append(exp.alias_(added.sql, f"s{i}"))
    values = exp.Values(expressions=[exp.Tuple(expressions=[lit(d)]) for d in DAYS],
                        alias=exp.TableAlias(this=exp.to_identifier("days"), columns=[exp.to_identifier("day")]))
    query = exp.select(*items).from_(values).order_by(column("day"))
    setup = [s.sql(dialect=dialect) for s in calendar_statements(calendar(), SPAN)]
    return setup, query.sql(dialect=dialect)


def _expected() -> list[tuple]:
    cal = calendar()
    return sorted((d, *(cal.add(d, s) if s.unit != "working days" else cal.add_working_days(d, s.count)
                        for s in STEPS)) for d in DAYS)


def test_the_calendar_table_counts_working_days_as_the_engine_does():
    rows = calendar_rows(calendar(), Span(2026, 2026))
    assert rows[0] == (dt.date(2026, 1, 1), False, 0)  # New Year's Day
    assert [(d, w) for d, w, _ in rows if d == dt.date(2026, 12, 28)] == [(dt.date(2026, 12, 28), False)]  # Boxing Day substitute
    assert rows[-1][2] == sum(1 for d, w, _ in rows if w) == 253


def test_dates_add_on_duckdb_as_in_the_row_engine():
    setup, query = _query("duckdb")
    conn = duckdb.connect()
    for statement in setup:
        conn.execute(statement)
    assert conn.execute(query).fetchall() == _expected()


def test_dates_add_on_postgresql_as_in_the_row_engine(postgres):
    setup, query = _query("postgres")
    with postgres.transaction(force_rollback=True):
        for statement in setup:
            postgres.execute(statement)
        assert postgres.execute(query).fetchall() == _expected()


def test_a_month_after_the_31st_of_january_is_the_end_of_february_in_every_executed_database(postgres):
    day = SqlValue("date", lit(dt.date(2026, 1, 31)), nullable=False)
    every = SqlValue("interval", lit("1 month"), nullable=False, choices=("1 month",))
    added = DateSql(calendar(), SPAN).add(day, every, "add").sql
    assert duckdb.connect().execute(exp.select(added).sql(dialect="duckdb")).fetchone() == (dt.date(2026, 2, 28),)
    assert postgres.execute(exp.select(added).sql(dialect="postgres")).fetchone() == (dt.date(2026, 2, 28),)


def test_a_working_day_outside_the_calendar_span_is_refused_not_guessed():
    dates = DateSql(calendar(), SPAN)
    day = SqlValue("date", lit(dt.date(2030, 6, 3)), nullable=False)
    every = SqlValue("interval", lit("1 working day"), nullable=False, choices=("1 working day",))
    added = dates.add(day, every, "add")
    conn = duckdb.connect()
    for statement in calendar_statements(calendar(), SPAN):
        conn.execute(statement.sql(dialect="duckdb"))
    got = conn.execute(exp.select(added.sql, added.fault).sql(dialect="duckdb")).fetchone()
    assert got == (None, "a date is outside the working-day calendar the SQL was generated with (2024 to 2028): "
                         "generate it again with a wider span")


@pytest.mark.parametrize("text", ["25 years", "1 month", "14 days"])
def test_a_date_past_the_year_9999_is_the_row_engines_fault_not_a_database_error(text):
    day = SqlValue("date", lit(dt.date(9999, 12, 31)), nullable=False)
    added = DateSql(calendar(), SPAN).add(day, SqlValue("interval", lit(text), nullable=False, choices=(text,)), "add")
    got = duckdb.connect().execute(exp.select(added.sql, added.fault).sql(dialect="duckdb")).fetchone()
    assert got == (None, "a value is out of range (a date beyond the year 9999, or a number too large)")
