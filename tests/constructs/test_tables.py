"""Decision tables (`tables:`): DMN's simple tests and hit policies, checked for
gaps, overlaps and rows that never apply, explained by the row that decided."""
import datetime as dt
from decimal import Decimal

import pytest

from policyengine import EvaluationError, RulebookInvalid, load_rulebook
from policyengine.engine.constructs.unary import CellError, parse_cell

AS_OF = dt.date(2026, 11, 22)

HEAD = """\
rulebook: {id: t, title: T, council: C, version: "1", effective_from: 2026-01-01, review_by: 2999-01-01,
           sources: {guide: {title: G}}}
inputs:
  case_id: {type: string, required: true, question: 'Ref?'}
  rag: {type: enum, values: [red, amber, green], required: true, question: 'RAG?'}
  over: {type: boolean, default: false, question: 'On the tray over a month?'}
  risen: {type: boolean, question: 'Has the risk increased?'}
  age: {type: integer, question: 'Age?'}
  seen: {type: date, question: 'Last seen?'}
"""


def book(write, tables: str, outcomes: str):
    return load_rulebook(write("t.yaml", HEAD + "tables:\n" + tables + f"outcomes: [{outcomes}]\n"))


def problems(write, tables: str, outcomes: str) -> list[str]:
    with pytest.raises(RulebookInvalid) as info:
        book(write, tables, outcomes)
    return [e.message for e in info.value.errors]


ESCALATE = """\
  escalate:
    hit: first
    inputs: [rag, over, risen]
    rows:
      - [red, true, -, true]
      - [-, -, true, true]
      - [-, -, -, false]
    because: [a red case over a month on the tray, the manager believes the risk has increased, neither]
    source: guide §4
"""


@pytest.mark.parametrize("cell, holds, fails", [
    ("-", [None, 1, "red"], []),
    ("red", ["red"], ["amber", None]),
    ('"Medium","Low"', ["Medium", "Low"], ["High", None]),
    (">= 18", [18, 40, Decimal("18.5")], [17, None, "18"]),
    ("< 12", [11], [12]),
    ("[15..30)", [15, 29], [14, 30]),
    ("(15..30]", [16, 30], [15, 31]),
    ("not(red, amber)", ["green"], ["red", "amber", None]),
    ("true", [True], [False, 1]),
    ("null", [None], [0, ""]),
    ('date("2026-01-31")', [dt.date(2026, 1, 31)], [dt.date(2026, 2, 1)]),
    (">= 2026-01-31", [dt.date(2026, 2, 1)], [dt.date(2026, 1, 30)]),
    (["amber", "green"], ["amber", "green"], ["red"]),
])
def test_a_cell_is_a_simple_unary_test_with_dmns_meaning(cell, holds, fails):
    test = parse_cell(cell).test
    assert [test(v) for v in holds] == [True] * len(holds)
    assert [test(v) for v in fails] == [False] * len(fails)


@pytest.mark.parametrize("cell, problem", [
    ("red, ", "has an empty test between its commas"),
    ("[30..15]", "is a range whose first end is above its second: it holds for no value"),
    ("> red", "compares with `>` a value that has no order (text or yes/no)"),
    ("red amber", "is not a value, a comparison, a range, `-` or `not(...)`"),
])
def test_a_cell_that_is_not_a_simple_test_is_refused_saying_why(cell, problem):
    with pytest.raises(CellError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_cell(cell)


@pytest.mark.parametrize("case, value, because", [
    ({"rag": "red", "over": True, "risen": False}, True, "a red case over a month on the tray"),
    ({"rag": "green", "risen": True}, True, "the manager believes the risk has increased"),
    ({"rag": "red", "risen": False}, False, "neither"),
])
def test_a_first_hit_table_gives_the_first_row_that_applies_and_its_reason(write, case, value, because):
    decision = book(write, ESCALATE, "escalate").evaluate({"case_id": "T", **case}, AS_OF)
    assert decision.outcomes == {"escalate": value}
    step = decision.explanation[0]
    assert (step.because.split(": ", 1)[1], step.source) == (because, "guide §4")
    assert step.rule.startswith("row ")


def test_a_table_is_pending_only_while_an_unanswered_question_could_change_it(write):
    table = book(write, ESCALATE, "escalate")
    decided = table.evaluate({"case_id": "T", "rag": "red", "over": True}, AS_OF)
    assert decided.outcomes == {"escalate": True} and decided.pending == {}
    pending = table.evaluate({"case_id": "T", "rag": "amber"}, AS_OF)
    assert pending.outcomes == {"escalate": None} and pending.pending == {"escalate": ["risen"]}


BANDS = """\
  band:
    inputs: [age]
    rows:
      - ["< 18", child]
      - ["[18..65)", adult]
      - [">= 65", older]
    otherwise: {value: null, because: no age is recorded}
    source: guide §2
"""


@pytest.mark.parametrize("age, band", [(17, "child"), (18, "adult"), (64, "adult"), (65, "older"), (None, None)])
def test_a_unique_table_of_ranges_gives_each_age_its_band(write, age, band):
    case = {"case_id": "T", "rag": "red"} | ({} if age is None else {"age": age})
    assert book(write, BANDS, "band").evaluate(case, AS_OF).outcomes == {"band": band}


HIT = """\
  approval:
    hit: {hit}
    inputs: [age]
    {extra}
    rows:
      - [">= 18", Approved]
      - [">= 65", Declined]
      - ["-", Referred]
    source: guide §3
"""


@pytest.mark.parametrize("hit, extra, age, value", [
    ("priority", "values: [Declined, Referred, Approved]", 70, "Declined"),
    ("priority", "values: [Declined, Referred, Approved]", 30, "Referred"),
    ("rule_order", "", 70, ["Approved", "Declined", "Referred"]),
    ("output_order", "values: [Declined, Referred, Approved]", 70, ["Declined", "Referred", "Approved"]),
    ("collect", "", 30, ["Approved", "Referred"]),
    ("collect", "aggregate: count", 70, 3),
])
def test_each_hit_policy_gives_what_dmn_gives(write, hit, extra, age, value):
    table = book(write, HIT.format(hit=hit, extra=extra), "approval")
    assert table.evaluate({"case_id": "T", "rag": "red", "age": age}, AS_OF).outcomes == {"approval": value}


def test_collect_sums_numbers_exactly_and_gives_null_when_no_row_applies(write):
    table = book(write, """\
  premium:
    hit: collect
    aggregate: sum
    inputs: [age]
    rows:
      - [">= 18", 98.83]
      - [">= 65", 64.32]
    source: guide §3
""", "premium")
    assert table.evaluate({"case_id": "T", "rag": "red", "age": 70}, AS_OF).outcomes == {"premium": Decimal("163.15")}
    assert table.evaluate({"case_id": "T", "rag": "red", "age": 10}, AS_OF).outcomes == {"premium": None}


def test_several_outputs_give_a_mapping(write):
    table = book(write, """\
  approval:
    inputs: [rag]
    outputs: [status, rate]
    rows:
      - [red, Declined, Standard]
      - ["amber, green", Approved, Best]
    source: guide §3
""", "approval")
    assert table.evaluate({"case_id": "T", "rag": "green"}, AS_OF).outcomes == {
        "approval": {"status": "Approved", "rate": "Best"}}


def test_rows_of_an_any_table_that_apply_together_must_agree(write):
    assert problems(write, """\
  flag:
    hit: any
    inputs: [age]
    rows:
      - [">= 18", yes_flag]
      - ["<= 65", no_flag]
    otherwise: none_flag
    source: guide §3
""", "flag") == ["rows 1 and 2 both apply when age 18 and give different answers, which an `any` table forbids"]


def test_a_unique_table_whose_rows_overlap_is_refused_at_the_later_row(write):
    assert problems(write, """\
  esc:
    inputs: [rag, over]
    rows:
      - [red, true, yes]
      - [red, -, no]
      - ["amber, green", -, no]
    source: guide §1
""", "esc") == ["rows 1 and 2 both apply when rag red × over yes: a `unique` table allows one "
                "(with `hit: first`, the earlier row wins)"]


def test_a_gap_is_named_and_a_row_that_never_applies_first_is_dead(write):
    assert problems(write, """\
  esc:
    hit: first
    inputs: [rag, over]
    rows:
      - [red, -, yes]
      - [red, true, no]
      - [amber, -, no]
    source: guide §1
""", "esc") == [
        "table `esc` has no row for rag green × over yes: add a row, or say what holds when no row applies with "
        "`otherwise:`",
        "table `esc` has no row for rag green × over no: add a row, or say what holds when no row applies with "
        "`otherwise:`",
        "row 2 of table `esc` never applies: earlier rows apply first whenever it would"]


def test_a_gap_between_whole_numbers_is_found_and_none_is_invented_between_them(write):
    found = problems(write, """\
  band:
    inputs: [age]
    rows:
      - ["<= 17", child]
      - [">= 19", adult]
      - ["[17..18]", late]
    source: guide §2
""", "band")
    assert found == ["table `band` has no row for age not recorded: add a row, or say what holds when no row "
                     "applies with `otherwise:`",
                     "rows 1 and 3 both apply when age 17: a `unique` table allows one (with `hit: first`, the "
                     "earlier row wins)"]


def test_a_cell_naming_a_value_its_column_never_holds_is_refused_with_a_suggestion(write):
    found = problems(write, """\
  esc:
    hit: first
    inputs: [rag]
    rows:
      - [rde, yes]
      - [-, no]
    source: guide §1
""", "esc")
    assert found == ["row 1, input `rag`: `rde` is not one of its values: red, amber, green (did you mean `red`?)"]


def test_a_row_with_the_wrong_number_of_cells_is_refused(write):
    assert problems(write, """\
  esc:
    inputs: [rag]
    rows:
      - [red, amber, yes]
    source: guide §1
""", "esc") == ["row 1 has 3 cells; the table has 1 inputs and 1 output"]


def test_priority_needs_the_outputs_values_in_order(write):
    assert problems(write, HIT.format(hit="priority", extra=""), "approval") == [
        "a `priority` table ranks its rows by their outputs' `values`: give the output its values in priority order"]


def test_a_column_may_be_an_expression_and_its_overlaps_are_still_found(write):
    assert problems(write, """\
  esc:
    inputs: ["age if age else 0"]
    rows:
      - [">= 18", a]
      - [">= 10", b]
      - ["< 10", c]
    otherwise: c
    source: guide §1
""", "esc") == ["rows 1 and 2 both apply when age if age else 0 18: a `unique` table allows one "
                "(with `hit: first`, the earlier row wins)"]


def test_the_explanation_cites_the_row_and_its_line(write):
    step = book(write, ESCALATE, "escalate").evaluate(
        {"case_id": "T", "rag": "green", "risen": True}, AS_OF).explanation[0]
    assert (step.rule, step.location.rsplit(":", 1)[1], step.source) == ("row 2", "16", "guide §4")


def test_coverage_asks_for_every_row_and_counts_those_a_test_reaches(cli, write):
    path = write("t.yaml", HEAD + "tables:\n" + ESCALATE + """\
outcomes: [escalate]
tests:
  - {name: red over a month, case: {case_id: A, rag: red, over: true}, expect: {escalate: true}}
  - {name: nothing, case: {case_id: B, rag: green, risen: false}, expect: {escalate: false}}
""")
    result = cli("test", "--coverage", path)
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        f"coverage {path}: 2 of 3 rules, cells, bands, items and due dates reached",
        f"  not reached: {path}:16:9: tables `escalate` row 2"]


def test_the_policy_document_lays_a_table_out_as_a_table(cli, write):
    path = write("t.yaml", HEAD + "tables:\n" + ESCALATE + "outcomes: [escalate]\n")
    text = cli("docs", "--rulebook", path).output
    assert "| RAG | Over | Risen | Escalate | because |" in text
    assert "| Red | Yes | any | Yes | a red case over a month on the tray |" in text


def test_diff_names_the_row_that_changed_in_the_policy_owners_words(cli, write):
    before = write("a.yaml", HEAD + "tables:\n" + ESCALATE + "outcomes: [escalate]\n")
    after = write("b.yaml", (HEAD + "tables:\n" + ESCALATE + "outcomes: [escalate]\n").replace(
        "      - [-, -, true, true]", "      - [-, -, true, false]"))
    result = cli("diff", before, after)
    assert "changed  table escalate, row 2: when risen yes: yes → no  [guide §4]" in result.output
