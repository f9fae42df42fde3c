"""Date arithmetic in SQL, exactly as ``engine.dates`` does it.

Days and weeks add days; calendar months and years clamp at the month's end
(31 January + 1 month = 28 February), which DuckDB, PostgreSQL, SQL Server,
Spark and BigQuery all do for a date plus an interval of months. Working days
join a calendar table, generated from the ``holidays`` package for the rulebook's
country and subdivision over a stated span of years: one row a day, whether it
is a working day, and ``wdi``, how many working days there are up to and
including it. Adding n working days to a day is then the working day whose
``wdi`` is the day's plus n, as ``Calendar.add_working_days`` counts; a day
outside the span is refused with a message saying so, never guessed.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from functools import lru_cache

from sqlglot import exp

from ..engine.dates import Calendar, Interval, parse_interval
from ..engine.dates import calendar as default_calendar
from ..engine.sqlvalues import SqlValue, all_of, any_of, case, first_fault, is_null, lit, negate

#: The calendar table's name and columns.
CALENDAR = "pe_calendar"
CALENDAR_COLUMNS = (("day", "DATE"), ("working", "BOOLEAN"), ("wdi", "INTEGER"))
#: Rows in one INSERT (SQL Server takes at most 1,000 rows in one VALUES list).
ROWS_PER_INSERT = 1000
OUT_OF_RANGE = "a value is out of range (a date beyond the year 9999, or a number too large)"


@dataclass(frozen=True)
class Span:
    """The years the calendar table covers, first and last included."""

    first: int
    last: int

    @property
    def start(self) -> _dt.date:
        return _dt.date(self.first, 1, 1)

    @property
    def end(self) -> _dt.date:
        return _dt.date(self.last, 12, 31)

    def outside(self) -> str:
        return (f"a date is outside the working-day calendar the SQL was generated with ({self.first} to "
                f"{self.last}): generate it again with a wider span")


def calendar_rows(calendar: Calendar, span: Span) -> list[tuple[_dt.date, bool, int]]:
    """Every day of the span: (day, is a working day, working days up to and including it)."""
    rows, count, day = [], 0, span.start
    while day <= span.end:
        working = calendar.is_working_day(day)
        count += working
        rows.append((day, working, count))
        day += _dt.timedelta(days=1)
    return rows


def calendar_statements(calendar: Calendar, span: Span, *, indexed: bool = True) -> list[exp.Expression]:
    """CREATE TABLE pe_calendar, keyed by day, the INSERTs that fill it and
    (``indexed``: where the database has indexes) an index by ``wdi``."""
    key = [exp.ColumnConstraint(kind=exp.PrimaryKeyColumnConstraint())]
    schema = exp.Schema(this=exp.to_table(CALENDAR), expressions=[
        exp.ColumnDef(this=exp.to_identifier(name), kind=exp.DataType.build(kind),
                      constraints=key if name == "day" else None) for name, kind in CALENDAR_COLUMNS])
    statements: list[exp.Expression] = [exp.Create(this=schema, kind="TABLE")]
    rows = calendar_rows(calendar, span)
    for i in range(0, len(rows), ROWS_PER_INSERT):
        values = exp.Values(expressions=[exp.Tuple(expressions=[lit(d), lit(w), lit(n)])
                                         for d, w, n in rows[i:i + ROWS_PER_INSERT]])
        statements.append(exp.Insert(this=exp.to_table(CALENDAR), expression=values))
    if indexed:
        statements.append(exp.Create(this=exp.Index(this=exp.to_identifier(f"{CALENDAR}_wdi"),
                                                    table=exp.to_table(CALENDAR),
                                                    params=exp.IndexParameters(columns=[exp.column("wdi")])),
                                     kind="INDEX"))
    return statements


class DateSql:
    """``add``, ``subtract`` and ``is_working_day`` over SQL values; notes whether the calendar is used."""

    def __init__(self, calendar: Calendar, span: Span) -> None:
        self.calendar, self.span = calendar, span
        self.uses_calendar = False

    def add(self, day: SqlValue, every: SqlValue, function: str) -> SqlValue:
        """``day`` plus (``subtract``: minus) the interval ``every`` (one of its ``choices``)."""
        sign = -1 if function == "subtract" else 1
        if day.kind == "null" or every.kind == "null":
            return SqlValue("date", exp.null(), first_fault(day.fault, every.fault))
        whens, faults = [], []
        for text in every.choices or ():
            if text is None:
                continue
            chosen = lit(True) if len(every.choices) == 1 else exp.EQ(this=every.sql.copy(), expression=lit(text))
            try:
                step = parse_interval(str(text))
            except ValueError as exc:
                faults.append((chosen, lit(f"the value {exc}")))
                continue
            value, fault = self._plus(day.sql, Interval(sign * step.count, step.unit))
            whens.append((chosen, value))
            if fault is not None:
                faults.append((all_of([chosen, fault[0]]), fault[1]))
        missing = any_of([is_null(day), is_null(every)])
        fault = case([(negate(missing), case(faults))]) if faults else None
        return SqlValue("date", case(whens) if whens else exp.null(), first_fault(day.fault, every.fault, fault))

    def _plus(self, day: exp.Expression, step: Interval) -> tuple[exp.Expression, tuple | None]:
        """``day`` + ``step`` in SQL, and (condition, message) where Python would fail."""
        if step.unit == "working days":
            return self._working(day, step.count)
        unit, count = {"days": ("DAY", step.count), "weeks": ("DAY", 7 * step.count),
                       "months": ("MONTH", step.count), "years": ("YEAR", step.count)}[step.unit]
        added = exp.cast(exp.DateAdd(this=day.copy(), expression=exp.Literal.number(count), unit=exp.var(unit)),
                         "DATE")
        low, high = _safe(step)
        outside = exp.or_(exp.LT(this=day.copy(), expression=lit(low)), exp.GT(this=day.copy(), expression=lit(high)))
        return case([(outside, exp.null())], added), (outside, lit(OUT_OF_RANGE))

    def _working(self, day: exp.Expression, count: int) -> tuple[exp.Expression, tuple | None]:
        self.uses_calendar = True
        if count == 0:
            return day.copy(), None
        # The day is the outer query's (qualified there): these tables' own columns are always qualified.
        here = (exp.select("pe_c.wdi", "pe_c.working").from_(f"{CALENDAR} AS pe_c")
                .where(exp.column("day", "pe_c").eq(day.copy())))
        target = exp.column("wdi", "pe_h") + lit(count)
        if count < 0:
            target = exp.Add(this=target, expression=case([(exp.column("working", "pe_h"), lit(0))], lit(1)))
        found = (exp.select("pe_t.day").from_(exp.alias_(exp.paren(here), "pe_h"))
                 .join(f"{CALENDAR} AS pe_t", on=exp.and_(exp.column("working", "pe_t"),
                                                           exp.column("wdi", "pe_t").eq(target))))
        result = exp.Subquery(this=found)
        return result, (exp.Is(this=result.copy(), expression=exp.null()), lit(self.span.outside()))

    def is_working_day(self, day: SqlValue) -> SqlValue:
        self.uses_calendar = True
        found = exp.Subquery(this=exp.select("pe_c.working").from_(f"{CALENDAR} AS pe_c")
                             .where(exp.column("day", "pe_c").eq(day.sql.copy())))
        fault = case([(exp.and_(exp.not_(is_null(day)), exp.Is(this=found.copy(), expression=exp.null())),
                       lit(self.span.outside()))])
        return SqlValue("boolean", found, first_fault(day.fault, fault))


@lru_cache(maxsize=256)
def _safe(step: Interval) -> tuple[_dt.date, _dt.date]:
    """The first and last day ``step`` (not working days) can be added to without
    leaving the years 1 to 9999, found as the row engine would fail: from a guess a
    step away from each end, moved a day at a time to where adding starts to fail."""
    calendar = default_calendar()
    back = Interval(-step.count, step.unit)

    def fits(day: _dt.date) -> bool:
        try:
            calendar.add(day, step)
            return True
        except (OverflowError, ValueError):
            return False

    def edge(end: _dt.date, inward: int) -> _dt.date:
        try:
            day = calendar.add(end, back)
        except (OverflowError, ValueError):
            day = end
        day = min(max(day, _dt.date.min), _dt.date.max)
        while not fits(day):
            day += _dt.timedelta(days=inward)
        while _dt.date.min < day < _dt.date.max and fits(day - _dt.timedelta(days=inward)):
            day -= _dt.timedelta(days=inward)
        return day

    return edge(_dt.date.min, 1), edge(_dt.date.max, -1)


__all__ = ["CALENDAR", "DateSql", "Span", "calendar_rows", "calendar_statements"]
