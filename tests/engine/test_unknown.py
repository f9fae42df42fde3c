"""Unknown is not No: unanswered questions, pending outcomes and what they still need (issue #13, §1-2)."""
import csv
import datetime as dt
import io
import json
import pickle

import pytest

from policyengine import CaseError, EvaluationError, load_rulebook
from policyengine.engine.unknown import UNKNOWN
from policyengine.engine.values import for_csv, for_json, words
from policyengine.engine.english import in_sentence, value

from ..conftest import RULEBOOKS

AS_OF = dt.date(2026, 11, 24)
SUPPORT = "What support does the person have?"  # the question, without the explanation after it
RISK = "What is the risk of harm?"
ADDED = "On what date was the case added to the Planned Work Tray?"

KLEENE = """\
rulebook:
  id: kleene
  title: Kleene
  council: Test Council
  version: "1"
  effective_from: 2026-01-01
  review_by: 2999-01-01
  sources: {guide: {title: Test guide}}
inputs:
  case_id: {type: string, required: true, question: 'Case reference?'}
  a: {type: boolean, question: 'Is A so?'}
  b: {type: boolean, question: 'Is B so?'}
  told: {type: boolean, default: false, question: 'Told?'}
  tasks: {type: list, values: [x, y], question: 'Which tasks?'}
  level: {type: enum, values: [low, high], required: true, question: 'What level?'}
  score: {type: integer, required: true, minimum: 0, maximum: 100, question: 'What score?'}
  seen: {type: date, question: 'When was the person seen?'}
decisions:
  either:
    source: guide §1
    rules:
      - {when: a or b, value: true, because: A or B}
    otherwise: {value: false, because: neither}
  both:
    source: guide §1
    rules:
      - {when: a and b, value: true, because: A and B}
    otherwise: {value: false, because: not both}
  has_x:
    source: guide §1
    rules:
      - {when: "'x' in tasks", value: true, because: x is a task}
    otherwise: {value: false, because: x is not a task}
  band:
    source: guide §1
    rules:
      - {when: score >= 40, value: high, because: 40 or more}
    otherwise: {value: low, because: under 40}
  ratio:
    source: guide §1
    rules:
      - {when: "level == 'high' and score > 90", value: big, because: high and over 90}
    otherwise: {value: small, because: not both}
  late:
    source: guide §1
    rules:
      - {when: b and seen < as_of, value: true, because: seen before today}
    otherwise: {value: false, because: not late}
  alike:
    source: guide §1
    rules:
      - {when: a, value: open, because: A holds}
    otherwise: {value: open, because: A does not hold}
outcomes: [either, both, has_x, band, ratio, late]
"""


def rag_matrix_line(book, key: str = "rag:") -> int:
    """The line of the RAG matrix (or of ``key`` in it) in the rulebook, so the test follows edits above it."""
    lines = open(book.path).read().splitlines()
    start = lines.index("  rag:", lines.index("matrices:"))
    return next(n for n, line in enumerate(lines[start:], start + 1) if line.strip().startswith(key))


@pytest.fixture(scope="module")
def leics():
    return load_rulebook(RULEBOOKS / "leicestershire.yaml")


@pytest.fixture
def kleene(write):
    return load_rulebook(write("kleene.yaml", KLEENE))


def test_the_unknown_value_is_never_true_or_false_and_reads_not_known():
    assert (repr(UNKNOWN), str(UNKNOWN), words(UNKNOWN), for_json(UNKNOWN), for_csv(UNKNOWN)) == \
        ("not known", "not known", "not known", None, "")
    with pytest.raises(TypeError, match="neither true nor false"):
        bool(UNKNOWN)
    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN


def test_an_unanswered_boolean_or_list_without_a_default_is_unknown_and_a_default_stands(kleene):
    decision = kleene.evaluate({"case_id": "K1", "level": "low", "score": 50}, AS_OF)
    assert (decision.values["a"], decision.values["tasks"], decision.values["told"]) == (UNKNOWN, UNKNOWN, False)
    assert kleene.reader.json_schema("t")["properties"]["a"] == {  # #20: optional as a type list
        "description": "Is A so?", "type": ["boolean", "null", "string"], "maxLength": 0}  # "" is not answered


def test_true_or_unknown_is_true_and_false_and_unknown_is_false(kleene):
    case = {"case_id": "K1", "level": "low", "score": 50}
    decision = kleene.evaluate({**case, "a": True}, AS_OF)
    assert decision.outcomes["either"] is True
    assert decision.outcomes["both"] is None and decision.pending["both"] == ["b"]
    decision = kleene.evaluate({**case, "a": False}, AS_OF)
    assert decision.outcomes["both"] is False
    assert decision.outcomes["either"] is None and decision.pending["either"] == ["b"]


def test_nothing_answered_leaves_each_outcome_waiting_for_the_questions_it_needs(kleene):
    decision = kleene.evaluate({"case_id": "K1"}, AS_OF, partial=True)
    assert decision.outcomes == {"either": None, "both": None, "has_x": None, "band": None, "ratio": None,
                                 "late": None}
    assert decision.pending == {"either": ["a", "b"], "both": ["a", "b"], "has_x": ["tasks"],
                                "band": ["score"], "ratio": ["level", "score"], "late": ["b"]}
    assert decision.explanation[2].because == "not known yet: still needed: Which tasks?"


def test_a_required_answer_missing_is_an_error_unless_partial_and_case_id_is_always_required(kleene):
    with pytest.raises(CaseError, match="missing required field `level`"):
        kleene.evaluate({"case_id": "K1", "score": 3}, AS_OF)
    with pytest.raises(CaseError, match="missing required field `case_id`"):
        kleene.evaluate({"level": "low"}, AS_OF, partial=True)
    decision = kleene.evaluate({"case_id": "K1", "score": 3, "a": True}, AS_OF, partial=True)
    assert decision.values["level"] is UNKNOWN
    assert decision.outcomes["band"] == "low"


def test_integer_boundaries_come_from_the_rulebooks_own_comparisons(kleene):
    decision = kleene.evaluate({"case_id": "K1", "level": "low"}, AS_OF, partial=True)
    assert decision.outcomes["ratio"] == "small"  # `level == 'high' and ...` is false whatever the score
    assert decision.pending["band"] == ["score"]  # 39 and 40 are both candidates


def test_a_completion_in_which_a_rule_cannot_run_leaves_its_outcome_pending_not_a_crash(kleene):
    # with `b` true, `seen < as_of` compares a date nobody recorded: that completion cannot be decided
    case = {"case_id": "K1", "level": "high", "score": 5}
    decision = kleene.evaluate(case, AS_OF)
    assert decision.outcomes["late"] is None and decision.pending["late"] == ["b"]
    assert kleene.evaluate({**case, "b": False}, AS_OF).outcomes["late"] is False
    with pytest.raises(EvaluationError, match="cannot compare a missing"):
        kleene.evaluate({**case, "b": True}, AS_OF)


def test_an_outcome_decided_by_different_rules_alike_says_so(kleene):
    decision = kleene.evaluate({"case_id": "K1", "level": "low", "score": 50, "a": True, "b": False,
                                "tasks": []}, AS_OF)
    assert decision.pending == {}
    decision = kleene.evaluate({"case_id": "K1", "level": "low", "b": False, "a": True, "tasks": []}, AS_OF,
                               partial=True)
    ratio = next(s for s in decision.explanation if s.outcome == "ratio")
    assert (ratio.value, ratio.because, ratio.rule) == ("small", "not both", "otherwise")
    decision = kleene.evaluate({"case_id": "K1", "level": "low", "score": 1}, AS_OF, explain=True)
    alike = next(s for s in decision.explanation if s.outcome == "alike")
    assert (alike.value, alike.because, alike.rule) == (
        "open", "the same whatever the unanswered questions turn out to be", "whatever the answers")


def test_too_many_combinations_leave_the_outcome_pending_with_a_warning(write):
    inputs = "".join(f"  q{i}: {{type: boolean, question: 'Q{i}?'}}\n" for i in range(13))
    text = KLEENE.split("inputs:\n")[0] + "inputs:\n  case_id: {type: string, required: true, question: 'Ref?'}\n" \
        + inputs + "decisions:\n  many:\n    source: guide §1\n    rules:\n" \
        + "      - {when: " + " or ".join(f"q{i}" for i in range(13)) + ", value: true, because: any}\n" \
        + "    otherwise: {value: false, because: none}\noutcomes: [many]\n"
    book = load_rulebook(write("many.yaml", text))
    decision = book.evaluate({"case_id": "M1"}, AS_OF)
    assert decision.outcomes == {"many": None}
    assert decision.pending == {"many": [f"q{i}" for i in range(13)]}
    assert decision.warnings == ["`many` is not decided: the 13 unanswered questions it depends on have more "
                                 "than 4,096 combinations of answers to try"]
    assert book.evaluate({"case_id": "M1", "q3": True}, AS_OF).outcomes == {"many": True}


def test_the_done_when_example_decides_the_route_and_lists_what_the_rest_need(leics):
    decision = leics.evaluate({"case_id": "C1", "urgent_need": True}, AS_OF, partial=True)
    data = decision.as_dict()
    assert list(data) == ["rulebook", "case_id", "as_of", "outcomes", "pending", "explanation", "documents",
                          "warnings", "alternatives", "changes_ahead", "provenance"]
    assert data["outcomes"] == {
        "route": "duty_point", "rag": None, "contact_interval": None, "next_contact_due": None,
        "contact_overdue": None, "escalate_to_ssm": None, "allocation_target": None, "allocation_overdue": None,
        "annual_review_due": None, "safe_and_well_check": False, "risk_indicator_warning": False,
        "task_comment_prefix": "", "actions": None}
    # A Duty Point case is not on the tray (#14): its RAG rating, contact dates, escalation and 28-day
    # target do not apply (null, and not pending); the actions wait on ordinary residence.
    assert data["pending"] == {"actions": ["ordinarily_resident"]}
    assert data["explanation"][1] == {
        "outcome": "rag", "value": None,
        "because": f"it applies only when the route is {value(leics.labels, 'route', 'pwt')}",
        "source": "pwt Recording priority and complexity and the RAG matrix", "rule": "not applicable",
        "location": f"{leics.path}:{rag_matrix_line(leics, 'when:')}"}  # its `when: route == 'pwt'`
    assert data["documents"] == [] and data["warnings"][1:] == []
    json.dumps(data)  # all of it is JSON


def test_a_case_bound_for_the_tray_lists_what_its_rating_and_dates_still_need(leics):
    decision = leics.evaluate({"case_id": "C1", "urgent_need": False, "ordinarily_resident": True}, AS_OF,
                              partial=True)
    data = decision.as_dict()
    assert data["outcomes"]["route"] == "pwt"
    assert data["pending"] == {
        "rag": ["support", "risk"], "contact_interval": ["support", "risk"],
        "next_contact_due": ["support", "risk", "date_added"], "contact_overdue": ["support", "risk", "date_added"],
        "escalate_to_ssm": ["support", "risk", "date_added"], "allocation_target": ["date_added"],
        "allocation_overdue": ["date_added"], "actions": ["support", "risk", "date_added"]}
    assert data["explanation"][1] == {
        "outcome": "rag", "value": None, "because": f"not known yet: still needed: {SUPPORT}; {RISK}",
        "source": "pwt Recording priority and complexity and the RAG matrix", "rule": "not decided",
        "location": f"{leics.path}:{rag_matrix_line(leics)}"}
    assert data["documents"] == ["person_letter", "pwt_case_note"]
    assert data["warnings"][1:] == [f"document `ssm_escalation_note` may apply once these are answered: "
                                    f"{SUPPORT}; {RISK}; {ADDED}"]


def test_a_complete_case_has_nothing_pending_and_the_same_answer_as_before(leics):
    case = {"case_id": "C2", "urgent_need": False, "ordinarily_resident": True, "support": "none", "risk": "high",
            "priority": "high", "complexity": "low", "date_added": "2026-09-01"}
    decision = leics.evaluate(case, AS_OF)
    assert decision.pending == {} and decision.as_dict()["pending"] == {}
    assert decision.outcomes["rag"] == "red" and decision.outcomes["route"] == "pwt"
    assert decision.outcomes == leics.evaluate(case, AS_OF, partial=True).outcomes


def test_the_cli_evaluates_a_partial_case_and_says_what_is_still_needed(cli, write, leics):
    labels = leics.labels
    case = write("case.yaml", "case_id: C1\nurgent_need: false\nordinarily_resident: true\n")
    refused = cli("evaluate", "--rulebook", "rulebooks/leicestershire.yaml", case, "--as-of", "2026-11-24")
    assert (refused.exit_code, refused.stderr) == (1, "".join(
        f"{case}: missing required field `{name}`\n"
        for name in ("support", "risk", "priority", "complexity", "date_added")))
    result = cli("evaluate", "--partial", "--rulebook", "rulebooks/leicestershire.yaml", case,
                 "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert f"  {labels.of('route')}: {value(labels, 'route', 'pwt')}\n" in result.stdout
    assert f"  {labels.of('rag')}: not known yet\n" in result.stdout
    assert f"\nStill needed to decide {in_sentence(labels.of('rag'))}: {SUPPORT}; {RISK}\n" in result.stdout
    assert f"\nStill needed to decide {in_sentence(labels.of('allocation_target'))}: {ADDED}\n" in result.stdout
    assert "Still needed to decide route" not in result.stdout
    data = json.loads(cli("evaluate", "--partial", "-r", "rulebooks/leicestershire.yaml", case,
                          "--as-of", "2026-11-24", "--format", "json").stdout)
    assert data["outcomes"]["route"] == "pwt" and data["pending"]["rag"] == ["support", "risk"]


def test_batch_leaves_pending_outcomes_empty_and_names_what_they_need(cli, write, kleene):
    caseload = write("cases.csv", "case_id,a,b,tasks,level,score\nK1,yes,,x,low,50\nK2,no,no,,high,95\n")
    out = caseload.with_suffix(".out.csv")
    result = cli("batch", "-r", kleene.path, caseload, "--as-of", "2026-11-24", "-o", out)
    assert result.exit_code == 0, result.output
    rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("case_id,either,both,has_x,band,ratio,late,pending,error,where,")
    assert rows[1].startswith("K1,true,,true,high,small,,both: b; late: b,,row 2,")
    assert rows[2].startswith("K2,false,false,,high,big,false,has_x: tasks,,row 3,")
    lines = cli("batch", "-r", kleene.path, caseload, "--as-of", "2026-11-24").stdout.splitlines()
    record = json.loads(lines[1])
    assert list(record) == ["case_id", "outcomes", "pending", "warnings", "provenance"]
    assert (record["outcomes"]["has_x"], record["pending"]) == (None, {"has_x": ["tasks"]})
    assert json.loads(lines[0])["pending"] == {"both": ["b"], "late": ["b"]}


def test_a_complete_batch_row_has_an_empty_pending_cell(cli, tmp_path):
    out = tmp_path / "out.csv"
    cli("batch", "-r", "rulebooks/leicestershire.yaml", "examples/leicestershire/caseload.csv", "-o", out,
        "--as-of", "2026-11-24", "--ignore-column", "worker_name", "--ignore-column", "team",
        "--ignore-column", "notes")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    column = rows[0].index("pending")
    actions = sum(1 for name in rows[0] if name.startswith("actions."))
    assert column == 1 + 12 + actions and actions > 10 and len(rows) == 8  # 12 outcomes and an item a column
    assert [row[column] for row in rows[1:]] == [""] * 7


def test_an_element_over_the_bound_is_still_decided_when_no_value_of_what_it_reads_changes_it(write):
    inputs = "".join(f"  q{i}: {{type: boolean, question: 'Q{i}?'}}\n" for i in range(13))
    text = KLEENE.split("inputs:\n")[0] + "inputs:\n  case_id: {type: string, required: true, question: 'Ref?'}\n" \
        + inputs + "  c: {type: boolean, question: 'C?'}\ndecisions:\n  many:\n    source: guide §1\n" \
        + "    rules:\n      - {when: " + " or ".join(f"q{i}" for i in range(13)) + ", value: true, because: any}\n" \
        + "    otherwise: {value: false, because: none}\n" \
        + "  gate:\n    source: guide §1\n    rules:\n      - {when: c and many, value: open, because: both}\n" \
        + "    otherwise: {value: shut, because: not both}\noutcomes: [many, gate]\n"
    book = load_rulebook(write("gate.yaml", text))
    decision = book.evaluate({"case_id": "G1", "c": False}, AS_OF)
    assert decision.outcomes == {"many": None, "gate": "shut"}
    assert decision.explanation[1].because == "not both"
    decision = book.evaluate({"case_id": "G1", "c": True}, AS_OF)
    assert decision.outcomes == {"many": None, "gate": None}
    assert decision.pending["gate"] == [f"q{i}" for i in range(13)]
    assert len(decision.warnings) == 2 and decision.warnings[1].startswith("`gate` is not decided: the 13 ")
