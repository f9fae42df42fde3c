"""Expressions in SQL mean what they mean to the row engine: every whitelisted node
and function, on answers given, not recorded (None) and not known, compared case
by case with the row engine on DuckDB. Not known is the engine's: an outcome the
same whatever the answer is decided (``a or not a`` is true), which SQL's own
NULL logic would leave unknown."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from policyengine import load_rulebook_text
from policyengine.sql import script

from .conftest import duckdb, load_table
from .differential import AS_OF, engine_rows, rulebook_head, table_rows

HEAD = rulebook_head("expr", "Expressions") + """\
  a: {type: boolean, question: 'A?'}
  b: {type: boolean, question: 'B?'}
  n: {type: integer, question: 'N?'}
  m: {type: integer, question: 'M?'}
  d: {type: date, question: 'D?'}
  e: {type: enum, values: [x, y], question: 'E?'}
  s: {type: string, question: 'S?'}
  tasks: {type: list, values: [visit, call], question: 'Tasks?'}
outcomes: [out]
"""
CONDITION = HEAD + """\
decisions:
  out:
    source: g
    rules: [{when: "{expr}", value: "yes", because: it holds}]
    otherwise: {value: "no", because: it does not}
"""
VALUE = HEAD + """\
decisions:
  out:
    source: g
    rules: [{when: "s == 'skip'", value: null, because: skipped}]
    otherwise: {expr: "{expr}", because: worked out}
"""
#: Each input's answers: None is a blank (not known for a and b, not recorded for the rest).
ANSWERS = {
    "a": [True, False, None], "b": [True, False, None], "n": [None, -1, 0, 3], "m": [None, 0, 3],
    "d": [None, dt.date(2024, 2, 29), dt.date(2026, 1, 31), dt.date(2026, 11, 24), dt.date(2026, 12, 24),
          dt.date(2026, 12, 25)],
    "e": [None, "x", "y"], "s": [None, "", "text"], "tasks": [None, [], ["visit"], ["visit", "call"]],
}
CONDITIONS = [
    "a or not a", "a or b", "not (a and b)", "a == b", "a != b", "n > 2",
    "n is none or n > 2", "n > 2 and a", "0 < n < 3", "n == none", "n == m", "e == 'x'", "e != 'x'",
    "e in ['x']", "e not in ['x', 'y']", "e in [none]", "'visit' in tasks", "'call' not in tasks", "tasks",
    "tasks and a", "a or tasks", "any_in(tasks, ['call'])", "only(tasks, ['call']) | length == 1",
    "tasks | length > 1", "s", "s == ''", "s | length > 2", "d > as_of", "d is none or d <= as_of",
    "days_between(d, as_of) > 30", "add(d, '1 month') > as_of", "add(d, '12 months') == as_of",
    "subtract(d, '2 working days') < as_of", "add(d, '3 working days') > as_of", "is_working_day(d)",
    "first(n, m) == 3", "(n if a else m) == 0", "n + m > 1", "n * m > 1", "-n > 0", "n - m == 0",
    "not n", "n or m", "e and a",
]
VALUES = ["n + m", "first(n, m)", "days_between(d, as_of)", "add(d, '1 month')", "subtract(d, '1 year')",
          "add(d, '10 working days')", "e", "s", "n if a else m", "a and b", "a or b", "not a", "n > 1",
          "a and not a", "a is none", "s == ''"]


def _cases(book) -> list[dict]:
    names = sorted({n for el in book.elements for n in el.deps} & set(ANSWERS))
    combos = itertools.product(*(ANSWERS[n] for n in names))
    return [{"case_id": f"C{i:04d}", **dict(zip(names, combo))} for i, combo in enumerate(combos)]


def _same_on_duckdb(text: str) -> None:
    book = load_rulebook_text(text)
    cases = _cases(book)
    statements = script(book, "duckdb", as_of=AS_OF)[1]
    conn = duckdb.connect()
    for statement in statements[:-1]:
        conn.execute(statement)
    load_table(lambda sql, p: conn.execute(sql, p) if p is not None else conn.execute(sql), book,
               table_rows(book, cases))
    got = [list(row) for row in conn.execute(statements[-1]).fetchall()]
    want = engine_rows(book, cases)
    wrong = [(case, g, w) for case, g, w in zip(cases, got, want) if g != w]
    assert not wrong, wrong[:3]
    assert len(got) == len(want)


@pytest.mark.parametrize("expr", CONDITIONS)
def test_a_condition_holds_in_sql_exactly_where_it_holds_in_the_row_engine(expr):
    _same_on_duckdb(CONDITION.replace("{expr}", expr))


@pytest.mark.parametrize("expr", VALUES)
def test_a_value_in_sql_is_the_row_engines_value(expr):
    _same_on_duckdb(VALUE.replace("{expr}", expr))


def test_an_outcome_the_same_whatever_the_answer_is_decided_where_sql_null_logic_would_not_decide_it():
    book = load_rulebook_text(CONDITION.replace("{expr}", "a or not a"))
    statements = script(book, "duckdb", as_of=AS_OF)[1]
    conn = duckdb.connect()
    load_table(lambda sql, p: conn.execute(sql, p) if p is not None else conn.execute(sql), book,
               [("C1", None, None, None, None, None, None, None, None, None)])
    assert conn.execute(statements[-1]).fetchall()[0][:2] == ("C1", "yes")
    assert conn.execute("SELECT CAST(NULL AS BOOLEAN) OR NOT CAST(NULL AS BOOLEAN)").fetchone() == (None,)
