"""Waltham Forest (Adult Care Management Team): the rulebook and its letters say
what the operational policy says, and the letters assert only what the case records.

Each test quotes the sentence of the policy it holds the rulebook to. The outcome
edges are in the rulebook's own `tests:`; these check what those cannot: pending
answers, which documents apply, and what each letter says.
"""
import datetime as dt
import itertools

import pytest

from policyengine import evaluate, render

from .letters import laid_out

AS_OF = dt.date(2026, 11, 22)
UNANSWERED = object()  # leave the input out of the case

ACCEPTED = {"case_id": "W-1", "age": 70, "primary_support_reason": "frailty", "discussion_found_suitable": True}
READY = {**ACCEPTED, "closing": True, "closure_plan_recorded": True, "closure_referrals_needed": False,
         "closure_distribution_discussed": True, "gp_letter_needed": True}


@pytest.fixture(scope="module")
def wf(books):
    book = books["waltham_forest"]

    def decide(case):
        return evaluate(book, {k: v for k, v in case.items() if v is not UNANSWERED}, AS_OF)
    return decide


# -- contract: caseload_status is null unless worker_role is social_worker -----------------------

@pytest.mark.parametrize("role", [None, "social_work_assistant"])
@pytest.mark.parametrize("caseload", [0, 24, 27, 30, 200])
def test_s9_6_each_social_worker_holds_up_to_25_30_so_no_other_role_gets_a_caseload_status(wf, role, caseload):
    # §9.6: "each Social Worker will routinely hold mixed caseload of up to 25-30 residents"
    case = {**ACCEPTED, "worker_caseload": caseload, **({"worker_role": role} if role else {})}
    d = wf(case)
    assert d.outcomes["caseload_status"] is None and "caseload_status" not in d.pending


def test_a_social_workers_caseload_is_banded(wf):
    assert wf({**ACCEPTED, "worker_role": "social_worker", "worker_caseload": 27}).outcomes["caseload_status"] \
        == "near_capacity"


# -- contract: the reservation to Social Workers is kept, and flagged as an inference ----------

def test_the_reservation_of_s42_court_of_protection_dols_and_legal_work_is_flagged_as_inferred_from_s9_6(books):
    reserved = books["waltham_forest"].data["reserved_tasks"]["social_worker_tasks"]
    assert reserved["tasks"] == ["case_management", "section_42_enquiry", "court_of_protection", "dols",
                                 "legal_work"]
    assert reserved["because"].startswith("the rulebook's reading, inferred from §9.6 and not stated as a rule")
    assert "a council can change the list in a fork" in reserved["because"]


# -- contract: every boolean and list input states its choice ----------------------------------

def test_every_yes_no_and_list_input_states_whether_not_answered_means_no(books):
    inputs = books["waltham_forest"].data["inputs"]
    defaults = {name: spec.get("default", "none") for name, spec in inputs.items()
                if spec["type"] in ("boolean", "list")}
    assert defaults == {
        "transition_from_childrens": False, "resident_in_borough": True, "hospital_discharge": False,
        "requested_tasks": [], "material_changes": [], "risk_escalating": False, "closing": False,
        # Must be confirmed, so not answered is not known:
        "discussion_found_suitable": "none", "closure_plan_recorded": "none", "closure_referrals_needed": "none",
        "closure_referrals_made": "none", "closure_distribution_discussed": "none", "gp_letter_needed": "none",
    }


def test_the_team_phone_is_marked_as_a_placeholder(books):
    # The policy gives no phone number: letters must not present "020 0000 0000" as real.
    assert books["waltham_forest"].placeholders == frozenset({"team_phone"})


# -- Figure 1: basic screening, then a management discussion decides suitability ---------------

def test_figure_1_a_referral_passing_basic_inclusion_waits_for_the_management_discussion(wf):
    # Figure 1: "Screen for basic inclusion" → "Management discussion to determine suitability." → "Accept"
    d = wf({**ACCEPTED, "discussion_found_suitable": UNANSWERED})
    assert d.outcomes["screening"] is None
    assert d.pending["screening"] == ["discussion_found_suitable"]
    assert d.pending["team"] == ["discussion_found_suitable"]


def test_figure_1_a_decline_at_the_management_discussion_is_recorded_and_written_to_the_referrer(wf):
    # §6.1: "If a referral is declined, the reasons will be outlined in writing to the referrer"
    d = wf({**ACCEPTED, "discussion_found_suitable": False, "referrer_name": "Whipps Cross discharge team",
            "person_name": "Jo Example", "decline_explanation": "Needs are met by the current care package."})
    assert (d.outcomes["screening"], d.outcomes["decline_reasons"], d.outcomes["team"]) == ("decline", [], None)
    letter = render(d, "decline_letter", draft=True)
    assert "We discussed it at our management meeting and found that it is not suitable" in letter
    assert "we recommend: Needs are met by the current care package." in letter
    assert "screened it for basic inclusion" not in letter


def test_a_referral_failing_basic_inclusion_is_declined_without_waiting_for_the_discussion(wf):
    d = wf({"case_id": "W-2", "age": 30, "primary_support_reason": "learning_disability"})
    assert d.outcomes["screening"] == "decline" and d.pending == {}
    letter = render(d, "decline_letter", draft=True)
    assert "We have screened it for basic inclusion, and we are not able to accept it, for the following reason:" \
        in letter
    assert "management meeting" not in letter


def test_a_discussion_decline_with_no_reasons_recorded_says_not_recorded_rather_than_inventing_them(wf):
    letter = render(wf({**ACCEPTED, "discussion_found_suitable": False}), "decline_letter", draft=True)
    assert "Our reasons, and the alternative services or management options we recommend: not recorded" in letter


# -- the decline letter identifies who it is about, for the referrer --------------------------

def test_the_decline_letter_names_the_person_and_the_referral_for_the_referrer(wf):
    d = wf({"case_id": "W-3", "age": 77, "primary_support_reason": "severe_mental_health", "person_name": "Jo Example",
            "date_of_birth": dt.date(1949, 2, 3), "referral_date": dt.date(2026, 11, 18)})
    letter = laid_out(d, "decline_letter")
    assert ("Our reference: W-3\n\nDear Sir or Madam,\n\nReferral for: Jo Example\nDate of birth: 3 February 1949\n"
            "Referral received: 18 November 2026\n") in letter  # no referrer recorded: no address block
    assert "You can appeal by writing to the Team Manager" in letter


def test_the_decline_letter_says_not_recorded_for_a_missing_name_and_leaves_out_missing_dates(wf):
    letter = render(wf({"case_id": "W-4", "age": 16, "primary_support_reason": "frailty"}), "decline_letter",
                    draft=True)
    assert "Referral for: not recorded\n" in letter
    assert "Date of birth" not in letter and "Referral received" not in letter


# -- §8.3: closure waits on an agreed closure plan recorded in Mosaic and the referrals --------

def test_s8_3_closure_waits_until_the_closure_plan_and_referrals_are_answered(wf):
    # §8.3: "Prior to closure ... will agree an agreed closure plan for each Adult. This plan will be
    # recorded in the Mosaic case record notes."
    d = wf({**ACCEPTED, "closing": True})
    assert d.outcomes["ready_to_close"] is None
    assert d.pending["ready_to_close"] == ["closure_plan_recorded", "closure_referrals_needed",
                                           "closure_referrals_made"]
    assert d.documents == []
    assert d.outcomes["closure_steps"][0] == ("Agree a closure plan for the person, involving them where possible, "
                                              "and record it in the Mosaic case record notes.")


@pytest.mark.parametrize("answers", [
    {"closure_plan_recorded": False},
    {"closure_referrals_needed": True, "closure_referrals_made": False},
])
def test_s8_3_no_closure_letter_goes_out_before_the_plan_is_recorded_and_referrals_made(wf, answers):
    # §8.3: "necessary enquiries and referrals will be made to universal /health services"
    d = wf({**READY, **answers})
    assert d.outcomes["ready_to_close"] is False
    assert d.documents == []


def test_s15_closure_summary_and_deallocation_case_note_are_closure_steps(wf):
    # §15 "Minimum requirement for progress notes: ... Closure summary/transfer summary · Deallocation case note"
    steps = wf({**ACCEPTED, "closing": True}).outcomes["closure_steps"]
    assert "Write the closure summary (or transfer summary)." in steps
    assert "Write the deallocation case note." in steps


# -- §10 / §8.3: one letter to the GP, as needed, distribution discussed with the resident ------

CLOSURE_QUESTIONS = ["closure_plan_recorded", "closure_referrals_needed", "closure_referrals_made",
                     "closure_distribution_discussed", "gp_letter_needed"]


def test_never_two_letters_to_the_gp_for_one_closure_and_none_before_distribution_is_discussed(wf):
    # §10: "copied to General Practitioner or other agencies as needed. Distribution of the closure letter
    # will be discussed with the resident and/or representative." §8.3: "a letter confirming closure will be
    # sent to the residents GP". Every combination of yes, no and not answered:
    for answers in itertools.product([True, False, UNANSWERED], repeat=len(CLOSURE_QUESTIONS)):
        given = dict(zip(CLOSURE_QUESTIONS, answers))
        d = wf({**ACCEPTED, "closing": True, "gp_name": "Dr B Example", **given})
        # Referrals recorded as made settle the referral question whether or not "needed" is answered.
        ready = given["closure_plan_recorded"] is True and (
            given["closure_referrals_needed"] is False or given["closure_referrals_made"] is True)
        discussed = given["closure_distribution_discussed"] is True
        assert ("closure_letter" in d.documents) == (ready and discussed), given
        assert ("gp_letter" in d.documents) == (ready and discussed and given["gp_letter_needed"] is True), given
        if "closure_letter" in d.documents:
            letter = render(d, "closure_letter", draft=True)
            assert "Copy to" not in letter  # the GP gets its own letter, never a copy as well
            assert ("writing to your GP, Dr B Example," in letter) == ("gp_letter" in d.documents)


def test_a_declined_referral_marked_as_closing_gets_only_the_decline_letter(wf):
    for case in ({**READY, "age": 30, "primary_support_reason": "learning_disability"},
                 {**READY, "discussion_found_suitable": False}):
        d = wf(case)
        assert d.documents == ["decline_letter"]
        assert (d.outcomes["ready_to_close"], d.outcomes["closure_steps"]) == (None, [])


# -- the closure letter says only what the case records ---------------------------------------

def test_the_closure_letter_with_referrals_made_and_a_gp_letter_says_both(wf):
    d = wf({**READY, "person_name": "Morgan Example", "gp_name": "Dr B Example", "closure_referrals_needed": True,
            "closure_referrals_made": True, "closure_referral_services": "the community diabetes service"})
    letter = render(d, "closure_letter", draft=True)
    assert "Dear Morgan Example," in letter
    assert "We have agreed a plan for closing your case, and it is recorded in your case record." in letter
    assert ("We have made the referrals to universal and health services that the review of your needs "
            "identified: the community diabetes service.") in letter
    assert "As discussed, we are also writing to your GP, Dr B Example, to confirm that your case is closed." \
        in letter
    # §10: "A request will be made of the resident for feedback on their experience of the social work intervention"
    assert "We would like to hear about your experience of the social work support you had from us" in letter
    # §12's own link for complaints and compliments
    assert "https://www.walthamforest.gov.uk/council-and-elections/making-complaint-compliment-or-claim/" in letter


def test_the_closure_letter_with_no_referrals_and_no_gp_letter_claims_neither(wf):
    d = wf({**READY, "gp_letter_needed": False, "closure_letter_copies": "Forest Road district nurses"})
    assert d.documents == ["closure_letter"]
    letter = render(d, "closure_letter", draft=True)
    assert "Dear Sir or Madam," in letter
    assert "referral" not in letter
    assert "GP" not in letter
    assert letter.rstrip().endswith("Copy to: Forest Road district nurses\n\nYours sincerely,")
    # Nothing the policy does not say: no promise about future contact.
    assert "If your needs change" not in letter


# -- the GP letter identifies the patient -----------------------------------------------------

def test_the_gp_letter_gives_the_patients_name_and_date_of_birth(wf):
    d = wf({**READY, "person_name": "Morgan Example", "date_of_birth": dt.date(1968, 4, 12), "gp_name": "Dr B Example",
            "closure_referrals_needed": True, "closure_referrals_made": True})
    letter = laid_out(d, "gp_letter")
    assert ("Dr B Example\n\n24 November 2026\nOur reference: W-1\n\nDear Dr B Example,\n\n"
            "Patient: Morgan Example\nDate of birth: 12 April 1968\n") in letter
    assert "We discussed with your patient, or their representative, who this letter goes to." in letter
    assert "A closure plan was agreed and is recorded in our case record." in letter
    assert "We have made the referrals to universal and health services" in letter


def test_the_gp_letter_without_a_name_or_date_of_birth_says_so_and_claims_no_referrals(wf):
    letter = laid_out(wf(READY), "gp_letter")
    assert "Phone: 020 0000 0000\n\n24 November 2026\nOur reference: W-1\n\nDear Doctor,\n\nPatient: not recorded\n" in letter
    assert "Date of birth" not in letter
    assert "referrals" not in letter


# -- §11.1: escalating risk ---------------------------------------------------------------------

def test_s11_1_escalating_risk_is_on_the_worklist_with_its_actions(cli):
    # §11.1: "they will review the adult's level of Risk. Staff will inform their line manager"
    out = cli("worklist", "-r", "rulebooks/waltham_forest.yaml", "examples/waltham_forest", "--as-of", "2026-11-23")
    assert out.exit_code == 0, out.stderr
    assert "LBWF-ACM-2290  Escalating risk: review the level of risk and inform the line manager" in out.stdout
    assert "  Ready to close: none 3, yes 1\n" in out.stdout
