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
import re
from decimal import Decimal
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from jinja2 import nodes
from jinja2.exceptions import TemplateSyntaxError
from jinja2.parser import Parser
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .dates import Calendar, Interval, parse_interval
from ..errors import Location, RulebookError, closest, hint
from . import numbers
from .inputs import MAX_INTEGER
from .numbers import is_number

_ENV = ImmutableSandboxedEnvironment()

#: Longest expression, in characters. Real conditions are a line or two.
MAX_EXPRESSION_CHARS = 10_000
#: Deepest nesting of brackets and operators in an expression (a chain of
#: `and` or `or` counts once, however long); deeper would exhaust the
#: parser's and Python's stacks.
MAX_EXPRESSION_DEPTH = 32
#: Every number an expression writes or computes stays within ±MAX_NUMBER
#: (the same limit as a case's numbers), so arithmetic can never grow huge.
MAX_NUMBER = MAX_INTEGER

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
    #: (name, literal, membership) for each comparison of a name with a constant:
    #: `route == 'pwt'`, `rag in ['red', 'amber']`, and with ``membership``
    #: `'visit' in tasks`. The compiler checks each literal is a value the name
    #: can take, once every element's values are known.
    literals: tuple = ()

    def __call__(self, values: dict) -> Any:
        return self.fn(values)


_ORDERS = numbers.ORDERS
_ORDERABLE = frozenset({int, float, Decimal, str, _dt.date})


def _check_order(op: str) -> Callable[[Any, Any], bool]:
    compare_ = _ORDERS[op]

    def compare(a, b):
        kind = type(a)
        if kind is type(b) and kind in _ORDERABLE:
            return compare_(a, b)
        if a is None or b is None:
            raise ExprFault(f"cannot compare a missing (null) value with `{op}`")
        if is_number(a) and is_number(b):  # 0.3 written and 0.1 * 3 worked out compare as equals
            return numbers.compare(op, a, b)
        raise ExprFault(f"cannot compare {type(a).__name__} with {type(b).__name__} using `{op}`")

    return compare


def _contains(item, container):
    if container is None:
        return False
    if not isinstance(container, (list, tuple, str)):
        raise ExprFault(f"`in` needs a list on its right, got {type(container).__name__}")
    if is_number(item):
        return any(numbers.equal(item, x) for x in container)
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
            if not is_number(x):
                raise ExprFault(f"`{op}` needs numbers, got {type(x).__name__}")
        try:
            result = numbers.arithmetic(op, a, b)
        except numbers.Inexact:
            raise ExprFault(f"`{op}` gives a number outside the limit of ±{MAX_NUMBER:,}") from None
        if not -MAX_NUMBER <= result <= MAX_NUMBER:  # also false for NaN and infinity
            raise ExprFault(f"`{op}` gives a number outside the limit of ±{MAX_NUMBER:,}")
        return result

    return run


def _not_numeric(*operands: nodes.Expr) -> bool:
    """Whether `==` here surely compares no two numbers (one side is text, true/false or none), so
    Python's own `==` is exact; else ``numbers.equal``, since 0.3 == 0.1 * 3 is false in floats."""
    return any(isinstance(o, nodes.Const) and not is_number(o.value) for o in operands)


def _need_date(name: str, value) -> None:
    if not isinstance(value, _dt.date):
        raise ExprFault(f"`{name}` needs a date, got {type(value).__name__}")


def _need_list(name: str, value) -> None:
    if not isinstance(value, (list, tuple)):
        raise ExprFault(f"`{name}` needs a list, got {type(value).__name__}")


def _interval(value) -> Interval:
    if isinstance(value, Interval):
        return value
    try:
        return parse_interval(value)
    except ValueError as exc:
        raise ExprFault(f"the value {exc}") from None  # never the value itself


def _days_between(a, b):
    if a is None or b is None:
        return None
    _need_date("days_between", a)
    _need_date("days_between", b)
    return (b - a).days


def _first(*values):
    """The first value that is not null (e.g. ``first(last_contact, date_added)``)."""
    return next((v for v in values if v is not None), None)


def _any_in(items, candidates):
    if items is None:
        return False
    _need_list("any_in", items)
    _need_list("any_in", candidates)
    return any(i in candidates for i in items)


def _only(items, candidates):
    """The items that are among the candidates, in the items' order."""
    if items is None:
        return []
    _need_list("only", items)
    _need_list("only", candidates)
    return [i for i in items if i in candidates]


def functions(calendar: Calendar) -> dict[str, Callable]:
    """The named functions an expression may call, date arithmetic bound to a calendar."""

    def add(day, every):
        if day is None:
            return None
        _need_date("add", day)
        return calendar.add(day, _interval(every))

    def subtract(day, every):
        if day is None:
            return None
        _need_date("subtract", day)
        step = _interval(every)
        if step.unit == "working days":
            return calendar.add_working_days(day, -step.count)
        return calendar.add(day, Interval(-step.count, step.unit))

    def is_working_day(day):
        if day is None:
            return None
        _need_date("is_working_day", day)
        return calendar.is_working_day(day)

    return {"add": add, "subtract": subtract, "days_between": _days_between, "first": _first,
            "any_in": _any_in, "only": _only, "is_working_day": is_working_day}


#: What each function's arguments must be (``first`` takes any values).
_ARGUMENTS = {"add": ("date", "interval"), "subtract": ("date", "interval"),
              "days_between": ("date", "date"), "is_working_day": ("date",),
              "any_in": ("list", "list"), "only": ("list", "list")}
_KINDS = {"date": "a date", "interval": "an interval", "list": "a list", "integer": "a number",
          "string": "text", "boolean": "true or false", "enum": "a choice (an enum)"}

#: The functions an expression may call (see :func:`functions`).
FUNCTION_NAMES = ("add", "subtract", "days_between", "first", "any_in", "only", "is_working_day")
FILTERS = {"length": _length}
TESTS = {"none": "is None"}



def chain(node: nodes.Node) -> list[nodes.Node]:
    """The terms of a chain of one kind of binary node, in order: ``a and b and c``
    parses as And(And(a, b), c), and its terms are [a, b, c]. Walked without
    recursion, so a chain of any length is safe."""
    kind, terms, stack = type(node), [], [node]
    while stack:
        item = stack.pop()
        if type(item) is kind:
            stack += [item.right, item.left]
        else:
            terms.append(item)
    return terms

class _Compiler:
    def __init__(self, source: str, loc: Location, known: Iterable[str], hints: bool = True,
                 types: dict | None = None) -> None:
        self.hints = hints
        self.types = types or {}  # name -> declared input type, where known
        # ``known`` is shared, never copied: a rulebook compiles thousands of
        # expressions against one set of names.
        self.source, self.loc = source, loc
        self.known = known if isinstance(known, (set, frozenset, dict)) else set(known)
        self.consts: list = []
        self.names: set = set()
        self.literals: list = []

    def fail(self, message: str, node: nodes.Node, **data: Any) -> RulebookError:
        return fail(self.source, self.loc, message, node.lineno, **data)

    def const(self, value) -> str:
        self.consts.append(value)
        return f"c[{len(self.consts) - 1}]"

    def visit(self, node: nodes.Node) -> str:
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            raise self.fail(f"{_describe(node)} is not allowed in a rulebook expression", node)
        return method(node)

    def visit_Const(self, node):
        value = node.value
        if not isinstance(value, (str, int, float, bool, type(None))):
            raise self.fail("only text, numbers, true, false and none are allowed as constants", node)
        if isinstance(value, (int, float)) and not isinstance(value, bool) \
                and not -MAX_NUMBER <= value <= MAX_NUMBER:
            raise self.fail(f"a number is outside the limit of ±{MAX_NUMBER:,}", node)
        return self.const(value)

    def visit_Name(self, node):
        if node.ctx != "load":
            raise self.fail(f"`{node.name}` cannot be assigned to", node)
        if node.name not in self.known:
            near = closest(node.name, self.known) if self.hints else None
            raise self.fail(f"unknown name `{node.name}`{hint(near)}", node,
                            code="expression.unknown_name", suggestion=near)
        self.names.add(node.name)
        return f"v[{node.name!r}]"

    def _chain(self, node, word: str) -> str:
        # Flat, so a long chain nests no parentheses (Python allows only 200).
        return "(" + f" {word} ".join(self.visit(item) for item in chain(node)) + ")"

    def visit_And(self, node):
        return self._chain(node, "and")

    def visit_Or(self, node):
        return self._chain(node, "or")

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

    def _note_literals(self, a: nodes.Expr, op: str, b: nodes.Expr) -> None:
        """Remember `name == 'literal'` and its kin, for checking against the name's values."""
        if op in _COMPARE:
            for name, const in ((a, b), (b, a)):
                if isinstance(name, nodes.Name) and isinstance(const, nodes.Const):
                    self.literals.append((name.name, const.value, False))
        elif op in ("in", "notin"):
            if isinstance(a, nodes.Name) and isinstance(b, (nodes.List, nodes.Tuple)):
                self.literals.extend((a.name, item.value, False) for item in b.items
                                     if isinstance(item, nodes.Const))
            elif isinstance(a, nodes.Const) and isinstance(b, nodes.Name):
                self.literals.append((b.name, a.value, True))

    def visit_Compare(self, node):
        left = self.visit(node.expr)
        parts = []
        left_node = node.expr
        for operand in node.ops:
            right = self.visit(operand.expr)
            op = operand.op
            self._note_literals(left_node, op, operand.expr)
            if op in _COMPARE and _not_numeric(left_node, operand.expr):
                parts.append(f"({left} {_COMPARE[op]} {right})")
            elif op in _COMPARE:  # numbers: by their written decimal values
                parts.append(f"{'' if op == 'eq' else 'not '}f['eq']({left}, {right})")
            elif op in _ORDER:
                parts.append(f"f[{_ORDER[op]!r}]({left}, {right})")
            elif op == "in":
                parts.append(f"f['in']({left}, {right})")
            elif op == "notin":
                parts.append(f"(not f['in']({left}, {right}))")
            else:  # pragma: no cover - Jinja has no other comparison
                raise self.fail(f"the comparison `{op}` is not allowed", operand)
            left, left_node = right, operand.expr
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
            raise self.fail("only the named functions may be called", node)
        name = node.node.name
        if name not in FUNCTION_NAMES:
            near = closest(name, FUNCTION_NAMES)
            raise self.fail(f"unknown function `{name}`{hint(near)}; "
                            f"the functions are {', '.join(FUNCTION_NAMES)}", node,
                            code="expression.unknown_function", suggestion=near)
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise self.fail(f"`{name}` takes plain arguments only", node)
        self._check_arguments(name, node.args, node)
        args = ", ".join(self.visit(a) for a in node.args)
        return f"f[{name!r}]({args})"

    def _check_arguments(self, name: str, args: list, call: nodes.Call) -> None:
        """The number of arguments, and the kind of each where it is known now.

        An input's declared type or a constant's kind that a function cannot
        take is a rulebook error here, not a fault in every case at run time.
        """
        wants = _ARGUMENTS.get(name)
        if wants is None:  # `first` takes any number of values of any kind
            if not args:
                raise self.fail(f"`{name}` needs at least one argument", call)
            return
        if len(args) != len(wants):
            raise self.fail(f"`{name}` takes {len(wants)} argument{'s' if len(wants) > 1 else ''}, "
                            f"not {len(args)}", call)
        for i, (want, arg) in enumerate(zip(wants, args)):
            kind = self._kind_of(arg)
            if kind is None or kind == want or want == "interval" and kind in ("string", "enum"):
                if want == "interval" and isinstance(arg, nodes.Const) and isinstance(arg.value, str):
                    try:
                        parse_interval(arg.value)
                    except ValueError as exc:
                        raise self.fail(f"`{arg.value}` {exc}", arg) from None
                continue
            raise self.fail(f"`{name}` needs {_KINDS[want]} as argument {i + 1}, not {_KINDS[kind]}", arg)

    def _kind_of(self, node) -> str | None:
        """What an argument is known to be before any case is read (None: not known)."""
        if isinstance(node, nodes.Name):
            return self.types.get(node.name)
        if isinstance(node, nodes.Const) and node.value is not None:
            value = node.value
            return "boolean" if isinstance(value, bool) else "string" if isinstance(value, str) else "integer"
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return "list"
        return None

    def visit_Filter(self, node):
        if node.name not in FILTERS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise self.fail(f"the filter `{node.name}` is not allowed; the filters are "
                            + ", ".join(FILTERS), node)
        return f"f[{('|' + node.name)!r}]({self.visit(node.node)})"

    def visit_Test(self, node):
        if node.name not in TESTS or node.args or node.kwargs:
            raise self.fail(f"the test `is {node.name}` is not allowed; use `is none`", node)
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


_TOO_DEEP = f"the expression is nested more than {MAX_EXPRESSION_DEPTH} levels deep"
# Quoted text (whose brackets do not count), or one bracket.
_BRACKETS = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[(\[{]|[)\]}]""", re.S)


def fail(text: str, loc: Location, message: str, line: int | None = None, *,
         code: str = "expression.invalid", suggestion: str | None = None) -> RulebookError:
    """The error about expression ``text`` at ``loc``, quoting it.

    ``line`` is the line within the expression (from Jinja's node or syntax
    error). Only a block scalar (``when: |``) spans lines: its line k is k lines
    below the ``|`` that ``loc`` names, so a problem on a later line is reported
    there, with no column (Jinja gives none); the first line keeps ``loc``.
    """
    if line is not None and line > 1 and loc.line is not None:
        loc = Location(loc.file, loc.line + line, None, loc.path)
    return RulebookError(f"in expression `{_shown(text)}`: {message}", loc, code=code, suggestion=suggestion)


def _shown(text: str, limit: int = 200) -> str:
    """An expression as quoted in an error: long ones are cut short."""
    return text if len(text) <= limit else text[:limit] + "…"


def _bracket_depth(text: str) -> int:
    """How deeply ``text`` nests brackets (checked before Jinja's recursive parser runs)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(text):
        char = match.group()
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _depth(tree: nodes.Node) -> int:
    """Nesting depth of a parsed expression, a chain of `and`/`or` counting once."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for child in node.iter_child_nodes():
            chained = type(child) is type(node) and isinstance(node, (nodes.And, nodes.Or))
            stack.append((child, depth if chained else depth + 1))
    return deepest


def parse(source: str, loc: Location) -> nodes.Expr:
    """Parse one expression with Jinja's parser, or raise RulebookError."""
    if not isinstance(source, (str, bool, int, float)):
        raise RulebookError(f"expected an expression, got {type(source).__name__}", loc)
    text = str(source).lower() if isinstance(source, bool) else str(source)
    if len(text) > MAX_EXPRESSION_CHARS:
        raise RulebookError(f"the expression is longer than {MAX_EXPRESSION_CHARS:,} characters", loc)

    try:
        if _bracket_depth(text) > MAX_EXPRESSION_DEPTH:
            raise fail(text, loc, _TOO_DEEP, code="expression.too_deep")
        parser = Parser(_ENV, text, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            current = parser.stream.current
            raise TemplateSyntaxError(f"unexpected `{current.value}` after the expression", current.lineno)
    except TemplateSyntaxError as exc:
        raise fail(text, loc, exc.message, exc.lineno, code="expression.syntax") from None
    except RecursionError:  # a long run of `not` or `-`: Jinja's parser recurses on each
        raise fail(text, loc, _TOO_DEEP, code="expression.too_deep") from None
    except ValueError:  # Python refuses to read an integer of over 4,300 digits
        raise fail(text, loc, f"a number is outside the limit of ±{MAX_NUMBER:,}") from None
    if _depth(expr) > MAX_EXPRESSION_DEPTH:
        raise fail(text, loc, _TOO_DEEP, code="expression.too_deep")
    return expr


def compile_expression(
    source: Any, loc: Location, known: Iterable[str], funcs: dict[str, Callable], *, hints: bool = True,
    types: dict | None = None,
) -> Expression:
    """Compile ``source`` to an :class:`Expression` over the ``known`` names."""
    tree = parse(source, loc)
    text = str(source).lower() if isinstance(source, bool) else str(source)
    comp = _Compiler(text, loc, known, hints, types)
    body = comp.visit(tree)
    table = dict(funcs)
    table.update({"in": _contains, "eq": numbers.equal, "+": _arith("+"), "-": _arith("-"), "*": _arith("*")})
    table.update({op: _check_order(op) for op in _ORDERS})
    table.update({"|" + k: v for k, v in FILTERS.items()})
    code = compile(f"lambda v: {body}", f"<expression {loc}>", "eval")
    fn = eval(code, {"__builtins__": {}, "c": comp.consts, "f": table})  # noqa: S307 - generated from a whitelisted tree
    return Expression(text, frozenset(comp.names), fn, loc, tuple(comp.literals))
