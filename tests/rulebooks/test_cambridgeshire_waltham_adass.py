"""Cambridgeshire, Waltham Forest and the ADASS tiers: citations and documents.

Every outcome row, tier boundary, decline reason, working-day edge and
retention branch is in the rulebooks' own `tests:`; these check the command
line, the citations and that each document says what the guidance requires.
"""
import datetime as dt
import json

import pytest

from policyengine import render
from policyengine.engine.english import name

AS_OF = "2026-11-22"


@pytest.mark.parametrize("book, case", [
    ("cambridgeshire", "examples/cambridgeshire/christmas-allocation.yaml"),
    ("cambridgeshire", "examples/cambridgeshire/closing-cp-plan.yaml"),
    ("waltham_forest", "examples/waltham_forest/declined-referral.yaml"),
    ("waltham_forest", "examples/waltham_forest/declined-at-discussion.yaml"),
    ("waltham_forest", "examples/waltham_forest/review-and-allocation.yaml"),
    ("waltham_forest", "examples/waltham_forest/closing.yaml"),
    ("adass_tiers", "examples/adass_tiers/tier-2.yaml"),
    ("adass_tiers", "examples/adass_tiers/tier-3.json"),
])
def test_every_example_gives_every_outcome_with_a_citation(cli, books, book, case):
    result = cli("evaluate", "-r", f"rulebooks/{book}.yaml", case, "--as-of", AS_OF, "--explain",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.output)
    assert list(data["outcomes"]) == books[book].outcomes
    cited = {s["outcome"]: s["source"] for s in data["explanation"]}
    assert all(cited[o] for o in data["outcomes"])
    for doc in data["documents"]:
        # The shipped letters use placeholder phone numbers: they render only as drafts.
        draft = ["--draft"] if books[book].documents[doc].kind == "letter" else []
        rendered = cli("render", "-r", f"rulebooks/{book}.yaml", case, "-d", doc, "--as-of", AS_OF, *draft)
        assert rendered.exit_code == 0, rendered.stderr


def test_christmas_allocation_note_is_due_on_29_december(cli):
    result = cli("evaluate", "-r", "rulebooks/cambridgeshire.yaml",
                 "examples/cambridgeshire/christmas-allocation.yaml", "--as-of", "2026-12-24", "--format", "json")
    out = json.loads(result.output)["outcomes"]
    assert (out["allocation_due"], out["allocation_timely"], out["allocation_note_due"]) == \
        ("2026-12-24", True, "2026-12-29")


def cambs(books, **fields):
    base = {"case_id": "C-1", "referral_date": dt.date(2026, 11, 20), "date_of_birth": dt.date(2014, 7, 9)}
    return books["cambridgeshire"].evaluate({**base, **fields}, dt.date(2026, 11, 22))


def test_the_allocation_case_note_gives_the_dates_and_the_model(books):
    note = render(cambs(books, allocation_date=dt.date(2026, 11, 20), unit_model=True), "allocation_case_note")
    assert "Referral received: 20 November 2026" in note
    assert "Allocated: 20 November 2026 (on the day of referral)" in note
    assert "This note is due by: 23 November 2026 (within one working day of allocation)" in note
    assert "Consultant Social Worker with a lead Social Worker attached" in note


def test_the_allocation_case_note_applies_only_once_allocated(books):
    assert "allocation_case_note" not in cambs(books).documents


def test_the_closure_record_lists_what_is_missing_and_the_retention(books):
    d = cambs(books, closing=True, child_protection_plan=True, cp_plan_end_date=dt.date(2026, 10, 31),
              agency_disagreement=True, unit_model=False)
    record = render(d, "closure_record")
    assert "Decision to close made by: the Team Manager and the allocated worker (framework §4)" in record
    assert "Child and family told of the intention to close: not recorded" in record
    assert "- Another agency disagrees with closure: its reasons and the manager's rationale for proceeding " \
           "are not recorded." in record
    assert "Consider whether a Family Plan needs to be implemented until at least 31 January 2027" in record
    assert "Records to be retained until: 9 July 2089" in record


def wf(books, **fields):
    base = {"case_id": "W-1", "age": 70, "primary_support_reason": "frailty", "person_name": "Chris Example",
            "discussion_found_suitable": True}
    return books["waltham_forest"].evaluate({**base, **fields}, dt.date(2026, 11, 22))


def test_the_decline_letter_gives_reasons_alternatives_and_how_to_appeal(books):
    letter = render(wf(books, age=16, primary_support_reason="severe_mental_health",
                       referrer_name="Community Health Team"), "decline_letter", draft=True)
    assert "Dear Community Health Team," in letter
    assert "for the following reasons:" in letter
    assert "We recommend a referral to adult mental health services." in letter
    assert "We recommend a referral to Children's Social Care." in letter
    assert "You can appeal by writing to the Team Manager" in letter
    assert "reviewed in a team discussion" in letter


def test_the_decline_letter_is_only_for_declined_referrals(books):
    assert "decline_letter" not in wf(books).documents


def test_the_closure_letter_asks_for_feedback_and_the_gp_gets_one_letter_of_its_own(books):
    d = wf(books, closing=True, gp_name="Dr B Example", closure_plan_recorded=True, closure_referrals_needed=False,
           closure_distribution_discussed=True, gp_letter_needed=True)
    letter = render(d, "closure_letter", draft=True)
    assert "Dear Chris Example," in letter
    assert "we are closing your case" in letter
    assert "Tell us what you think" in letter
    assert "we are also writing to your GP, Dr B Example," in letter and "Copy to" not in letter
    gp = render(d, "gp_letter", draft=True)
    assert "Dear Dr B Example," in gp and "confirm the closure of your patient's case" in gp


def test_the_tier_note_shows_each_score_and_the_tier(cli, books):
    score = name(books["adass_tiers"].labels, "score")
    result = cli("render", "-r", "rulebooks/adass_tiers.yaml", "examples/adass_tiers/tier-3.json",
                 "-d", "tier_note", "--as-of", AS_OF)
    assert "| **Total** | **15** |" in result.output
    assert f"Tier 3: {score} is 15, at least 14: Tier 3 – 14–18 points (article, workload vignette)." in result.output


@pytest.mark.parametrize("score", [0, 4, "2"])
def test_a_score_outside_1_to_3_is_a_clear_input_error(cli, score):
    case = {"case_id": "A", "factor_1": score, "factor_2": 1, "factor_3": 1,
            "factor_4": 1, "factor_5": 1, "factor_6": 1}
    result = cli("evaluate", "-r", "rulebooks/adass_tiers.yaml", "-", input=json.dumps(case))
    assert result.exit_code == 1
    expected = "must be a whole number" if isinstance(score, str) else "must be from 1 to 3"
    assert result.stderr.endswith(f": field `factor_1` {expected}\n")
