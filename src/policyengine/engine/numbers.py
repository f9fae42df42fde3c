"""Numbers with a fractional part, worked exactly as they are written.

A rulebook writes 0.1 or 12.50 in decimal; Python's float holds the nearest
binary fraction, so ``3 * 0.1 <= 0.3`` would be false and a weekly charge
could be a penny out. Every sum, product and comparison of numbers here works
on the decimals as written (``exact``: a float by its shortest repr, which is
the text it was read from), so an answer never turns on binary rounding. Whole
results are ints; others are Decimals (decision tables already give Decimals),
shown and written as their digits ("0.3"), never as a binary approximation.
A result is held to 34 significant digits, far beyond any rulebook's need.
"""
from __future__ import annotations

import decimal
import operator
from decimal import Decimal
from typing import Any, Callable

#: 34 significant digits (IEEE decimal128): every number within the engine's limit (±10^12) is held
#: to 10^-21 or better, so a sum or product of numbers as a rulebook writes them is exact; only a
#: long chain of many-digit fractions is rounded, at the 34th digit, half to even.
_CONTEXT = decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN,
                           traps=[decimal.InvalidOperation, decimal.Overflow])
_OPERATIONS = {"+": _CONTEXT.add, "-": _CONTEXT.subtract, "*": _CONTEXT.multiply}
_OPERATIONS_INT = {"+": operator.add, "-": operator.sub, "*": operator.mul}
ORDERS: dict[str, Callable[[Any, Any], bool]] = {"<": operator.lt, "<=": operator.le, ">": operator.gt,
                                                  ">=": operator.ge}


class Inexact(ArithmeticError):
    """A calculation decimal arithmetic cannot do (an overflow of its exponent)."""


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def exact(value: Any) -> Any:
    """A number as the decimal it was written as: a float by its shortest repr (0.1 is 0.1)."""
    return Decimal(repr(value)) if type(value) is float else value


def plain(value: Decimal) -> int | Decimal:
    """A whole result as an int (2 + 3 reads 5, not 5.0); any other with no trailing zeros."""
    if value == value.to_integral_value():
        return int(value)
    return value.normalize(_CONTEXT)


def arithmetic(op: str, a: Any, b: Any) -> Any:
    """``a op b`` for two numbers: ints as ints, anything else exactly in decimal."""
    if type(a) is int and type(b) is int:
        return _OPERATIONS_INT[op](a, b)
    try:
        return plain(_OPERATIONS[op](exact(a), exact(b)))
    except (decimal.Overflow, decimal.InvalidOperation):
        raise Inexact(op) from None


def compare(op: str, a: Any, b: Any) -> bool:
    """``a op b`` for two numbers by their written decimal values (``<``, ``<=``, ``>``, ``>=``)."""
    if type(a) is float or type(b) is float:
        a, b = exact(a), exact(b)
    return ORDERS[op](a, b)


def equal(a: Any, b: Any) -> bool:
    """``a == b``, two numbers by their written decimal values (0.1 + 0.2 equals 0.3)."""
    if type(a) is not type(b) and is_number(a) and is_number(b):
        return exact(a) == exact(b)
    return a == b


def for_output(value: Decimal) -> int | float:
    """A Decimal as JSON and a CSV cell write it: the float whose shortest repr is its digits."""
    return int(value) if value == value.to_integral_value() else float(value)


__all__ = ["Inexact", "arithmetic", "compare", "equal", "exact", "for_output", "is_number", "plain"]
