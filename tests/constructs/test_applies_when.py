"""`when:` on a decision, a matrix or a cadence: where it does not hold, the
element does not apply and its outputs are null ("not applicable"), which is
not the same as pending (not known yet). Leicestershire needs it (#14): a case
that is not on the Planned Work Tray has no RAG rating, contact date,
escalation or 28-day target."""
import datetime as dt

import pytest

from policyengine import RulebookInvalid, load_rulebook
from policyengine.change.testing import coverage_points
from policyengine.engine.unknown import UNKNOWN

from .test_constructs import HEAD

AS_OF = dt.date(2026, 11, 23)
BODY = """
  on_tray: {type: boolean, question: 'On the tray?'}
  level: {type: enum, values: [high, low], required: true, question: 'Level?'}
  added: {type: date, required: true, question: 'Added?'}
decisions:
  interval:
    type: interval
    source: g 1
    when: on_tray
    rules:
      - {when: level == 'high', value: 7 days, because: high is weekly}
    otherwise: {value: 14 days, because: low is fortnightly}
matrices:
  rating:
    when: on_tray
    by: [level]
    source: g 2
    because: the rating table
    cells: {high: red, low: green}
cadences:
  due:
    when: on_tray
    from: added
    every: interval
    overdue_as: overdue
    source: g 3
    because: one interval after it was added
outcomes: [interval, rating, due, overdue]
"""


@pytest.fixture
def book(write):
    return load_rulebook(write("c.yaml", HEAD + BODY))


def test_where_the_condition_holds_each_element_gives_its_value(book):
    d = book.evaluate({"case_id": "1", "on_tray": True, "level": "high", "added": "2026-11-10"}, AS_OF)
    assert {k: str(v) for k, v in d.outcomes.items()} == {
        "interval": "7 days", "rating": "red", "due": "2026-11-17", "overdue": "True"}


def test_where_it_does_not_hold_every_output_is_null_and_says_it_does_not_apply(book):
    d = book.evaluate({"case_id": "1", "on_tray": False, "level": "high", "added": "2026-01-01"}, AS_OF)
    assert d.outcomes == {"interval": None, "rating": None, "due": None, "overdue": None}
    assert d.pending == {}
    steps = {s.outcome: (s.because, s.rule, s.source) for s in d.explanation}
    assert steps == {
        "interval": ("it applies only when on tray", "not applicable", "g 1"),
        "rating": ("it applies only when on tray", "not applicable", "g 2"),
        "due": ("it applies only when on tray", "not applicable", "g 3"),
        "overdue": ("it applies only when on tray", "not applicable", "g 3"),
    }


def test_an_unanswered_condition_leaves_the_elements_pending_not_null(book):
    d = book.evaluate({"case_id": "1", "level": "low", "added": "2026-11-10"}, AS_OF)
    assert d.values["rating"] is UNKNOWN and d.values["due"] is UNKNOWN
    assert d.pending == {"interval": ["on_tray"], "rating": ["on_tray"], "due": ["on_tray"], "overdue": ["on_tray"]}


def test_not_applying_is_a_point_the_rulebooks_tests_must_reach(book):
    labels = [p.label for p in coverage_points(book)]
    assert "decisions `interval` not applicable" in labels and "matrices `rating` not applicable" in labels


def test_the_policy_document_says_where_each_element_applies(cli, write):
    path = write("c.yaml", HEAD + BODY)
    text = cli("docs", "-r", path).output
    assert text.count("Applies only when on tray; otherwise not applicable.") == 2  # the decision, the matrix
    assert "; only when on tray, otherwise not applicable." in text  # the cadence
    assert "| decisions.interval.when | `on_tray` |" in text  # the condition as written, in the appendix


def test_a_condition_naming_nothing_the_rulebook_defines_is_refused(write):
    with pytest.raises(RulebookInvalid) as info:
        load_rulebook(write("c.yaml", HEAD + BODY.replace("    when: on_tray\n    by:", "    when: on_tary\n    by:")))
    assert "unknown name `on_tary` (did you mean `on_tray`?)" in str(info.value.errors[0])


def test_coverage_counts_nothing_for_a_test_case_that_leaves_an_element_pending(cli, write):
    # A checklist or cadence left pending by its test case once crashed coverage ("neither true nor false").
    tests = ("tests:\n  - name: the tray is not answered\n"
             "    case: {case_id: T1, level: high, added: 2026-11-10}\n    expect: {rating: null}\n")
    path = write("c.yaml", HEAD + BODY + tests)
    result = cli("test", "--coverage", path)
    assert result.exit_code == 1
    assert result.output.startswith(f"coverage {path}: 0 of 9 rules, cells, bands, items and due dates reached\n")
