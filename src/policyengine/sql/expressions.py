"""A rulebook expression as SQL: the same whitelisted Jinja tree the row engine
compiles (``engine.expressions.parse``), translated node by node into a
sqlglot tree with Python's meaning exactly.

Python's meaning, not SQL's: for a case with every question answered, None
("not recorded") is falsy, ``None == None`` holds, ``x in []`` is false and
``a and b`` gives ``a`` when ``a`` is falsy; so equality is null-safe and
every condition is coalesced to false. Where Python raises (``<`` with a
missing value, arithmetic past the limit) the value carries ``fault``, the row
engine's own message, in the order Python would meet it (``and``, ``or`` and
``if`` do not evaluate what they skip). Questions not answered at all
("not known") are not NULL here: ``policyengine.sql.query`` tries each of
their answers, as the row engine does (see its doc).
"""
from __future__ import annotations

from typing import Any, Callable

from jinja2 import nodes
from sqlglot import exp

from ..engine.dates import parse_interval
from ..engine.expressions import FUNCTION_NAMES, MAX_NUMBER, chain, parse
from ..engine.sqlvalues import (FALSE, TRUE, SqlValue, SqlUnsupported, all_of, any_of, case, coalesce_false,
                                const, fault_if, first_fault, guarded, is_null, lit, negate, total, truthy, unsupported)
from ..errors import Location

_ORDER = {"lt": (exp.LT, "<"), "lteq": (exp.LTE, "<="), "gt": (exp.GT, ">"), "gteq": (exp.GTE, ">=")}
_ARITH = {"Add": (exp.Add, "+"), "Sub": (exp.Sub, "-"), "Mul": (exp.Mul, "*")}
_NUMBERS = ("integer", "number")
_PY_TYPE = {"boolean": "bool", "integer": "int", "number": "float", "string": "str", "date": "date",
            "interval": "Interval", "list": "list", "null": "NoneType"}


class ExpressionSql:
    """Translates one expression; ``value(name)`` gives each name's SqlValue."""

    def __init__(self, source: Any, loc: Location, value: Callable[[str], SqlValue],
                 add: Callable[[SqlValue, SqlValue, str], SqlValue], working_day: Callable[[SqlValue], SqlValue]
                 ) -> None:
        self.source, self.loc = source, loc
        self.value, self.add, self.working_day = value, add, working_day

    def refuse(self, message: str) -> SqlUnsupported:
        return unsupported(f"in expression `{self.source}`: {message}", self.loc)

    def run(self) -> SqlValue:
        return self.visit(parse(self.source, self.loc))

    def visit(self, node: nodes.Node) -> SqlValue:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:  # the row engine's compiler refused it already: never reached for a loaded rulebook
            raise self.refuse(f"`{type(node).__name__}` has no SQL form")
        return method(node)

    def operand(self, node: nodes.Node) -> SqlValue:
        """A value used as a value, not only tested for truth."""
        got = self.visit(node)
        if got.truth_only:
            raise self.refuse("a value that is a list or another kind, depending on the case, has no SQL form")
        return got

    # -- leaves ---------------------------------------------------------------------------------
    def visit_Const(self, node: nodes.Const) -> SqlValue:
        return const(node.value)

    def visit_Name(self, node: nodes.Name) -> SqlValue:
        return self.value(node.name)

    def visit_List(self, node: nodes.List) -> SqlValue:
        items = [i.value for i in node.items if isinstance(i, nodes.Const)]
        if len(items) != len(node.items):
            raise self.refuse("a list may hold only constants in SQL")
        return SqlValue("list", members={v: TRUE for v in items}, nullable=False, choices=tuple(items))

    visit_Tuple = visit_List

    # -- logic ----------------------------------------------------------------------------------
    def _chain(self, node: nodes.Node) -> list[SqlValue]:
        return [self.visit(item) for item in chain(node)]

    def visit_And(self, node: nodes.And) -> SqlValue:
        return self._fold(self._chain(node), is_and=True)

    def visit_Or(self, node: nodes.Or) -> SqlValue:
        return self._fold(self._chain(node), is_and=False)

    def _fold(self, terms: list[SqlValue], *, is_and: bool) -> SqlValue:
        """Python's ``a and b`` (``a`` if falsy, else ``b``) and ``a or b``, left to right."""
        result = terms[0]
        for term in terms[1:]:
            go_on = truthy(result) if is_and else negate(truthy(result))
            fault = first_fault(result.fault, guarded(go_on, term.fault))
            if result.kind == term.kind == "boolean" and not result.nullable and not term.nullable:
                joined = exp.and_(result.sql, term.sql) if is_and else exp.or_(result.sql, term.sql)
                result = SqlValue("boolean", exp.paren(joined), fault, nullable=False)
                continue
            kind = _same_kind(result, term)
            if kind is None or kind == "list" or result.truth_only or term.truth_only:
                # Values of two kinds (`tasks and urgent`): Python's answer is one or the other,
                # fit only to be tested; its truth is exact.
                joined = exp.and_(truthy(result), truthy(term)) if is_and else exp.or_(truthy(result), truthy(term))
                result = SqlValue("boolean", exp.paren(joined), fault, nullable=False, truth_only=True)
                continue
            result = SqlValue(kind, case([(go_on, _scalar(term))], _scalar(result)), fault,
                              nullable=result.nullable or term.nullable)
        return result

    def visit_Not(self, node: nodes.Not) -> SqlValue:
        inner = self.visit(node.node)
        return SqlValue("boolean", exp.not_(truthy(inner)), inner.fault, nullable=False)

    def visit_CondExpr(self, node: nodes.CondExpr) -> SqlValue:
        test = self.visit(node.test)
        yes = self.operand(node.expr1)
        no = self.operand(node.expr2) if node.expr2 is not None else const(None)
        kind = _same_kind(yes, no)
        if kind is None or kind == "list":
            raise self.refuse(f"`if` giving {yes.kind} or {no.kind} has no SQL form")
        when = truthy(test)
        fault = first_fault(test.fault, guarded(when, yes.fault), guarded(negate(when), no.fault))
        return SqlValue(kind, case([(when, _scalar(yes))], _scalar(no)), fault,
                        nullable=yes.nullable or no.nullable, choices=_union(yes.choices, no.choices))

    # -- comparisons ----------------------------------------------------------------------------
    def visit_Compare(self, node: nodes.Compare) -> SqlValue:
        left = self.operand(node.expr)
        parts: list[SqlValue] = []
        for operand in node.ops:
            right = self.operand(operand.expr)
            parts.append(self._compare(left, operand.op, right))
            left = right
        result = parts[0]
        for part in parts[1:]:  # a < b < c is (a < b) and (b < c), short-circuited
            result = SqlValue("boolean", exp.paren(exp.and_(result.sql, part.sql)),
                              first_fault(result.fault, guarded(result.sql, part.fault)), nullable=False)
        return result

    def _compare(self, a: SqlValue, op: str, b: SqlValue) -> SqlValue:
        faults = first_fault(a.fault, b.fault)
        if op in ("eq", "ne"):
            same = self._equal(a, b)
            return SqlValue("boolean", same if op == "eq" else exp.not_(same), faults, nullable=False)
        if op in ("in", "notin"):
            inside = self._contains(a, b)
            return SqlValue("boolean", inside if op == "in" else exp.not_(inside), faults, nullable=False)
        klass, word = _ORDER[op]
        if not (a.kind == b.kind and a.kind in ("integer", "number", "string", "date")
                or a.kind in _NUMBERS and b.kind in _NUMBERS):
            if "null" in (a.kind, b.kind):
                return SqlValue("boolean", FALSE, first_fault(
                    faults, exp.Literal.string(f"cannot compare a missing (null) value with `{word}`")), nullable=False)
            raise self.refuse(f"`{word}` between {a.kind} and {b.kind} has no SQL form")
        missing = any_of([is_null(a), is_null(b)])
        fault = first_fault(faults, fault_if(missing, f"cannot compare a missing (null) value with `{word}`")
                            if missing is not FALSE else None)
        return SqlValue("boolean", coalesce_false(klass(this=a.sql, expression=b.sql)), fault, nullable=False)

    def _equal(self, a: SqlValue, b: SqlValue) -> exp.Expression:
        """Python's ``a == b``: never NULL, and None equals None."""
        if a.kind == "list" or b.kind == "list":
            if a.kind == b.kind == "list":
                keys = set(a.members) | set(b.members)
                return all_of([exp.EQ(this=a.members.get(k, FALSE), expression=b.members.get(k, FALSE))
                               for k in sorted(keys, key=str)])
            return exp.false()
        if "null" in (a.kind, b.kind):
            return is_null(b if a.kind == "null" else a)
        if _same_kind(a, b) is None:
            raise self.refuse(f"`==` between {a.kind} and {b.kind} has no SQL form")
        if a.nullable and b.nullable:
            return exp.NullSafeEQ(this=a.sql, expression=b.sql)
        equal = exp.EQ(this=a.sql, expression=b.sql)
        return coalesce_false(equal) if a.nullable or b.nullable else equal

    def _contains(self, item: SqlValue, container: SqlValue) -> exp.Expression:
        if container.kind == "null":
            return FALSE
        if container.kind != "list":
            raise self.refuse(f"`in` over {container.kind} has no SQL form (it needs a list)")
        members = container.members or {}
        if item.kind == "list":
            raise self.refuse("`in` with a list on its left has no SQL form")
        checks = []
        for value, member in members.items():
            if value is None:
                checks.append(exp.and_(is_null(item), member))
            elif _same_kind(item, const(value)) is not None:
                equal = exp.EQ(this=item.sql, expression=lit(value))
                checks.append(exp.and_(coalesce_false(equal) if item.nullable else equal, member)
                              if member is not TRUE else (coalesce_false(equal) if item.nullable else equal))
        return exp.paren(any_of(checks)) if checks else FALSE

    def visit_Test(self, node: nodes.Test) -> SqlValue:
        inner = self.operand(node.node)
        return SqlValue("boolean", is_null(inner), inner.fault, nullable=False)

    # -- arithmetic -----------------------------------------------------------------------------
    def _arith(self, a: SqlValue, b: SqlValue, name: str) -> SqlValue:
        klass, word = _ARITH[name]
        faults = first_fault(a.fault, b.fault)
        for x in (a, b):
            if x.kind not in _NUMBERS and x.kind != "null":
                raise self.refuse(f"`{word}` of {x.kind} has no SQL form")
        if "null" in (a.kind, b.kind):
            return SqlValue("integer", exp.null(), first_fault(faults, exp.Literal.string(
                f"`{word}` needs numbers, got NoneType")))
        missing = any_of([is_null(a), is_null(b)])
        wide = [exp.cast(x.sql.copy(), "DECIMAL(38, 0)") if x.kind == "integer" else x.sql for x in (a, b)]
        result = exp.paren(klass(this=wide[0], expression=wide[1]))  # wide enough never to overflow in SQL
        wrong = [(missing, exp.Literal.string(f"`{word}` needs numbers, got NoneType"))] if missing is not FALSE else []
        outside = exp.or_(exp.LT(this=result.copy(), expression=lit(-MAX_NUMBER)),
                          exp.GT(this=result.copy(), expression=lit(MAX_NUMBER)))
        fault = case([*wrong, (outside, exp.Literal.string(
            f"`{word}` gives a number outside the limit of ±{MAX_NUMBER:,}"))])
        kind = "number" if "number" in (a.kind, b.kind) else "integer"
        kept = case([(outside.copy(), exp.null())], exp.cast(result.copy(), "BIGINT") if kind == "integer" else result)
        return SqlValue(kind, kept, first_fault(faults, fault), nullable=True)

    def visit_Add(self, node: nodes.Add) -> SqlValue:
        return self._arith(self.operand(node.left), self.operand(node.right), "Add")

    def visit_Sub(self, node: nodes.Sub) -> SqlValue:
        return self._arith(self.operand(node.left), self.operand(node.right), "Sub")

    def visit_Mul(self, node: nodes.Mul) -> SqlValue:
        return self._arith(self.operand(node.left), self.operand(node.right), "Mul")

    def visit_Neg(self, node: nodes.Neg) -> SqlValue:
        return self._arith(const(0), self.operand(node.node), "Sub")

    # -- filters and functions ------------------------------------------------------------------
    def visit_Filter(self, node: nodes.Filter) -> SqlValue:
        inner = self.operand(node.node)  # `length`: the only filter the whitelist allows
        if inner.kind == "list":
            count = (total([case([(m, lit(1))], lit(0)) for m in (inner.members or {}).values()]))
            return SqlValue("integer", count, inner.fault, nullable=False)
        if inner.kind == "null":
            return SqlValue("integer", lit(0), inner.fault, nullable=False)
        if inner.kind == "string":
            return SqlValue("integer", exp.Coalesce(this=exp.Length(this=inner.sql), expressions=[lit(0)]),
                            inner.fault, nullable=False)
        raise self.refuse(f"`length` of {inner.kind} has no SQL form")

    def visit_Call(self, node: nodes.Call) -> SqlValue:
        name = node.node.name
        if name not in FUNCTION_NAMES:  # pragma: no cover - the row engine's compiler refused it
            raise self.refuse(f"unknown function `{name}`")
        args = [self.operand(a) for a in node.args]
        return getattr(self, "call_" + name)(*args)

    def call_add(self, day: SqlValue, every: SqlValue) -> SqlValue:
        return self.add(day, self._interval(every), "add")

    def call_subtract(self, day: SqlValue, every: SqlValue) -> SqlValue:
        return self.add(day, self._interval(every), "subtract")

    def _interval(self, every: SqlValue) -> SqlValue:
        if every.kind == "interval":
            return every
        if every.kind == "string" and isinstance(every.sql, exp.Literal):
            try:
                step = parse_interval(every.sql.this)
            except ValueError as exc:
                raise self.refuse(f"`{every.sql.this}` {exc}") from None
            return SqlValue("interval", lit(str(step)), every.fault, nullable=False, choices=(step,))
        raise self.refuse("an interval worked out from a case's text has no SQL form")

    def call_days_between(self, a: SqlValue, b: SqlValue) -> SqlValue:
        for x in (a, b):
            if x.kind not in ("date", "null"):
                raise self.refuse(f"`days_between` of {x.kind} has no SQL form")
        if "null" in (a.kind, b.kind):
            return SqlValue("integer", exp.null(), first_fault(a.fault, b.fault))
        days = exp.DateDiff(this=b.sql, expression=a.sql, unit=exp.var("DAY"))
        return SqlValue("integer", days, first_fault(a.fault, b.fault), nullable=a.nullable or b.nullable)

    def call_first(self, *values: SqlValue) -> SqlValue:
        kinds = {v.kind for v in values} - {"null"}
        if len(kinds) > 1 or "list" in kinds:
            raise self.refuse(f"`first` of {' and '.join(sorted(kinds))} has no SQL form")
        kind = kinds.pop() if kinds else "null"
        scalars = [v.sql for v in values if v.kind != "null"]
        if not scalars:
            return SqlValue("null", exp.null(), first_fault(*(v.fault for v in values)))
        sql = scalars[0] if len(scalars) == 1 else exp.Coalesce(this=scalars[0], expressions=scalars[1:])
        return SqlValue(kind, sql, first_fault(*(v.fault for v in values)),
                        nullable=all(v.nullable for v in values), choices=_union(*(v.choices for v in values)))

    def call_any_in(self, items: SqlValue, candidates: SqlValue) -> SqlValue:
        found = self.call_only(items, candidates)
        return SqlValue("boolean", truthy(found), found.fault, nullable=False)

    def call_only(self, items: SqlValue, candidates: SqlValue) -> SqlValue:
        if items.kind == "null":
            return SqlValue("list", members={}, fault=first_fault(items.fault, candidates.fault), nullable=False)
        if items.kind != "list" or candidates.kind != "list":
            raise self.refuse("`only` and `any_in` need two lists")
        kept = {v: exp.and_(m, candidates.members[v]) if candidates.members[v] is not TRUE else m
                for v, m in (items.members or {}).items() if v in (candidates.members or {})}
        return SqlValue("list", members=kept, fault=first_fault(items.fault, candidates.fault), nullable=False)

    def call_is_working_day(self, day: SqlValue) -> SqlValue:
        if day.kind == "null":
            return SqlValue("boolean", exp.null(), day.fault)
        if day.kind != "date":
            raise self.refuse(f"`is_working_day` of {day.kind} has no SQL form")
        return self.working_day(day)


def _scalar(v: SqlValue) -> exp.Expression:
    return exp.null() if v.kind == "null" else v.sql


def _same_kind(a: SqlValue, b: SqlValue) -> str | None:
    """The kind of a value that is ``a`` or ``b``: theirs, when they agree (None goes with any)."""
    if a.kind == "null":
        return b.kind
    if b.kind == "null" or a.kind == b.kind:
        return a.kind
    if a.kind in _NUMBERS and b.kind in _NUMBERS:
        return "number"
    return None


def _union(*choices: tuple | None) -> tuple | None:
    if any(c is None for c in choices):
        return None
    return tuple(dict.fromkeys(x for c in choices for x in c))


__all__ = ["ExpressionSql"]
