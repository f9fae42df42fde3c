"""An interview asks only the questions that can still change a reported
outcome, the most decisive first, and stops when none is left."""
import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from policyengine import load_rulebook
from policyengine.engine.interview import ORIGIN as _ORIGIN, next_questions
from tests.conftest import RULEBOOKS

AS_OF = dt.date(2026, 11, 22)

ROUTES = """
inputs:
  case_id: {type: string, required: true, question: 'Case reference?'}
  urgent: {type: boolean, question: 'Urgent?'}
  risk: {type: enum, values: [low, high], question: 'Risk?'}
  support: {type: enum, values: [none, some], question: 'Support?'}
  notes: {type: string, question: 'Anything else?'}
  ticked: {type: boolean, default: false, question: 'Ticked?'}
decisions:
  route:
    source: guide §1
    rules:
      - {when: urgent, value: duty, because: urgent}
      - {when: "risk == 'high' and support == 'none'", value: red, because: "high risk, no support"}
      - {when: ticked, value: ticked, because: ticked}
    otherwise: {value: tray, because: otherwise}
outcomes: [route]
"""


@pytest.fixture
def routes(minimal):
    head = minimal().read_text().split("inputs:")[0]
    path = minimal().with_name("routes.yaml")
    path.write_text(head + ROUTES)
    return load_rulebook(path)


def test_the_first_question_is_the_one_every_undecided_outcome_waits_on_in_question_order(routes):
    assert next_questions(routes, {}, AS_OF) == ["urgent", "risk", "support", "ticked"]


def test_an_answer_that_decides_the_outcome_ends_the_interview(routes):
    assert next_questions(routes, {"urgent": "yes"}, AS_OF) == []


def test_a_question_that_cannot_change_any_outcome_is_never_asked(routes):
    asked = next_questions(routes, {"urgent": "no", "risk": "low"}, AS_OF)
    assert asked == ["ticked"]  # support no longer matters once risk is low; notes never does
    assert "notes" not in next_questions(routes, {}, AS_OF)


def test_a_question_with_a_default_is_asked_and_not_known_lets_the_default_stand(routes):
    answers = {"urgent": "no", "risk": "low"}
    assert next_questions(routes, answers, AS_OF, not_known=["ticked"]) == []
    decision = routes.evaluate({"case_id": "I1", "urgent": False, "risk": "low"}, AS_OF)
    assert decision.outcomes == {"route": "tray"}


def test_a_question_answered_not_known_is_not_asked_again_and_the_outcome_stays_pending(routes):
    assert next_questions(routes, {}, AS_OF, not_known=["urgent"]) == ["risk", "support", "ticked"]
    assert next_questions(routes, {"risk": "high", "support": "none"}, AS_OF, not_known=["urgent"]) == []
    decision = routes.evaluate({"case_id": "I1", "risk": "high", "support": "none"}, AS_OF, partial=True)
    assert decision.pending == {"route": ["urgent"]}


def test_answers_are_read_as_a_caseload_cell_is_and_a_refused_one_is_an_error(routes):
    assert next_questions(routes, {"urgent": "N", "risk": "high", "support": "some", "ticked": "TRUE"},
                          AS_OF) == []
    with pytest.raises(Exception, match="field `risk`"):
        next_questions(routes, {"risk": "severe"}, AS_OF)


@pytest.mark.parametrize("rulebook", sorted(p.stem for p in RULEBOOKS.glob("*.yaml")))
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_an_interview_answered_at_random_ends_with_nothing_pending_but_what_was_left_not_known(
        books, rulebook, data):
    book = books[rulebook]
    answers, not_known = {"case_id": "I1"}, []
    while questions := next_questions(book, answers, AS_OF, not_known=not_known):
        name = questions[0]
        assert name not in answers and name not in not_known
        spec = book.inputs[name]
        answer = data.draw(_answer(spec), label=name)
        if answer is None:
            not_known.append(name)
        else:
            answers[name] = answer
        assert len(answers) + len(not_known) <= len(book.inputs)
    case = {k: v for k, v in book.reader.read(answers, _ORIGIN, text=True, partial=True).items() if k in answers}
    decision = book.evaluate(case, AS_OF, partial=True)
    for outcome, waits_on in decision.pending.items():
        assert set(waits_on) <= set(not_known), outcome


def _answer(spec):
    """A text answer a practitioner could give, or None for "not known"."""
    if spec.type == "boolean":
        choice = st.sampled_from(["yes", "no"])
    elif spec.type == "enum":
        choice = st.sampled_from(list(spec.values))
    elif spec.type == "list":
        choice = st.lists(st.sampled_from(list(spec.values)), unique=True)
    elif spec.type == "date":
        choice = st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)).map(dt.date.isoformat)
    elif spec.type == "integer":
        low = 0 if spec.minimum is None else int(spec.minimum)
        high = low + 40 if spec.maximum is None else int(spec.maximum)
        choice = st.integers(low, high).map(str)
    else:
        choice = st.sampled_from(["A Person", "x"])
    return st.none() | choice


