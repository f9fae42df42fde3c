"""What would change the answer: the smallest changes to a case's answers (#13).

"Why is my mother amber and not red?" The alternatives list, for each reported
outcome with a set of values, the single changes of answer that give it another
value, then pairs for a value no single change reaches.
"""
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from policyengine import PolicyEngineError, load_rulebook
from policyengine.engine.alternatives import alternatives, inputs_behind
from policyengine.engine.load import load_case
from policyengine.engine.unknown import UNKNOWN
from policyengine.engine.english import value

from ..conftest import EXAMPLES, RULEBOOKS

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def leics():
    return load_rulebook(RULEBOOKS / "leicestershire.yaml")


def test_an_amber_case_would_be_red_with_no_support_or_a_high_risk(leics):
    decision = leics.evaluate(load_case(str(EXAMPLES / "leicestershire" / "amber-on-tray.yaml")), AS_OF)
    assert decision.outcomes["rag"] == "amber"
    rag = [a for a in alternatives(decision) if a["outcome"] == "rag"]
    assert rag == [
        {"outcome": "rag", "becomes": "red", "if": {"support": "none"}},
        {"outcome": "rag", "becomes": "green", "if": {"support": "full"}},
        {"outcome": "rag", "becomes": "red", "if": {"risk": "high"}},
        {"outcome": "rag", "becomes": "green", "if": {"risk": "low"}},
    ]


def test_a_value_no_single_answer_reaches_is_found_as_a_pair(leics):
    decision = leics.evaluate(load_case(str(EXAMPLES / "leicestershire" / "amber-on-tray.yaml")), AS_OF)
    prefix = [a for a in alternatives(decision) if a["outcome"] == "task_comment_prefix"]
    assert prefix == [{"outcome": "task_comment_prefix", "becomes": "urgent",
                       "if": {"priority": "high", "response_within_24_hours": True}}]


def test_a_date_is_moved_only_to_the_nearest_day_that_changes_the_outcome(leics):
    decision = leics.evaluate(load_case(str(EXAMPLES / "leicestershire" / "amber-on-tray.yaml")), AS_OF)
    found = {a["outcome"]: a["if"] for a in alternatives(decision) if len(a["if"]) == 1
             and a["outcome"] in ("contact_overdue", "allocation_overdue") and "date" in str(a["if"])}
    # Fortnightly contact: last contacted 7 November, due 21 November, overdue on 22 November.
    assert found["contact_overdue"] == {"last_contact": dt.date(2026, 11, 7)}
    # 28 days from being added on 24 October is 21 November: overdue on 22 November.
    assert found["allocation_overdue"] == {"date_added": dt.date(2026, 10, 24)}
    assert sum(1 for a in alternatives(decision) if a["if"].keys() == {"last_contact"}) == 1


def test_a_complex_case_names_each_factor_that_would_make_it_straightforward():
    book = load_rulebook(RULEBOOKS / "knowsley.yaml")
    decision = book.evaluate(load_case(str(EXAMPLES / "knowsley" / "complex-case.yaml")), AS_OF)
    complex_ = [a for a in alternatives(decision) if a["outcome"] == "complex"]
    assert complex_ == [{"outcome": "complex", "becomes": False, "if": {f: False}}
                        for f in ("nature_of_condition", "environmental_factors", "family_dynamics")]


def test_the_inputs_behind_an_outcome_are_in_question_order(leics):
    # The RAG rating applies to a case on the tray only, so the route's questions are behind it too.
    assert inputs_behind(leics, "rag") == ["urgent_need", "ordinarily_resident", "resolved_by_duty", "allocate_now",
                                           "support", "risk"]
    assert "case_id" not in inputs_behind(leics, "route")


def _cases(book):
    fields = {}
    for name, spec in book.inputs.items():
        fields[name] = {
            "boolean": st.booleans(), "enum": st.sampled_from(spec.values),
            "list": st.lists(st.sampled_from(spec.values or ("x",)), unique=True),
            "date": st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 12, 31)),
            "integer": st.integers(0, 6), "string": st.sampled_from(["A", "urgent", "x"]),
        }[spec.type]
    required = {n: fields.pop(n) for n in book.reader.required}
    return st.fixed_dictionaries(required, optional=fields)


@pytest.mark.parametrize("path", sorted(RULEBOOKS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_listed_change_gives_the_listed_value_and_a_single_change_the_smallest(path):
    book = load_rulebook(path)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_cases(book))
    def check(case):
        try:
            decision = book.evaluate(case, AS_OF)
        except PolicyEngineError:
            return
        singles = {}
        for alt in alternatives(decision):
            # A question the case left unanswered stays unanswered (UNKNOWN is not an answer to give).
            kept = {n: v for n in book.inputs if (v := decision.values[n]) is not UNKNOWN}
            changed = {**kept, **alt["if"]}
            after = book.evaluate(changed, AS_OF)
            assert after.outcomes[alt["outcome"]] == alt["becomes"] != decision.outcomes[alt["outcome"]]
            if len(alt["if"]) == 1:
                singles.setdefault(alt["outcome"], set()).add(str(alt["becomes"]))
            else:  # a pair is listed only for a value no single change gives
                assert str(alt["becomes"]) not in singles.get(alt["outcome"], set())

    check()


def test_alternatives_are_in_the_json_only_when_asked_for_and_read_in_words(cli, leics):
    args = ("evaluate", "-r", "rulebooks/leicestershire.yaml", "examples/leicestershire/amber-on-tray.yaml",
            "--as-of", "2026-11-22")
    import json

    assert json.loads(cli(*args, "--format", "json").stdout)["alternatives"] is None
    asked = json.loads(cli(*args, "--format", "json", "--alternatives").stdout)["alternatives"]
    assert asked[4] == {"outcome": "rag", "becomes": "red", "if": {"support": "none"}}
    text = cli(*args, "--alternatives").stdout
    route = f"{leics.labels.of('route')} would be {value(leics.labels, 'route', 'duty_point')}"
    assert f"\n{route} if: Does the person have an immediate and urgent social care need? yes\n" in text


def test_the_api_lists_alternatives_when_asked(leics):
    from fastapi.testclient import TestClient

    from policyengine import create_app

    client = TestClient(create_app(str(RULEBOOKS)))
    case = load_case(str(EXAMPLES / "leicestershire" / "amber-on-tray.yaml"))
    case = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in case.items()}
    plain = client.post("/api/rulebooks/leicestershire/evaluate?as_of=2026-11-22", json=case).json()
    asked = client.post("/api/rulebooks/leicestershire/evaluate?as_of=2026-11-22&alternatives=true", json=case).json()
    assert plain["alternatives"] is None
    assert {"outcome": "rag", "becomes": "green", "if": {"risk": "low"}} in asked["alternatives"]


def test_a_rulebook_whose_prose_writes_a_superscript_number_still_offers_alternatives(leics):
    # "10²" is str.isdigit() but int() cannot read it: the candidate numbers were read with int()
    from policyengine.engine.pipeline import load_rulebook_text

    text = (RULEBOOKS / "leicestershire.yaml").read_text().replace("because: ", "because: over 10² cases, ", 1)
    book = load_rulebook_text(text, name="leicestershire.yaml", base_dir=str(RULEBOOKS))
    decision = book.evaluate(load_case(str(EXAMPLES / "leicestershire" / "amber-on-tray.yaml")), AS_OF)
    assert [a for a in alternatives(decision) if a["outcome"] == "rag"] == [
        a for a in alternatives(leics.evaluate(load_case(str(EXAMPLES / "leicestershire" / "amber-on-tray.yaml")),
                                               AS_OF)) if a["outcome"] == "rag"]
