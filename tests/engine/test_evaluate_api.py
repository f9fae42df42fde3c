"""The public evaluate(): the explanation is built only when read; a defaulted as_of is recorded."""
import datetime as dt

from policyengine import evaluate
from policyengine.engine.evaluate import explanation

CASE = {"case_id": "L-1", "person_name": "Pat Example", "urgent_need": False, "ordinarily_resident": True,
        "support": "none", "risk": "high",
        "priority": "high", "complexity": "medium", "date_added": dt.date(2026, 10, 20)}


def test_the_explanation_is_built_on_first_reading_and_is_what_it_always_was(books):
    book = books["leicestershire"]
    for explain in (False, True):
        decision = evaluate(book, CASE, dt.date(2026, 11, 22), explain=explain)
        assert decision._steps is None  # nothing built for a caller that reads only outcomes
        steps = explanation(book, decision.values, decision.reasons, every=explain)
        assert decision.explanation == steps
        assert decision.explanation is decision.explanation
        assert decision.as_dict()["explanation"] == [s.as_dict() for s in steps]


def test_a_decision_records_whether_its_date_was_given_or_defaulted_to_today(books):
    book = books["leicestershire"]
    given = evaluate(book, CASE, dt.date(2026, 11, 22))
    today = evaluate(book, CASE)
    assert (given.as_of, given.as_of_defaulted) == (dt.date(2026, 11, 22), False)
    assert today.as_of_defaulted and today.as_of in (dt.date.today(), dt.date.today() - dt.timedelta(days=1))
