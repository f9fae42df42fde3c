"""The query's `pending` column: each pending outcome and the unanswered questions whose answer
alone would change it, in the rulebook's input order, as the row engine's `pending` cell."""
from __future__ import annotations

import pytest

from policyengine import load_rulebook_text
from policyengine.sql import build_query, script

from .conftest import duckdb, load_table
from .differential import AS_OF, engine_rows, rulebook_head, table_rows

RULEBOOK = rulebook_head("waiting", "Waiting on answers") + """\
  urgent: {type: boolean, question: 'Urgent?'}
  resident: {type: boolean, question: 'Resident?'}
  needs: {type: list, values: [visit, call], question: 'Needs?'}
  noted: {type: boolean, question: 'Noted?'}
decisions:
  priority:
    source: g
    rules:
      - {when: urgent, value: high, because: urgent}
      - {when: "'visit' in needs", value: medium, because: a visit}
    otherwise: {value: low, because: neither}
  route:
    source: g
    rules: [{when: resident or (urgent and noted), value: ours, because: ours}]
    otherwise: {value: theirs, because: theirs}
outcomes: [priority, route]
"""
#: (urgent, resident, needs, noted) left blank (None) or answered, and the pending cell.
CASES = [
    ((None, None, None, None), "priority: urgent needs; route: urgent resident noted"),
    ((False, None, ["call"], None), "route: resident"),  # `noted` cannot matter once `urgent` is no
    ((False, True, None, None), "priority: needs"),  # a list left blank: every subset of its values tried
    ((True, True, None, None), ""),  # settled whatever the needs and noted
    ((False, False, [], False), ""),  # every question answered
]


@pytest.fixture(scope="module", params=[True, False], ids=["tries-as-columns", "tries-as-rows"])
def decided(request) -> list[tuple]:
    book = load_rulebook_text(RULEBOOK)
    conn = duckdb.connect()
    cases = [{"case_id": f"C{i}", **dict(zip(("urgent", "resident", "needs", "noted"), answers))}
             for i, (answers, _) in enumerate(CASES)]
    load_table(lambda sql, p: conn.execute(sql, p) if p is not None else conn.execute(sql), book,
               table_rows(book, cases))
    rows = conn.execute(script(book, "duckdb", as_of=AS_OF, wide=request.param)[1][-1]).fetchall()
    return book, cases, [list(row) for row in rows], [d[0] for d in conn.description]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_the_pending_cell_names_each_pending_outcome_and_the_questions_whose_answer_changes_it(decided, i):
    _, _, rows, names = decided
    assert rows[i][names.index("pending")] == CASES[i][1]


def test_the_pending_column_comes_after_the_outcomes_and_before_the_error(decided):
    assert decided[3][:5] == ["case_id", "priority", "route", "pending", "error"]


def test_a_pending_outcome_is_blank_and_the_row_is_the_row_engines_cell_for_cell(decided):
    book, cases, rows, _ = decided
    assert rows[0][1:3] == ["", ""]
    assert rows == engine_rows(book, cases)


@pytest.mark.parametrize("wide", [True, False], ids=["tries-as-columns", "tries-as-rows"])
def test_a_row_whose_pending_outcome_faults_in_every_try_is_marked_for_the_row_engine(wide):
    # `n > 1` cannot be compared when `n` is not recorded: every try of `flag` faults
    book = load_rulebook_text(RULEBOOK.replace("  noted: {type: boolean, question: 'Noted?'}",
                                               "  noted: {type: boolean, question: 'Noted?'}\n"
                                               "  n: {type: integer, question: 'N?'}").replace(
        "rules: [{when: resident or (urgent and noted)", "rules: [{when: n > 1 and (resident or urgent)"))
    query = build_query(book, as_of=AS_OF, wide=wide)
    assert query.wide is wide
    conn = duckdb.connect()
    load_table(lambda sql, p: conn.execute(sql, p) if p is not None else conn.execute(sql), book,
               [("C1", False, None, False, False, None, 5), ("C2", False, None, False, False, None, None)])
    select = query.select.copy().select(query.inexact.copy().as_("inexact"), copy=False)
    rows = conn.execute(select.sql(dialect="duckdb")).fetchall()
    assert [(r[0], r[3], r[-1]) for r in rows] == [("C1", "route: resident", False),
                                                  ("C2", "route: resident", True)]
