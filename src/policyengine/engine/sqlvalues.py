"""What a construct's SQL facet works with: a value as a SQL syntax tree.

A rulebook compiles to SQL (``policyengine.sql``) from the same whitelisted
trees the row engine runs. Each value is a :class:`SqlValue`: a sqlglot
expression that is the value in SQL (NULL where Python holds None, "not
recorded"), the kind of value it is, and ``fault``: a SQL text expression that
is the row engine's own message where Python would raise (comparing a missing
value with ``<``, say), NULL where it would not. A list of an enum's values is
one boolean expression per value (``members``), since not every database has
arrays. Nothing here builds SQL from strings.

A construct's facet is ``sql(name, spec, ctx) -> {output: SqlValue}``, beside
its compile function; :class:`SqlContext` is what it may ask (expressions,
earlier values, date arithmetic), given by ``policyengine.sql``, which sits
above the engine.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..errors import Location, RulebookError


class _Expressions:
    """sqlglot's ``exp``, imported the first time SQL is built: only `policyengine sql` and the DuckDB
    engine build SQL, and importing sqlglot would cost every other command about a tenth of a second."""

    def __getattr__(self, name: str) -> Any:
        from sqlglot import exp as module

        globals()["exp"] = module  # every later use goes straight to the module
        return getattr(module, name)


if TYPE_CHECKING:
    from sqlglot import exp
else:
    exp = _Expressions()

#: The kinds of value: scalars, and "list" (``members``) and "null" (a None constant).
KINDS = ("boolean", "integer", "number", "string", "date", "interval", "list", "null")


@dataclass
class SqlValue:
    kind: str
    sql: exp.Expression | None = None
    fault: exp.Expression | None = None
    #: A list's members: each value it may hold -> a SQL boolean (never NULL).
    members: dict | None = None
    #: Whether ``sql`` may be NULL (Python's None).
    nullable: bool = True
    #: Every value it can take, where that is a short finite list known now (intervals).
    choices: tuple | None = None
    #: Only its truth is known: ``tasks and urgent`` (a list or a boolean, as Python gives
    #: it) is fit for a condition, not for use as a value. ``sql`` is then its truth.
    truth_only: bool = False


class SqlUnsupported(RulebookError):
    """A part of a rulebook the SQL compiler cannot translate exactly: refused, never approximated."""


def unsupported(message: str, loc: Location) -> SqlUnsupported:
    return SqlUnsupported(f"cannot be compiled to SQL: {message}", loc, code="sql.unsupported",
                          suggestion="run this rulebook with the row engine (`policyengine batch`)")


@dataclass
class SqlContext:
    """What a facet may use (given by ``policyengine.sql``)."""

    expr: Callable[..., SqlValue]          # expr(source, *path) -> the expression's value
    value: Callable[[str], SqlValue]       # an input's or an earlier element's value, by name
    add: Callable[[SqlValue, SqlValue, str], SqlValue]  # add(date, interval, function name)
    loc: Callable[..., Location]
    as_of: exp.Expression = field(default_factory=lambda: exp.column("as_of"))

    def refuse(self, message: str, *path: Any) -> SqlUnsupported:
        return unsupported(message, self.loc(*path))


def true() -> exp.Expression:
    return exp.true()


def false() -> exp.Expression:
    return exp.false()


def __getattr__(name: str) -> Any:
    """``TRUE``, ``FALSE`` and ``NULL``, made when first imported (by the SQL compiler), not with this module."""
    if name not in ("TRUE", "FALSE", "NULL"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(exp, name.lower())()


def lit(value: Any) -> exp.Expression:
    """A Python constant as a SQL literal (None, booleans, numbers, text, dates)."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, (int, Decimal, float)):
        return exp.Literal.number(str(value))
    if isinstance(value, _dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    return exp.Literal.string(str(value))


def const(value: Any) -> SqlValue:
    """A constant's value."""
    if value is None:
        return SqlValue("null", exp.null())
    kind = ("boolean" if isinstance(value, bool) else "integer" if isinstance(value, int) else
            "number" if isinstance(value, (Decimal, float)) else "date" if isinstance(value, _dt.date) else "string")
    return SqlValue(kind, lit(value), nullable=False)


def first_fault(*faults: exp.Expression | None) -> exp.Expression | None:
    """The first fault of several, in the order Python would meet them."""
    found = [f for f in faults if f is not None]
    if not found:
        return None
    return found[0] if len(found) == 1 else exp.Coalesce(this=found[0], expressions=found[1:])


def fault_if(condition: exp.Expression, message: str) -> exp.Expression | None:
    """The row engine's ``message`` where ``condition`` holds (None where it never can)."""
    if _is(condition, False):
        return None
    return case([(condition, exp.Literal.string(message))])


def guarded(condition: exp.Expression, fault: exp.Expression | None) -> exp.Expression | None:
    """``fault`` only where ``condition`` holds (a branch Python takes only then)."""
    if fault is None or _is(condition, False):
        return None
    return fault if _is(condition, True) else case([(condition, fault)])


def case(whens: Iterable[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None = None
         ) -> exp.Expression:
    """CASE WHEN ... END, leaving out branches that can never be taken."""
    kept = []
    for cond, then in whens:
        if _is(cond, False):
            continue
        if _is(cond, True):
            default = then
            break
        kept.append((cond, then))
    if not kept:
        return default if default is not None else exp.null()
    # built whole rather than by ``when``, which copies the CASE and both branches at each branch
    # (copies were most of the time making a rulebook's query)
    return exp.Case(ifs=[exp.If(this=cond, true=then) for cond, then in kept], default=default)


def coalesce_false(condition: exp.Expression) -> exp.Expression:
    if isinstance(condition, exp.Boolean):
        return condition
    return exp.Coalesce(this=exp.paren(condition), expressions=[false()])


def truthy(v: SqlValue) -> exp.Expression:
    """Python's ``bool(v)`` as a SQL boolean that is never NULL (None is falsy)."""
    if v.kind == "null":
        return false()
    if v.truth_only:
        return v.sql
    if v.kind == "list":
        return any_of(list((v.members or {}).values()))
    if v.kind in ("date", "interval"):
        return exp.not_(exp.Is(this=v.sql, expression=exp.null())) if v.nullable else true()
    if v.kind == "boolean":
        return coalesce_false(v.sql) if v.nullable else v.sql
    zero = exp.Literal.string("") if v.kind == "string" else exp.Literal.number(0)
    test = exp.NEQ(this=v.sql, expression=zero)
    return coalesce_false(test) if v.nullable else test


def _is(node: exp.Expression, value: bool) -> bool:
    """Whether ``node`` is the constant TRUE (or FALSE)."""
    return isinstance(node, exp.Boolean) and node.this is value


def negate(condition: exp.Expression) -> exp.Expression:
    """``NOT condition``, a constant turned over rather than written ``NOT FALSE``."""
    if isinstance(condition, exp.Boolean):
        return false() if condition.this else true()
    return exp.not_(condition)


def any_of(conditions: list[exp.Expression]) -> exp.Expression:
    """``a OR b ...``, leaving out what is surely false."""
    if any(_is(c, True) for c in conditions):
        return true()
    conditions = [c for c in conditions if not _is(c, False)]
    if not conditions:
        return false()
    return exp.or_(*conditions) if len(conditions) > 1 else conditions[0]


def all_of(conditions: list[exp.Expression]) -> exp.Expression:
    """``a AND b ...``, leaving out what is surely true."""
    if any(_is(c, False) for c in conditions):
        return false()
    conditions = [c for c in conditions if not _is(c, True)]
    if not conditions:
        return true()
    return exp.and_(*conditions) if len(conditions) > 1 else conditions[0]


def total(terms: list[exp.Expression]) -> exp.Expression:
    """The sum of ``terms`` (0 for none), bracketed."""
    return _folded(exp.Add, terms, 0)


def product(terms: list[exp.Expression]) -> exp.Expression:
    """The product of ``terms`` (1 for none), bracketed."""
    return _folded(exp.Mul, terms, 1)


def _folded(kind: type, terms: list[exp.Expression], empty: int) -> exp.Expression:
    if not terms:
        return lit(empty)
    found = terms[0]
    for term in terms[1:]:
        found = kind(this=found, expression=term)
    return exp.paren(found)


def column(name: str, table: str | None = None) -> exp.Column:
    """A column, always quoted: a rulebook's names may be SQL's keywords."""
    return exp.column(exp.to_identifier(name, quoted=True), table=table)


def is_null(v: SqlValue) -> exp.Expression:
    if v.kind == "null":
        return true()
    if v.kind == "list" or not v.nullable:
        return false()
    return exp.Is(this=v.sql, expression=exp.null())


__all__ = ["KINDS", "SqlContext", "SqlUnsupported", "SqlValue", "all_of", "any_of", "case", "coalesce_false", "column",
           "const", "fault_if", "first_fault", "guarded", "is_null", "lit", "negate", "total", "truthy", "unsupported"]
