"""The rulebook's condition language: Jinja expression syntax, compiled once.

A condition such as ``complex and worker_role == 'assistant_care_manager'``
is parsed with Jinja's own parser, checked against a short whitelist of node
kinds, and translated into one Python lambda. Nothing outside the whitelist
(attribute access, subscripts, keyword calls, filters we do not name) gets
through, so an expression can never reach files, the environment or Python
internals. Parsing a rulebook's few dozen expressions once means evaluating a
case costs a few plain function calls (see bench/).
"""
from __future__ import annotations

import datetime as _dt
import operator
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .dates import Calendar, Interval, parse_interval
from .errors import Location, RulebookError, suggest

_ENV = ImmutableSandboxedEnvironment()

_COMPARE = {"eq": "==", "ne": "!="}
_ORDER = {"lt": "<", "lteq": "<=", "gt": ">", "gteq": ">="}


class ExprFault(Exception):
    """Raised inside a compiled expression; the caller adds case and place."""


@dataclass(frozen=True)
class Expression:
    """A compiled expression: call it with the values of a case."""

    source: str
    names: frozenset
    fn: Callable[[dict], Any]
    loc: Location

    def __call__(self, values: dict) -> Any:
        return self.fn(values)


_ORDERS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ORDERABLE = frozenset({int, float, str, _dt.date})


def _check_order(op: str) -> Callable[[Any, Any], bool]:
    compare_ = _ORDERS[op]

    def compare(a, b):
        kind = type(a)
        if kind is type(b) and kind in _ORDERABLE:
            return compare_(a, b)
        if a is None or b is None:
            raise ExprFault(f"cannot compare a missing (null) value with `{op}`")
        numbers = (int, float)
        if type(a) in numbers and type(b) in numbers:
            return compare_(a, b)
        raise ExprFault(f"cannot compare {type(a).__name__} with {type(b).__name__} using `{op}`")

    return compare


def _contains(item, container):
    if container is None:
        return False
    if not isinstance(container, (list, tuple, str)):
        raise ExprFault(f"`in` needs a list on its right, got {type(container).__name__}")
    return item in container


def _length(value):
    if value is None:
        return 0
    if not isinstance(value, (list, tuple, str)):
        raise ExprFault(f"`length` needs a list, got {type(value).__name__}")
    return len(value)


def _arith(op):
    def run(a, b):
        for x in (a, b):
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                raise ExprFault(f"`{op}` needs numbers, got {type(x).__name__}")
        return a + b if op == "+" else a - b if op == "-" else a * b

    return run


def functions(calendar: Calendar) -> dict[str, Callable]:
    """The named functions an expression may call, bound to a calendar."""

    def interval(value) -> Interval:
        if isinstance(value, Interval):
            return value
        try:
            return parse_interval(value)
        except ValueError as exc:
            raise ExprFault(str(exc)) from None

    def add(day, every):
        if day is None:
            return None
        if not isinstance(day, _dt.date):
            raise ExprFault(f"`add` needs a date, got {type(day).__name__}")
        return calendar.add(day, interval(every))

    def subtract(day, every):
        if day is None:
            return None
        step = interval(every)
        if step.unit == "working days":
            return calendar.add_working_days(day, -step.count)
        return calendar.add(day, Interval(-step.count, step.unit))

    def days_between(a, b):
        if a is None or b is None:
            return None
        return (b - a).days

    def first(*values):
        """The first value that is not null (e.g. ``first(last_contact, date_added)``)."""
        return next((v for v in values if v is not None), None)

    def any_in(items, candidates):
        return any(i in candidates for i in (items or ()))

    def only(items, candidates):
        """The items that are among the candidates, in the items' order."""
        return [i for i in (items or ()) if i in candidates]

    return {
        "add": add,
        "subtract": subtract,
        "days_between": days_between,
        "first": first,
        "any_in": any_in,
        "only": only,
        "is_working_day": lambda d: None if d is None else calendar.is_working_day(d),
    }


#: The functions an expression may call (see :func:`functions`).
FUNCTION_NAMES = ("add", "subtract", "days_between", "first", "any_in", "only", "is_working_day")
FILTERS = {"length": _length}
TESTS = {"none": "is None"}


class _Compiler:
    def __init__(self, source: str, loc: Location, known: Iterable[str]) -> None:
        self.source, self.loc, self.known = source, loc, set(known)
        self.consts: list = []
        self.names: set = set()

    def fail(self, message: str, node: nodes.Node | None = None) -> RulebookError:
        return RulebookError(f"in expression `{self.source}`: {message}", self.loc)

    def const(self, value) -> str:
        self.consts.append(value)
        return f"c[{len(self.consts) - 1}]"

    def visit(self, node: nodes.Node) -> str:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise self.fail(f"{_describe(node)} is not allowed in a rulebook expression")
        return method(node)

    def visit_Const(self, node):
        if not isinstance(node.value, (str, int, float, bool, type(None))):
            raise self.fail("only text, numbers, true, false and none are allowed as constants")
        return self.const(node.value)

    def visit_Name(self, node):
        if node.ctx != "load":
            raise self.fail(f"`{node.name}` cannot be assigned to")
        if node.name not in self.known:
            hint = suggest(node.name, self.known)
            raise self.fail(f"unknown name `{node.name}`{hint}")
        self.names.add(node.name)
        return f"v[{node.name!r}]"

    def visit_And(self, node):
        return f"({self.visit(node.left)} and {self.visit(node.right)})"

    def visit_Or(self, node):
        return f"({self.visit(node.left)} or {self.visit(node.right)})"

    def visit_Not(self, node):
        return f"(not {self.visit(node.node)})"

    def visit_Neg(self, node):
        return f"f['-']({self.const(0)}, {self.visit(node.node)})"

    def _binop(self, node, op):
        return f"f[{op!r}]({self.visit(node.left)}, {self.visit(node.right)})"

    def visit_Add(self, node):
        return self._binop(node, "+")

    def visit_Sub(self, node):
        return self._binop(node, "-")

    def visit_Mul(self, node):
        return self._binop(node, "*")

    def visit_Compare(self, node):
        left = self.visit(node.expr)
        parts = []
        for operand in node.ops:
            right = self.visit(operand.expr)
            op = operand.op
            if op in _COMPARE:
                parts.append(f"({left} {_COMPARE[op]} {right})")
            elif op in _ORDER:
                parts.append(f"f[{_ORDER[op]!r}]({left}, {right})")
            elif op == "in":
                parts.append(f"f['in']({left}, {right})")
            elif op == "notin":
                parts.append(f"(not f['in']({left}, {right}))")
            else:  # pragma: no cover - Jinja has no other comparison
                raise self.fail(f"the comparison `{op}` is not allowed")
            left = right
        return "(" + " and ".join(parts) + ")"

    def visit_List(self, node):
        return "[" + ", ".join(self.visit(i) for i in node.items) + "]"

    def visit_Tuple(self, node):
        return self.visit_List(node)

    def visit_CondExpr(self, node):
        other = self.visit(node.expr2) if node.expr2 is not None else "None"
        return f"({self.visit(node.expr1)} if {self.visit(node.test)} else {other})"

    def visit_Call(self, node):
        if not isinstance(node.node, nodes.Name):
            raise self.fail("only the named functions may be called")
        name = node.node.name
        if name not in FUNCTION_NAMES:
            hint = suggest(name, FUNCTION_NAMES)
            raise self.fail(f"unknown function `{name}`{hint}; "
                            f"the functions are {', '.join(FUNCTION_NAMES)}")
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise self.fail(f"`{name}` takes plain arguments only")
        args = ", ".join(self.visit(a) for a in node.args)
        return f"f[{name!r}]({args})"

    def visit_Filter(self, node):
        if node.name not in FILTERS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise self.fail(f"the filter `{node.name}` is not allowed; the filters are "
                            + ", ".join(FILTERS))
        return f"f[{('|' + node.name)!r}]({self.visit(node.node)})"

    def visit_Test(self, node):
        if node.name not in TESTS or node.args or node.kwargs:
            raise self.fail(f"the test `is {node.name}` is not allowed; use `is none`")
        return f"({self.visit(node.node)} {TESTS[node.name]})"


def _describe(node: nodes.Node) -> str:
    kinds = {
        "Getattr": "attribute access (`.`)",
        "Getitem": "subscripting (`[...]`)",
        "Dict": "a dictionary",
        "Concat": "joining text with `~`",
        "Pow": "`**`",
        "Div": "division", "FloorDiv": "division", "Mod": "`%`",
    }
    return kinds.get(type(node).__name__, f"`{type(node).__name__}`")


def parse(source: str, loc: Location) -> nodes.Expr:
    """Parse one expression with Jinja's parser, or raise RulebookError."""
    if not isinstance(source, (str, bool, int, float)):
        raise RulebookError(f"expected an expression, got {type(source).__name__}", loc)
    text = str(source).lower() if isinstance(source, bool) else str(source)
    try:
        parser = Parser(_ENV, text, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            raise TemplateSyntaxError(
                f"unexpected `{parser.stream.current.value}` after the expression", 1
            )
    except TemplateSyntaxError as exc:
        raise RulebookError(f"in expression `{text}`: {exc.message}", loc) from None
    return expr


def compile_expression(
    source: Any, loc: Location, known: Iterable[str], funcs: dict[str, Callable]
) -> Expression:
    """Compile ``source`` to an :class:`Expression` over the ``known`` names."""
    tree = parse(source, loc)
    text = str(source).lower() if isinstance(source, bool) else str(source)
    comp = _Compiler(text, loc, known)
    body = comp.visit(tree)
    table = dict(funcs)
    table.update({"in": _contains, "+": _arith("+"), "-": _arith("-"), "*": _arith("*")})
    table.update({op: _check_order(op) for op in _ORDERS})
    table.update({"|" + k: v for k, v in FILTERS.items()})
    code = compile(f"lambda v: {body}", f"<expression {loc}>", "eval")
    fn = eval(code, {"__builtins__": {}, "c": comp.consts, "f": table})  # noqa: S307 - generated from a whitelisted tree
    return Expression(text, frozenset(comp.names), fn, loc)
