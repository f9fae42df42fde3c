"""A value as the text of its CSV cell, as ``engine.values.for_csv`` writes it:
booleans ``true``/``false``, dates ISO, lists joined with ``;``, null as nothing."""
from __future__ import annotations

from sqlglot import exp

from ..engine.dates import parse_interval
from ..engine.sqlvalues import SqlValue, SqlUnsupported, case, lit
from ..errors import Location


def cell(v: SqlValue, loc: Location) -> exp.Expression:
    """The cell's text; NULL where the value is None (a cell of nothing)."""
    if v.kind == "null":
        return exp.null()
    if v.kind == "boolean":
        return case([(v.sql.copy(), lit("true")), (exp.not_(v.sql.copy()), lit("false"))])
    if v.kind == "integer":
        return exp.cast(v.sql.copy(), "TEXT")
    if v.kind == "string":
        return v.sql.copy()
    if v.kind == "date":
        return exp.TimeToStr(this=v.sql.copy(), format=lit("%Y-%m-%d"))
    if v.kind == "interval":  # as the row engine holds it: an Interval, in words ("1 month")
        return case([(exp.EQ(this=v.sql.copy(), expression=lit(c)), lit(str(parse_interval(str(c)))))
                     for c in v.choices or () if c is not None])
    if v.kind == "list":
        parts = [case([(member, lit(";" + str(value)))], lit("")) for value, member in (v.members or {}).items()]
        if not parts:
            return lit("")
        joined = parts[0] if len(parts) == 1 else exp.Concat(expressions=parts)
        return exp.Substring(this=joined, start=lit(2))
    raise SqlUnsupported(f"cannot be compiled to SQL: an outcome holding a {v.kind} has no exact text in SQL yet",
                         loc, code="sql.unsupported")


def key(v: SqlValue, loc: Location) -> exp.Expression:
    """The value as text that tells every two values apart, None included: ``N``, or ``V`` and its cell."""
    text = cell(v, loc)
    if v.kind == "list":
        return exp.Concat(expressions=[lit("V"), text])
    return exp.Coalesce(this=exp.Concat(expressions=[lit("V"), text]), expressions=[lit("N")])


__all__ = ["cell", "key"]
