"""The cells of a decision table: DMN's simple unary tests, with DMN's meaning.

A cell tests one column's value::

    -                 any value (also null)
    red               equal to red (an enum's value, as the rulebook writes it)
    "Medium","Low"    equal to any of these (a list of tests: any may hold)
    >= 18   < 12      a comparison
    [15..30)          a range: [ and ] include the end, ( and ) exclude it
    not(red, amber)   none of these
    true  42  null  2026-01-31  date("2026-01-31")

A YAML list cell (``[amber, green]``) is a list of tests too. A test never
holds for a value of another type or for null (except ``-`` and ``null``),
as in DMN, where such a comparison is null and the rule does not match.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable


from .. import english
from ..labels import Labels
from ..sqlvalues import all_of, any_of, coalesce_false, exp, false, is_null, lit, negate, true

#: A test over one value: holds or not.
Test = Callable[[Any], bool]

_COMPARE = re.compile(r"^(<=|>=|<|>|=|!=)\s*(.+)$", re.S)
_RANGE = re.compile(r"^([\[\(\]])\s*(.+?)\s*\.\.\s*(.+?)\s*([\]\)\[])$", re.S)
_DATE = re.compile(r'^date\(\s*"(\d{4}-\d{2}-\d{2})"\s*\)$')
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class CellError(ValueError):
    """A cell that is not a simple unary test (the message says why, never quoting a case)."""


@dataclass(frozen=True)
class Cell:
    """One parsed cell: its test, the literal values it names (checked against
    the column's values) and the boundary values it compares with (the points
    at which a column's answer can change which rows hold)."""

    test: Test
    literals: tuple
    boundaries: tuple
    any: bool = False


ANY = Cell(lambda v: True, (), (), any=True)


def parse_cell(raw: Any) -> Cell:
    """A cell as written in YAML (text, a number, a boolean, a date, null or a list)."""
    if isinstance(raw, list):
        return _either([parse_cell(item) for item in raw])
    if not isinstance(raw, str):
        return _equal(raw)
    text = raw.strip()
    if text == "-" or text == "":
        return ANY
    if text.startswith("not(") and text.endswith(")"):
        inner = parse_cell(text[4:-1])
        if inner.any:
            raise CellError("`not(-)` holds for no value")
        return Cell(lambda v, t=inner.test: v is not None and not t(v), inner.literals, inner.boundaries)
    parts = split_tests(text)
    return _single(parts[0]) if len(parts) == 1 else _either([_single(p) for p in parts])


def literal(text: Any) -> Any:
    """A value as a cell or an output names it: quoted text, a number (exact), true,
    false, null, a date, or a bare word (an enum's value)."""
    if not isinstance(text, str):
        return Decimal(str(text)) if isinstance(text, float) else text
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    if _NUMBER.match(text):
        return int(text) if "." not in text else Decimal(text)
    date = _DATE.match(text)
    if date:
        return _dt.date.fromisoformat(date.group(1))
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        pass
    if _WORD.match(text):
        return text
    raise CellError("is not a value, a comparison, a range, `-` or `not(...)`")


def _single(text: str) -> Cell:
    found = _RANGE.match(text)
    if found:
        return _range(*found.groups())
    found = _COMPARE.match(text)
    if found:
        op, value = found.group(1), literal(found.group(2))
        if op in ("=", "!="):
            cell = _equal(value)
            return cell if op == "=" else Cell(lambda v, t=cell.test: v is not None and not t(v),
                                               cell.literals, cell.boundaries)
        return _compare(op, value)
    return _equal(literal(text))


def _equal(value: Any) -> Cell:
    if value is None:
        return Cell(lambda v: v is None, (None,), ())
    return Cell(lambda v: _same_kind(v, value) and v == value, (value,), _ordered(value))


def _compare(op: str, bound: Any) -> Cell:
    if not _orderable(bound):
        raise CellError(f"compares with `{op}` a value that has no order (text or yes/no)")
    test = {"<": lambda v: v < bound, "<=": lambda v: v <= bound,
            ">": lambda v: v > bound, ">=": lambda v: v >= bound}[op]
    return Cell(lambda v: _same_kind(v, bound) and test(v), (), (bound,))


def _range(open_: str, low_text: str, high_text: str, close: str) -> Cell:
    low, high = literal(low_text), literal(high_text)
    if not (_orderable(low) and _orderable(high) and _same_kind(low, high)):
        raise CellError("is a range whose ends are not two numbers or two dates")
    if low > high:
        raise CellError("is a range whose first end is above its second: it holds for no value")
    low_ok = (lambda v: v >= low) if open_ == "[" else (lambda v: v > low)
    high_ok = (lambda v: v <= high) if close == "]" else (lambda v: v < high)
    return Cell(lambda v: _same_kind(v, low) and low_ok(v) and high_ok(v), (), (low, high))


def _either(cells: list[Cell]) -> Cell:
    if any(c.any for c in cells):
        return ANY
    tests = tuple(c.test for c in cells)
    return Cell(lambda v: any(t(v) for t in tests), tuple(x for c in cells for x in c.literals),
                tuple(x for c in cells for x in c.boundaries))


def split_tests(text: str) -> list[str]:
    """A list of tests (or FEEL values) split at its commas, not those inside quotes or
    a range. Raises CellError for an empty item."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "[(":
            depth += 1
        elif not quoted and char in "])":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    if any(not p for p in parts):
        raise CellError("has an empty test between its commas")
    return parts


def _orderable(value: Any) -> bool:
    return isinstance(value, (int, Decimal, _dt.date)) and not isinstance(value, bool)


def _ordered(value: Any) -> tuple:
    return (value,) if _orderable(value) else ()


def _same_kind(v: Any, w: Any) -> bool:
    """Whether two values can be compared as DMN compares them (numbers with numbers...)."""
    if isinstance(v, bool) or isinstance(w, bool):
        return isinstance(v, bool) and isinstance(w, bool)
    if isinstance(v, (int, float, Decimal)) and isinstance(w, (int, float, Decimal)):
        return True
    if isinstance(v, _dt.date) and isinstance(w, _dt.date):
        return True
    return isinstance(v, str) and isinstance(w, str)


def number(value: Any) -> Any:
    """A number as a table compares and adds it: exact (``98.83 + 64.32`` is ``163.15``)."""
    if isinstance(value, float):
        try:
            return Decimal(str(value))
        except InvalidOperation:  # inf, nan
            return value
    return value


def in_words(text: Any, column: str | None, labels: Labels) -> str:
    """A decision table's cell (a DMN simple test) in words: "from 10 to 13",
    "at least 18", "Red or Amber", "not Red"; "any" for ``-``."""
    raw = str(text).strip()
    if raw in ("-", ""):
        return "any"
    if raw.startswith("not(") and raw.endswith(")"):
        try:  # not(red, amber) holds for neither: "not Red or Amber" could be read (not Red) or Amber
            parts = split_tests(raw[4:-1].strip())
        except CellError:
            parts = []
        if len(parts) > 1:
            return "neither " + english.either([_one_test(p, column, labels) for p in parts], "nor")
        return "not " + in_words(raw[4:-1], column, labels)
    try:
        parts = split_tests(raw)
    except CellError:
        return raw
    return english.either([_one_test(p, column, labels) for p in parts])


def _one_test(text: str, column: str | None, labels: Labels) -> str:
    if text[:1] in "[(]" and ".." in text:
        low, high = (literal(x.strip()) for x in text[1:-1].split("..", 1))
        left = "from" if text[0] == "[" else "over"
        right = "to" if text[-1] == "]" else "up to but not"
        return f"{left} {english.value(labels, column, low)} {right} {english.value(labels, column, high)}"
    for op, words in ((">=", "at least"), ("<=", "at most"), ("!=", "not"), (">", "more than"),
                      ("<", "less than"), ("=", "")):
        if text.startswith(op):
            shown = english.value(labels, column, literal(text[len(op):].strip()))
            return f"{words} {shown}".strip()
    return english.value(labels, column, literal(text))


def sql_test(raw: Any, value: Any) -> Any:
    """The SQL facet of :func:`parse_cell`: whether the cell holds for ``value``
    (a ``SqlValue``), as a SQL boolean that is never NULL, with DMN's meaning:
    a test holds for no value of another kind, nor for null."""
    if isinstance(raw, list):
        return any_of([sql_test(item, value) for item in raw])
    if not isinstance(raw, str):
        return _sql_equal(raw, value)
    text = raw.strip()
    if text == "-" or text == "":
        return true()
    if text.startswith("not(") and text.endswith(")"):
        return all_of([negate(is_null(value)), negate(sql_test(text[4:-1], value))])
    parts = split_tests(text)
    return any_of([_sql_single(p, value) for p in parts])


def _sql_single(text: str, value: Any) -> Any:
    found = _RANGE.match(text)
    if found:
        open_, low_text, high_text, close = found.groups()
        low, high = literal(low_text), literal(high_text)
        if not _sql_kind(value, low):
            return false()
        low_ok = value.sql.copy() >= lit(low) if open_ == "[" else value.sql.copy() > lit(low)
        high_ok = value.sql.copy() <= lit(high) if close == "]" else value.sql.copy() < lit(high)
        return coalesce_false(all_of([low_ok, high_ok]))
    found = _COMPARE.match(text)
    if found:
        op, bound = found.group(1), literal(found.group(2))
        if op in ("=", "!="):
            equal = _sql_equal(bound, value)
            return equal if op == "=" else all_of([negate(is_null(value)), negate(equal)])
        if not _sql_kind(value, bound):
            return false()
        klass = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
        return coalesce_false(klass(this=value.sql.copy(), expression=lit(bound)))
    return _sql_equal(literal(text), value)


def _sql_equal(bound: Any, value: Any) -> Any:
    if bound is None:
        return is_null(value)
    if not _sql_kind(value, bound):
        return false()
    return coalesce_false(value.sql.copy().eq(lit(bound)))


def _sql_kind(value: Any, bound: Any) -> bool:
    """Whether a column of ``value``'s kind can hold a value of ``bound``'s kind (as :func:`_same_kind`)."""
    kind = "boolean" if isinstance(bound, bool) else "number" if isinstance(bound, (int, float, Decimal)) else \
        "date" if isinstance(bound, _dt.date) else "string"
    have = "number" if value.kind in ("integer", "number") else value.kind
    return have == kind


__all__ = ["ANY", "Cell", "CellError", "in_words", "literal", "number", "parse_cell", "split_tests", "sql_test"]
