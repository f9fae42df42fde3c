"""The caseload table's columns, and the first step of the query: each case's answers.

The table holds the answers typed as the engine coerces them: a boolean, a
whole number, text (an enum's value as the rulebook spells it) or a date per
input, and for a list input one boolean column per value (``tasks__visit``),
since not every database has arrays. A NULL cell is a question left blank: the
input's ``default:`` where it has one, "not known" for a yes/no or list question
the engine must not answer itself (``engine.inputs``), "not recorded" for any
other optional input, and the row engine's refusal for a required one.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from ..engine.inputs import Input, Integer
from ..engine.sqlvalues import FALSE, SqlValue, any_of, case, column, lit
from ..engine.unknown import UNKNOWN

#: The SQL type of each input type's column.
COLUMN_TYPES = {"boolean": "BOOLEAN", "integer": "BIGINT", "string": "TEXT", "enum": "TEXT", "date": "DATE"}
#: The kind of value (``SqlValue.kind``) each input type gives.
KINDS = {"boolean": "boolean", "integer": "integer", "string": "string", "enum": "string", "date": "date",
         "list": "list"}


def member_column(name: str, value: str) -> str:
    """The column of one value of a list input: ``tasks__visit``."""
    return f"{name}__{value}"


def known_column(name: str) -> str:
    """Whether a yes/no or list question that may be left unanswered was answered."""
    return f"{name}__known"


def table_columns(inputs: dict[str, Input]) -> list[tuple[str, str]]:
    """The caseload table's columns, as (name, SQL type), in the rulebook's input order."""
    columns = []
    for name, spec in inputs.items():
        if spec.type == "list":
            columns += [(member_column(name, v), "BOOLEAN") for v in spec.values]
        else:
            columns.append((name, COLUMN_TYPES[spec.type]))
    return columns


def unknowable(spec: Input) -> bool:
    """Whether a blank answer is "not known" (the row engine's UNKNOWN)."""
    return spec.default is UNKNOWN


@dataclass
class Answer:
    """One input in the query: its value in SQL, whether it was answered, and its refusal."""

    value: SqlValue
    known: exp.Expression | None  # None: never "not known"
    problem: exp.Expression | None


def answer(spec: Input) -> Answer:
    """An input's value from its column(s), with its default, and what refuses it."""
    name = spec.name
    if spec.type == "list":
        cells = [column(member_column(name, v)) for v in spec.values]
        given = any_of([exp.not_(exp.Is(this=c, expression=exp.null())) for c in cells])
        default = spec.default if isinstance(spec.default, (list, tuple)) else None
        members = {v: (exp.Coalesce(this=c, expressions=[FALSE]) if default is None else
                       case([(given, exp.Coalesce(this=c.copy(), expressions=[FALSE]))], lit(v in default)))
                   for v, c in zip(spec.values, cells)}
        return Answer(SqlValue("list", members=members, nullable=False), given if default is None else None, None)
    column_ = column(name)
    if spec.type in ("string", "enum"):  # empty text is no answer, as the engine reads a case
        column_ = exp.Nullif(this=column_, expression=lit(""))
    blank = exp.Is(this=column_.copy(), expression=exp.null())
    problems = []
    if spec.required:
        problems.append((blank, lit(f"missing required field `{name}`")))
        if spec.type in ("string", "enum"):
            problems.append((exp.EQ(this=exp.Trim(this=column_.copy()), expression=lit("")),
                             lit(f"missing required field `{name}` (it holds only spaces)")))
    if spec.type == "enum":
        problems.append((exp.not_(column_.copy().isin(*(lit(v) for v in spec.values))),
                         lit(f"field `{name}` must be one of {', '.join(spec.values)}")))
    if spec.type == "integer":
        low, high = Integer.bounds(spec)
        problems.append((exp.not_(column_.copy().between(lit(low), lit(high))),
                         lit(f"field `{name}` must be from {low} to {high}")))
    problem = case(problems) if problems else None
    kind = KINDS[spec.type]
    if unknowable(spec):
        known = exp.not_(blank)
        return Answer(SqlValue(kind, column_, nullable=False), known, problem)
    if spec.default is not None:
        value = exp.Coalesce(this=column_, expressions=[lit(spec.default)])
        return Answer(SqlValue(kind, value, nullable=False), None, problem)
    return Answer(SqlValue(kind, column_, nullable=not spec.required), None, problem)


def candidate_count(spec: Input) -> int:
    """How many answers ``candidates`` gives, without making them (a list's subsets are 2 ** values)."""
    return 2 if spec.type == "boolean" else 2 ** len(spec.values)


def candidates(spec: Input) -> list[tuple]:
    """Every answer an unanswered question could have, as rows of SQL values:
    (True,), (False,) for yes/no; each subset of a list's values as its booleans."""
    if spec.type == "boolean":
        return [(True,), (False,)]
    count = len(spec.values)
    return [tuple(bool(mask >> i & 1) for i in range(count)) for mask in range(2 ** count)]


__all__ = ["Answer", "COLUMN_TYPES", "answer", "candidate_count", "candidates", "known_column", "member_column", "table_columns",
           "unknowable"]
