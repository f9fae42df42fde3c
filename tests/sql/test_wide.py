"""The tries as columns (``wide``) stay within what a database and the machine can hold, and a
rulebook whose names the columns would confuse is refused rather than decided wrongly."""
from __future__ import annotations

import io
from unittest import mock

import pytest

from policyengine import load_rulebook_text
from policyengine.caseload.run import run_caseload
from policyengine.errors import PolicyEngineError
from policyengine.sql import build_query, query, script

from .conftest import load_table
from .differential import AS_OF, engine_rows, rulebook_head, table_rows

HEAD = rulebook_head("wide", "Wide")


def book_with(inputs: str, decisions: str, outcomes: list[str]):
    return load_rulebook_text(f"{HEAD}{inputs}decisions:\n{decisions}outcomes: [{', '.join(outcomes)}]\n")


def decision(name: str, when: str) -> str:
    return (f"  {name}:\n    source: g\n    rules: [{{when: \"{when}\", value: high, because: yes}}]\n"
            "    otherwise: {value: low, because: no}\n")


def test_the_first_form_tries_one_combination_however_many_the_rulebook_has():
    # two lists of 12 values left unanswered: 2^24 combinations, which the first form never makes
    values = ", ".join(f"v{i}" for i in range(12))
    book = book_with(f"  a: {{type: list, values: [{values}], question: 'A?'}}\n"
                     f"  b: {{type: list, values: [{values}], question: 'B?'}}\n",
                     decision("both", "'v1' in a and 'v2' in b"), ["both"])
    with mock.patch.object(query.itertools, "product", side_effect=AssertionError("every combination made")):
        built = build_query(book, as_of=AS_OF, first=True)
    sql = built.select.sql(dialect="duckdb")
    assert built.wide and '"a__v1__c0"' in sql and '__c1"' not in sql


@pytest.mark.parametrize("value", ["visit__c1", "known"])
def test_a_list_value_whose_column_would_be_one_of_the_querys_own_is_refused_by_name(value):
    book = book_with(f"  needs: {{type: list, values: [visit, {value}], question: 'Needs?'}}\n",
                     decision("priority", "'visit' in needs"), ["priority"])
    with pytest.raises(PolicyEngineError) as refused:
        build_query(book, as_of=AS_OF)
    assert refused.value.message == (
        f"cannot be compiled to SQL: the list `needs` has the value `{value}`, whose column would be named as one of the query's own (it holds "
        "`__` or is `known`): rename it")


def wide_book():
    """Five questions that may be left unanswered (32 combinations) read by 24 decisions: as columns,
    more than PostgreSQL's 1,664 a step may have."""
    inputs = "".join(f"  q{i}: {{type: boolean, question: 'Q{i}?'}}\n" for i in range(5))
    decisions = "".join(decision(f"d{j}", f"q{j % 5} or (q{(j + 1) % 5} and not q{(j + 2) % 5})") for j in range(24))
    return book_with(inputs, decisions, [f"d{j}" for j in range(24)])


def test_a_rulebook_whose_tries_as_columns_would_be_too_many_for_postgresql_has_them_as_rows():
    book = wide_book()
    built = build_query(book, as_of=AS_OF)
    assert not built.wide and built.width <= query.MAX_COLUMNS
    with mock.patch.object(query, "MAX_COLUMNS", 10_000):
        assert build_query(book, as_of=AS_OF).width > 1_664


def test_that_rulebook_runs_on_postgresql_as_the_row_engine_decides_it(postgres):
    book = wide_book()
    cases = [{"case_id": f"C{i}", **{f"q{k}": (None, True, False)[(i + k) % 3] for k in range(5)}} for i in range(6)]
    with postgres.transaction(force_rollback=True):
        load_table(lambda sql, params: postgres.execute(sql, params), book, table_rows(book, cases), marker="%s")
        cursor = postgres.execute(script(book, "postgres", as_of=AS_OF)[1][-1])
        assert [list(row) for row in cursor.fetchall()] == engine_rows(book, cases)


def test_list_values_differing_only_in_case_are_refused_since_a_database_reads_their_columns_as_one(tmp_path):
    book = book_with("  needs: {type: list, values: [Visit, visit], question: 'Needs?'}\n",
                     decision("priority", "'visit' in needs"), ["priority"])
    with pytest.raises(PolicyEngineError) as refused:
        build_query(book, as_of=AS_OF)
    assert refused.value.message == (
        "cannot be compiled to SQL: the columns `needs__Visit` and `needs__visit` differ only in case, and a database "
        "may read them as one: rename one of them")
    # so `--engine duckdb` leaves the rulebook to the row engine: `Visit` alone is not `visit`
    path = tmp_path / "cases.csv"
    path.write_text("case_id,needs\nA,Visit\nB,visit\n", encoding="utf-8")
    written = {}
    for engine in ("python", "duckdb"):
        out = io.StringIO()
        run_caseload(book, str(path), as_of=AS_OF, output=out, format="csv", engine=engine, on_note=lambda _: None)
        written[engine] = out.getvalue()
    assert written["duckdb"] == written["python"]
    assert [line.split(",")[:2] for line in written["python"].splitlines()[1:]] == [["A", "low"], ["B", "high"]]
