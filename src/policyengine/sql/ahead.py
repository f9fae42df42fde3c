"""What changes ahead, in SQL: the rulebook's query decided as of each day from ``as_of`` to
``as_of + within``, and each outcome's first change found by comparing every day with the first.

This is the definition ``engine.ahead.changes_ahead`` is tested against (``tests/engine/
test_ahead.py``): decide the case as of each day ``as_of + 1 .. as_of + within`` and report, for
each reported outcome, the first day its value differs from today's and what it becomes. So
``as_of`` is a column here, not a literal:

1. ``pe_scan_days``: each row of the caseload table once a day (``pe_day`` 0 .. ``within``), with its
   date as ``pe_as_of`` and ``pe_scan_order``, the order of (case, day).
2. The rulebook's query (``sql.query``) over it, as of ``pe_as_of``: one row per case and day,
   numbered densely by ``pe_row``, so the case is ``(pe_row - 1) // days`` and the day the rest.
   With ``tries``, every answer to the unanswered questions is tried on every day, as the batch
   query tries them on one (as columns of the row, ``wide``, where there are few combinations;
   else as rows: ``pe_tries``, gathered again in ``pe_decided``, and the inputs a pending outcome
   waits for, ``pe_keys``, ``pe_flips``, ``pe_needs``, found for day 0 alone, the only day whose
   ``pending`` cell is read). Without ``tries`` (for cases with every question answered)
   a row is one try, read without a GROUP BY.
3. ``pe_days``: each day's keys, ``P`` where the value is pending (and a checklist's items NULL):
   UNKNOWN as the row engine compares it, so a value that becomes pending, or a pending one that
   is decided, changes. ``pe_refer`` where the day has an error, or a ``pending`` cell the SQL
   may not give as the row engine does (``Query.inexact``).
4. ``pe_day0`` and ``pe_moved``: beside each later day's keys, the same case's on day 0, where some differ.
5. The result, a row per case: ``pe_refer`` (1 where any day refers: the row engine decides that
   case), day 0's ``pending`` and keys (``name__key``, and a checklist's ``name__item{i}``), and for
   each outcome the first day it differs (``out__on``) and its keys on that day (``out__to``,
   ``out__to{i}``).

Rows multiply by ``within + 1`` (and by the tries): the worklist uses this up to ``MAX_WITHIN`` days.
"""
from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from sqlglot import exp

from ..engine.sqlvalues import SqlValue, any_of, case, lit, unsupported
from ..engine.sqlvalues import column as col
from ..errors import Location
from .calendar import Span
from .query import ROW, Builder, Query

if TYPE_CHECKING:
    from ..engine.compile import Rulebook

#: The most days ahead the SQL scans: each case is decided once a day, so a block of cases costs
#: ``within + 1`` times a day's. Beyond it the row engine finds the changes.
MAX_WITHIN = 31
DAYS, AS_OF, ORDER, DAY, CASE = "pe_scan_days", "pe_as_of", "pe_scan_order", "pe_day", "pe_case"
#: A pending value's key in the scan (a decided one's starts ``N`` or ``V``: ``sql.text.key``).
PENDING = "P"


class _DayBuilder(Builder):
    """The rulebook's query with ``as_of`` read from each row (``pe_as_of``), not a literal."""

    def __init__(self, book: Rulebook, span: Span, reported: tuple, first: _dt.date, tries: bool) -> None:
        super().__init__(book, DAYS, None, span, ORDER, reported)
        self.as_of = col(AS_OF, ROW)
        self.values["as_of"] = SqlValue("date", self.as_of, nullable=False)
        self.first = first  # day 0: the only day whose ``pending`` cell is read
        if not tries:  # for cases with every question answered: one row a case and day
            self.unknowable = []

    def answers(self) -> exp.Select:
        return super().answers().select(exp.alias_(col(AS_OF), AS_OF, quoted=True), copy=False)

    def _answer_columns(self) -> list[str]:
        return [*super()._answer_columns(), AS_OF]

    def report(self, decided: exp.Select) -> exp.Select:
        """``pe_decided``; without tries, its values are its aggregates' own arguments, with no GROUP
        BY (grouping the text keys of every row took most of the query's time)."""
        select = super().report(decided)
        if self.unknowable:
            return select
        select.set("group", None)
        select = select.transform(lambda n: exp.Literal.number(1) if isinstance(n, exp.Count) else  # one try a row
                                  n.this if isinstance(n, (exp.Min, exp.Max, exp.Sum)) else n, copy=False)
        if any(select.find_all(exp.AggFunc)):
            raise unsupported("the worklist's scan of the days ahead cannot read `pe_decided` a row at a time",
                              Location(self.book.path))
        return select

    def keys(self, source: str) -> exp.Select:
        """``pe_keys`` of day 0 alone: the inputs a pending outcome waits for are read on day 0 only
        (a later day's pending values are compared with day 0's, not listed)."""
        return super().keys(source).where(col(AS_OF).eq(lit(self.first)), copy=False)

    def states(self, names: list[str], items: dict) -> list[exp.Expression]:
        """Each name's key (``P`` where it is pending) and its checklist's items (NULL where pending):
        what a day is compared with day 0 by, as the row engine compares UNKNOWN."""
        found: list[exp.Expression] = []
        for n in names:
            pending = exp.not_(self.settled(n))
            found.append(exp.alias_(case([(pending, lit(PENDING))], col(f"{n}__key")), f"{n}__key", quoted=True))
            found += [exp.alias_(case([(pending.copy(), exp.null())], col(f"{n}__item{i}")), f"{n}__item{i}",
                                 quoted=True) for i in range(items.get(n, 0))]
        return found


def scan_query(book: Rulebook, *, table: str, as_of: _dt.date, span: Span, order: str, within: int,
               reported: tuple = (), tries: bool = True) -> Query:
    """The query giving, for each case of ``table`` in the order of ``order``, its row of day 0 with
    ``pe_refer``, ``pending`` and each outcome's first change (see the module's doc); the caller's
    select adds day 0's ``name__key`` and ``name__item{i}`` columns. Without ``tries`` the query is
    for cases with every question answered (a case left unanswered would be decided wrongly)."""
    days = within + 1
    builder = _DayBuilder(book, span, reported, as_of, tries)
    query = builder.build()
    for cte in query.select.find_all(exp.CTE):  # read by `pe_decided` and day 0's `pe_keys`: not written out
        if cte.alias == "pe_tries":
            cte.set("materialized", False)
    names = [*book.outcomes, *query.reported]
    items = {o: len(getattr(book.producers.get(o), "items", ())) for o in book.outcomes}
    compared = {n: [f"{n}__key", *(f"{n}__item{i}" for i in range(items.get(n, 0)))] for n in names}
    per_day = query.select
    per_day.set("order", None)  # no need to sort every day: the outer query orders the cases
    inexact = exp.Coalesce(this=query.inexact.copy(), expressions=[exp.true()])
    per_day.select(col("pe_row"), *builder.states(names, items), exp.alias_(inexact, "pe_inexact", quoted=True),
                   copy=False)
    row = exp.Paren(this=exp.Sub(this=col("pe_row"), expression=lit(1)))
    refer = exp.or_(exp.NEQ(this=col("error"), expression=lit("")), col("pe_inexact"))
    scan = exp.select(exp.alias_(exp.IntDiv(this=row, expression=lit(days)), CASE, quoted=True),
                      exp.alias_(exp.Mod(this=row.copy(), expression=lit(days)), DAY, quoted=True),
                      exp.alias_(refer, "pe_refer", quoted=True), col("pending"),
                      *(col(c) for cs in compared.values() for c in cs)).from_(per_day.subquery("pe_scan", copy=False))
    outer = (exp.select(col(CASE, "z"), exp.alias_(exp.Not(this=exp.Is(this=col(CASE, "r"), expression=exp.null())),
                                                    "pe_refer", quoted=True), col("pending", "z"),
                        *(col(f"{n}__key", "z") for n in query.reported))
             .from_(exp.alias_(exp.to_table("pe_day0"), "z"))
             .join(exp.alias_(exp.to_table("pe_referred"), "r"), on=col(CASE, "r").eq(col(CASE, "z")), join_type="LEFT")
             .join(exp.alias_(exp.to_table("pe_changes"), "c"), on=col(CASE, "c").eq(col(CASE, "z")), join_type="LEFT")
             .order_by(col(CASE, "z")))
    for o in book.outcomes:
        outer.select(col(f"{o}__on", "c"), col(f"{o}__to", "c"), *(col(f"{o}__to{i}", "c") for i in range(items[o])),
                     copy=False)
    ctes = [("pe_scan_days", _days(table, order, as_of, days)), ("pe_days", scan),
            ("pe_day0", exp.select(exp.Star()).from_("pe_days").where(col(DAY).eq(lit(0)))),
            ("pe_referred", exp.select(col(CASE)).distinct().from_("pe_days").where(col("pe_refer"))),
            ("pe_moved", _moved(book.outcomes, compared)), ("pe_changes", _changes(book.outcomes, compared))]
    for name, select in ctes:  # the days are decided once, whatever reads them
        outer = outer.with_(name, as_=select, materialized=name == "pe_days" or None, copy=False)
    return Query(outer, query.uses_calendar, [], query.outcomes, query.reported)


def _moved(outcomes: list[str], compared: dict) -> exp.Select:
    """Each day after day 0 on which some outcome differs from day 0, with which do (``out__moved``)."""
    moved = {o: any_of([exp.NullSafeNEQ(this=col(c, "d"), expression=col(c, "z")) for c in compared[o]])
             for o in outcomes}
    return (exp.select(col(CASE, "d"), col(DAY, "d"), *(col(c, "d") for o in outcomes for c in compared[o]),
                       *(exp.alias_(m, f"{o}__moved", quoted=True) for o, m in moved.items()))
            .from_(exp.alias_(exp.to_table("pe_days"), "d"))
            .join(exp.alias_(exp.to_table("pe_day0"), "z"), on=col(CASE, "z").eq(col(CASE, "d")))
            .where(exp.and_(col(DAY, "d") > lit(0), any_of([m.copy() for m in moved.values()]))))


def _changes(outcomes: list[str], compared: dict) -> exp.Select:
    """Each case's first change of each outcome: its day (``out__on``) and keys then (``out__to``...)."""
    agg = exp.select(col(CASE))
    for o in outcomes:
        first = exp.Where(this=col(f"{o}__moved"))
        agg.select(exp.alias_(exp.Filter(this=exp.Min(this=col(DAY)), expression=first), f"{o}__on", quoted=True),
                   copy=False)
        for c, to in zip(compared[o], [f"{o}__to", *(f"{o}__to{i}" for i in range(len(compared[o]) - 1))]):
            agg.select(exp.alias_(exp.Filter(this=exp.ArgMin(this=col(c), expression=col(DAY)),
                                             expression=first.copy()), to, quoted=True), copy=False)
    return agg.from_("pe_moved").group_by(col(CASE))


def _days(table: str, order: str, as_of: _dt.date, days: int) -> exp.Select:
    """Each row of ``table`` once a day, with the day's date and the order of (case, day)."""
    values = exp.Values(expressions=[exp.Tuple(expressions=[lit(d), lit(as_of + _dt.timedelta(days=d))])
                                     for d in range(days)],
                        alias=exp.TableAlias(this=exp.to_identifier("pe_d"),
                                             columns=[exp.to_identifier(DAY), exp.to_identifier(AS_OF)]))
    order_of = exp.Add(this=exp.Mul(this=col(order, "pe_c"), expression=lit(days)), expression=col(DAY, "pe_d"))
    return (exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier("pe_c")),
                       exp.alias_(col(AS_OF, "pe_d"), AS_OF, quoted=True),
                       exp.alias_(order_of, ORDER, quoted=True))
            .from_(exp.alias_(exp.to_table(table), "pe_c")).join(values, join_type="CROSS"))


__all__ = ["MAX_WITHIN", "PENDING", "scan_query"]
