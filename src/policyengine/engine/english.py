"""A rulebook's conditions in plain English, from its labels.

``complex and worker_role == 'assistant_care_manager'`` is for policy owners;
a practitioner reads "complex and the worker's role is Assistant Care
Manager". The expression is parsed with the same parser that compiles it
(``expressions.parse``: only the whitelisted node kinds get this far) and
each node kind has one rendering here, the way ``expressions._Compiler`` has
one translation (a decision table's cells are read in words by
``constructs.unary.in_words``). Names and values are read through the rulebook's
:class:`~.labels.Labels`; what a comparison says ("at least", "before")
depends on the kind of the name (a date, a count, a number), which the
labels carry too. Nothing in the result is an identifier, an operator, a
quote or a bracket.
"""
from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal
from typing import Any

from jinja2 import nodes

from ..errors import Location
from .dates import long_date
from .expressions import chain, parse
from .labels import Labels, humanise

#: What a comparison says, by the kind of what it compares.
_DATE_ORDER = {"lt": "before", "lteq": "on or before", "gt": "after", "gteq": "on or after"}
_COUNT_ORDER = {"lt": "fewer than", "lteq": "at most", "gt": "more than", "gteq": "at least"}
_NUMBER_ORDER = {"lt": "less than", "lteq": "at most", "gt": "more than", "gteq": "at least"}
_NEGATED = {"eq": "ne", "ne": "eq", "in": "notin", "notin": "in",
            "lt": "gteq", "gteq": "lt", "gt": "lteq", "lteq": "gt"}
#: A snake_case word: perhaps a name the rulebook defines.
_MENTION = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
#: Names every rulebook has, in words.
_BUILTIN = {"as_of": "the date of the decision"}


def condition(source: Any, labels: Labels) -> str:
    """The condition ``source`` (a ``when:`` as a rulebook writes it) in plain English:
    what must hold, so a name that is not yes or no reads as "is recorded"."""
    return _Speaker(labels).test(_parsed(source))


def phrase(source: Any, labels: Labels) -> str:
    """The expression ``source`` as a value in plain English (a threshold's ``of``,
    a cadence's ``from``): "the factor count", "18 years after the date of birth"."""
    return _Speaker(labels).operand(_parsed(source))


def _parsed(source: Any) -> nodes.Expr:
    text = str(source).lower() if isinstance(source, bool) else str(source)
    return parse(text, Location())


def name(labels: Labels, name_: str) -> str:
    """A name as it reads inside a sentence: "the RAG rating", "the worker's role"."""
    if name_ in _BUILTIN:
        return _BUILTIN[name_]
    label = in_sentence(labels.of(name_))
    return label if label.lower().startswith("the ") else "the " + label


def value(labels: Labels, name_: str | None, value_: Any) -> str:
    """A value as people read it: its label (a reserved-task list's by its tasks
    input's, ``Labels.values_of``; never another name's label for the same word:
    `high` is "High risk of harm" for risk, not for priority), yes or no, a date
    the British way, "not recorded" for none."""
    if value_ is None:
        return "not recorded"
    if isinstance(value_, bool):
        return "yes" if value_ else "no"
    if isinstance(value_, _dt.date):
        return long_date(value_)
    if value_ == "":
        return "nothing"
    if isinstance(value_, str):
        return labels.value(name_ or "", value_)
    if isinstance(value_, (list, tuple)):
        return either([value(labels, name_, v) for v in value_], "and") or "none"
    if isinstance(value_, Decimal):
        return format(value_, "f")
    return str(value_)


def mentions(text: str, labels: Labels, *, values: bool = False) -> str:
    """A rule's own wording with each name of the rulebook it mentions (``see
    allocation_permitted``) written as its label: identifiers are for policy owners.
    With ``values``, any other identifier is taken for a value and read as one."""
    def say(match: re.Match) -> str:
        word = match.group()
        if word in labels.kinds:
            return in_sentence(labels.of(word))
        return value(labels, None, word) if values else word

    return _MENTION.sub(say, text) if "_" in text else text


def in_sentence(label: str) -> str:
    """A label as it reads after "the": sentence case loses its capital ("Worker's
    role" reads "worker's role"), while an acronym or a title ("RAG rating",
    "Planned Work Tray") keeps its capitals."""
    words = label.split()
    if not words or not words[0][:1].isupper() or words[0][1:2].isupper():
        return label
    if sum(1 for w in words if w[:1].isupper() and not w.isupper()) > 1:
        return label
    return label[:1].lower() + label[1:]


def settings(names: list[str]) -> str:
    """Settings (a letter's placeholders) as people say them: "the team phone and the
    urgent help line", not `team_phone`."""
    return either([f"the {in_sentence(humanise(n))}" for n in names], "and")


def either(items: list[str], word: str = "or") -> str:
    """``a, b or c``; a comma closes a group before ``word`` (``either a or b, and c``)."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + _after(items[-2], word) + items[-1]


class _Group(str):
    """A condition said as a group ("both a and b", "either a or b", "neither a nor b"): what
    follows it is set off by a comma, so "both a and b, or c" is never read "both a and (b or c)"."""


def _after(item: str, word: str) -> str:
    return f", {word} " if isinstance(item, _Group) else f" {word} "


def _joined(items: list[str], word: str) -> str:
    """``a word b word c``, a comma after each group."""
    return "".join(item + (_after(item, word) if i < len(items) - 1 else "") for i, item in enumerate(items))


class _Speaker:
    """One rendering per whitelisted node kind (``expressions._Compiler``'s twin)."""

    def __init__(self, labels: Labels) -> None:
        self.labels = labels

    def say(self, node: nodes.Node) -> str:
        method = getattr(self, "say_" + type(node).__name__)
        return method(node)

    def kind(self, node: nodes.Node) -> str | None:
        """What a node gives, where it can be told: date, count, number, boolean, list..."""
        if isinstance(node, nodes.Name):
            return "date" if node.name == "as_of" else self.labels.kinds.get(node.name)
        if isinstance(node, nodes.Const):
            value_ = node.value
            return "boolean" if isinstance(value_, bool) else "number" if isinstance(value_, (int, float)) \
                else None
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            if node.node.name in ("add", "subtract"):
                return "date"
            if node.node.name == "first":
                return next((k for k in map(self.kind, node.args) if k), None)
            return "number" if node.node.name == "days_between" else None
        if isinstance(node, nodes.Filter):
            return "count"
        return "number" if isinstance(node, (nodes.Add, nodes.Sub, nodes.Mul, nodes.Neg)) else None

    def test(self, node: nodes.Node) -> str:
        """A node as a condition: a name that is not yes or no holds when it is recorded
        (a list, when it has an item), as the compiled expression's truth says."""
        if isinstance(node, nodes.Name):
            kind = self.kind(node)
            if kind == "list":
                return f"{name(self.labels, node.name)} include at least one"
            if kind != "boolean":
                return f"{name(self.labels, node.name)} is recorded"
        return self.say(node)

    # names and constants
    def say_Name(self, node: nodes.Name) -> str:
        if self.kind(node) == "boolean":
            return in_sentence(self.labels.of(node.name))
        return name(self.labels, node.name)

    def say_Const(self, node: nodes.Const, about: str | None = None) -> str:
        return value(self.labels, about, node.value)

    def say_List(self, node: nodes.List, about: str | None = None) -> str:
        return either([self.operand(i, about) for i in node.items]) or "none"

    say_Tuple = say_List

    def operand(self, node: nodes.Node, about: str | None = None) -> str:
        """A node as the object of a comparison: constants read as ``about``'s values."""
        if isinstance(node, nodes.Const):
            return self.say_Const(node, about)
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return self.say_List(node, about)
        if isinstance(node, nodes.Name) and self.kind(node) == "boolean":
            return name(self.labels, node.name)
        return self.say(node)

    # logic
    def _chain(self, node: nodes.Node, word: str) -> list[str]:
        return [self.grouped(item, type(node)) for item in chain(node)]

    def grouped(self, node: nodes.Node, within: type) -> str:
        """An `and` inside an `or` (and the reverse) is said as "both ... and" / "either ... or",
        so the grouping the brackets gave is not lost."""
        if isinstance(node, nodes.And) and within is nodes.Or:
            return _Group("both " + _joined(self._chain(node, "and"), "and"))
        if isinstance(node, nodes.Or) and within is nodes.And:
            return _Group("either " + _joined(self._chain(node, "or"), "or"))
        return self.test(node)

    def say_And(self, node: nodes.And) -> str:
        return either(self._chain(node, "and"), "and")

    def say_Or(self, node: nodes.Or) -> str:
        return _joined(self._chain(node, "or"), "or")

    def say_Not(self, node: nodes.Not) -> str:
        inner = node.node
        if isinstance(inner, nodes.Not):
            return self.say(inner.node)
        if isinstance(inner, nodes.And):
            return _Group("not both " + _joined(self._chain(inner, "and"), "and"))
        if isinstance(inner, nodes.Or):
            return _Group("neither " + _joined(self._chain(inner, "or"), "nor"))
        if isinstance(inner, nodes.Compare) and len(inner.ops) == 1:
            return self._compare(inner.expr, _NEGATED[inner.ops[0].op], inner.ops[0].expr)
        if isinstance(inner, nodes.Compare):  # not (1 < count < 5): not both, never (not 1 < count) and ...
            return _Group("not both " + _joined(self._comparisons(inner), "and"))
        if isinstance(inner, nodes.Test):
            return self.say_Test(inner, negated=True)
        if isinstance(inner, nodes.Name) and self.kind(inner) == "list":
            return f"{name(self.labels, inner.name)} include none"
        if isinstance(inner, nodes.Name) and self.kind(inner) != "boolean":
            return f"{name(self.labels, inner.name)} is not recorded"
        return "not " + self.test(inner)

    # comparisons
    def say_Compare(self, node: nodes.Compare) -> str:
        return " and ".join(self._comparisons(node))

    def _comparisons(self, node: nodes.Compare) -> list[str]:
        parts, left = [], node.expr
        for op in node.ops:
            parts.append(self._compare(left, op.op, op.expr))
            left = op.expr
        return parts

    def _compare(self, left: nodes.Node, op: str, right: nodes.Node) -> str:
        if isinstance(left, nodes.Const) and not isinstance(right, nodes.Const) and op in ("eq", "ne"):
            left, right = right, left
        about = left.name if isinstance(left, nodes.Name) else None
        if op in ("eq", "ne") and isinstance(right, nodes.Const) and right.value is None:
            return f"{self.operand(left)} is {'not ' if op == 'eq' else ''}recorded"
        if op in ("eq", "ne") and isinstance(right, nodes.Const) and isinstance(right.value, bool):
            holds = right.value == (op == "eq")
            if self.kind(left) == "boolean" or isinstance(left, nodes.Name):
                shown = in_sentence(self.labels.of(left.name)) if isinstance(left, nodes.Name) else self.say(left)
                return shown if holds else "not " + shown
        if op in ("in", "notin") and isinstance(right, nodes.Name):  # role in roles: the roles include the role
            items = self.operand(left, right.name)
            return f"{name(self.labels, right.name)} {'include' if op == 'in' else 'do not include'} {items}"
        subject, thing = self.operand(left), self.operand(right, about)
        if op == "eq":
            return f"{subject} is {thing}"
        if op == "ne":
            return f"{subject} is not {thing}"
        if op == "in":
            return f"{subject} is {thing}"
        if op == "notin":
            return f"{subject} is neither {thing.replace(' or ', ' nor ')}" if " or " in thing \
                else f"{subject} is not {thing}"
        kinds = {self.kind(left), self.kind(right)}
        words = _DATE_ORDER if "date" in kinds else _COUNT_ORDER if "count" in kinds else _NUMBER_ORDER
        return f"{subject} is {words[op]} {thing}"

    def say_Test(self, node: nodes.Test, negated: bool = False) -> str:
        return f"{self.operand(node.node)} is {'recorded' if negated else 'not recorded'}"

    # arithmetic, functions, filters
    def say_Add(self, node: nodes.Add) -> str:
        return f"{self.operand(node.left)} plus {self.operand(node.right)}"

    def say_Sub(self, node: nodes.Sub) -> str:
        return f"{self.operand(node.left)} minus {self.operand(node.right)}"

    def say_Mul(self, node: nodes.Mul) -> str:
        return f"{self.operand(node.left)} times {self.operand(node.right)}"

    def say_Neg(self, node: nodes.Neg) -> str:
        return f"minus {self.operand(node.node)}"

    def say_CondExpr(self, node: nodes.CondExpr) -> str:
        other = self.operand(node.expr2) if node.expr2 is not None else "not recorded"
        return f"{self.operand(node.expr1)} if {self.test(node.test)}, otherwise {other}"

    def say_Filter(self, node: nodes.Filter) -> str:  # `length`, the only filter
        return f"the number of {_without_the(self.operand(node.node))}"

    def say_Call(self, node: nodes.Call) -> str:
        fn, args = node.node.name, node.args
        said = [self.operand(a) for a in args]
        if fn in ("add", "subtract"):
            return f"{said[1]} {'after' if fn == 'add' else 'before'} {said[0]}"
        if fn == "days_between":
            return f"the number of days from {said[0]} to {said[1]}"
        if fn == "first":
            return ", or if that is not recorded ".join(said)
        if fn == "is_working_day":
            return f"{said[0]} is a working day"
        about = args[0].name if isinstance(args[0], nodes.Name) else None
        among = self.operand(args[1], about)
        if fn == "any_in":
            return f"{said[0]} include any of {among.replace(' or ', ' and ')}"
        return f"those of {said[0]} that are {among}"  # only


def _without_the(text: str) -> str:
    return text.removeprefix("the ")


__all__ = ["condition", "either", "in_sentence", "mentions", "name", "phrase", "value"]
