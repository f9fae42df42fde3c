"""A decision table's static checks, as DMN tools make them.

Each cell's values are checked against its column's (an enum's values, yes/no).
Then every combination of the columns' test points is tried: each value of a
column with a fixed set, and for numbers, dates and text the values the cells
name, each one either side and between (any value in between is decided alike,
since the cells compare only with those). Over them: a combination no row
covers is a gap (unless the table says ``otherwise``), two rows of a ``unique``
table that both apply overlap, rows of an ``any`` table that apply together
must agree, and a row that never applies (or, in a ``first`` table, never
applies first) is dead. Columns are varied independently, so a gap may be a
combination that real cases never make: ``otherwise`` then says so.
"""
from __future__ import annotations

import datetime as _dt
import itertools
from decimal import Decimal
from math import prod
from typing import TYPE_CHECKING, Any

from ...errors import RulebookError
from .base import Context, word

if TYPE_CHECKING:
    from .tables import Row, Table

#: Most combinations of test points tried for one table; past it a note says it was not checked.
MAX_COMBINATIONS = 50_000
#: The kinds of column whose values are whole numbers ("count": a factor group's count or sum, never missing).
WHOLE = ("integer", "count")
#: Gaps and overlaps named one by one for one table.
MAX_NAMED = 5


class _Other:
    """A value of a column unlike every value its cells name."""

    def __repr__(self) -> str:
        return "any other value"


OTHER = _Other()


def check_table(table: Table, ctx: Context) -> None:
    kinds = [_column_domain(ctx, label) for label, _ in table.columns]
    if not _cells_fit(table, kinds, ctx):
        return
    axes = [_points(table, j, domain) for j, domain in enumerate(kinds)]
    if prod(len(a) for a in axes) * max(len(table.rows), 1) > MAX_COMBINATIONS * 10:
        ctx.notes.append(RulebookError(
            f"note: table `{table.name}` was not checked for gaps, overlaps and rows that never apply: its "
            f"columns have more than {MAX_COMBINATIONS:,} combinations of values to try", ctx.loc(key=True)))
        if table.otherwise is None and table.hit in ("unique", "any", "priority", "first"):
            ctx.fail(f"table `{table.name}` is too large to check that a row always applies: say what holds "
                     "when none does with `otherwise:`", key=True)
        return
    _walk(table, axes, ctx)


def _walk(table: Table, axes: list, ctx: Context) -> None:
    single = table.hit in ("unique", "any", "priority", "first")
    gaps, clashes, applied, holds = [], {}, set(), set()
    for combo in itertools.product(*axes):
        found = [i for i, row in enumerate(table.rows) if _holds(row, combo)]
        holds.update(found)
        if not found:
            if single and table.otherwise is None:
                gaps.append(combo)
            continue
        applied.update(found[:1] if table.hit == "first" else found)
        if table.hit in ("unique", "any") and len(found) > 1:
            first, second = found[0], found[1]
            if table.hit == "unique" or table.rows[first].outputs != table.rows[second].outputs:
                clashes.setdefault((first, second), combo)
    labels = [label for label, _ in table.columns]
    for combo in gaps[:MAX_NAMED]:
        ctx.fail(f"table `{table.name}` has no row for {_combo(labels, combo)}: add a row, or say what holds "
                 "when no row applies with `otherwise:`", key=True)
    if len(gaps) > MAX_NAMED:
        ctx.fail(f"table `{table.name}`: … and {len(gaps) - MAX_NAMED:,} more combinations no row covers", key=True)
    for (first, second), combo in list(clashes.items())[:MAX_NAMED]:
        what = (": a `unique` table allows one (with `hit: first`, the earlier row wins)" if table.hit == "unique"
                else " and give different answers, which an `any` table forbids")
        ctx.fail(f"rows {first + 1} and {second + 1} both apply when {_combo(labels, combo)}{what}",
                 "rows", second, key=True)
    for i in range(len(table.rows)):
        if i not in applied:
            why = "earlier rows apply first whenever it would" if i in holds else \
                "no values of its inputs make every cell hold"
            ctx.fail(f"row {i + 1} of table `{table.name}` never applies: {why}", "rows", i, key=True)


def _holds(row: Row, combo: tuple) -> bool:
    return all(cell.any or (value is not OTHER and cell.test(value)) for cell, value in zip(row.cells, combo))


def _combo(labels: list[str], combo: tuple) -> str:
    return " × ".join(f"{label} {_shown(value)}" for label, value in zip(labels, combo))


def _shown(value: Any) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, _dt.date):
        return value.isoformat()
    return repr(value) if value is OTHER else word(value)


def _column_domain(ctx: Context, label: str) -> tuple | str | None:
    """A column's fixed set of values, or the kind of value it holds ("integer", "date",
    "string"), or None when the table's cells must tell."""
    if label in ctx.domains:
        return ctx.domains[label]
    if label in ctx.kinds:
        return ctx.kinds[label]
    spec = ctx.inputs.get(label)
    return spec.type if spec is not None else None


def _cells_fit(table: Table, kinds: list, ctx: Context) -> bool:
    """Each cell names only values its column can hold; said at the cell's row."""
    ok = True
    for i, row in enumerate(table.rows):
        for j, (cell, kind) in enumerate(zip(row.cells, kinds)):
            if not isinstance(kind, tuple):
                continue
            label, shown = table.columns[j][0], [k for k in kind if k is not None]
            for value in cell.literals:
                if not any(_alike(k, value) and k == value for k in kind):
                    ctx.fail(f"row {i + 1}, input `{label}`: `{word(value)}` is not one of its values: "
                             f"{', '.join(map(word, shown))}{ctx.suggest(str(value), map(str, shown))}",
                             "rows", i, key=True)
                    ok = False
            if cell.boundaries and not all(_number(k) for k in shown):
                ctx.fail(f"row {i + 1}, input `{label}`: compares with a number or a date, but `{label}` "
                         f"holds one of {', '.join(map(word, shown))}", "rows", i, key=True)
                ok = False
    return ok


def _alike(a: Any, b: Any) -> bool:
    return type(a) is type(b) or (_number(a) and _number(b))


def _number(x: Any) -> bool:
    return isinstance(x, (int, Decimal)) and not isinstance(x, bool)


def _points(table: Table, j: int, kind: Any) -> tuple:
    """The test points of column ``j``: values at which the rows that hold can change."""
    if isinstance(kind, tuple):
        return kind
    named = [x for row in table.rows for x in (*row.cells[j].literals, *row.cells[j].boundaries)]
    numbers = sorted({x for x in named if isinstance(x, (int, Decimal)) and not isinstance(x, bool)})
    dates = sorted({x for x in named if isinstance(x, _dt.date)})
    texts = sorted({x for x in named if isinstance(x, str)})
    flags = sorted({x for x in named if isinstance(x, bool)})
    points: list[Any] = [*([] if kind == "count" else [None]), *([] if kind in WHOLE + ("date",) else [OTHER]),
                         *texts, *flags]
    if kind not in WHOLE:  # a whole-number column has nothing between n and n + 1
        points += [Decimal(a + b) / 2 for a, b in zip(numbers, numbers[1:])]
    points += [p for n in numbers for p in (n - 1, n, n + 1)]
    points += [d + _dt.timedelta(days=k) for d in dates for k in (-1, 0, 1)]
    return tuple(dict.fromkeys(points))


__all__ = ["MAX_COMBINATIONS", "OTHER", "check_table"]
