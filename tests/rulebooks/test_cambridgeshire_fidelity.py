"""Cambridgeshire against its guidance (#14): each test quotes the sentence of the
1.2.2 Framework for Case Management it holds the rulebook and its documents to.

Every rule and item is also in the rulebook's own `tests:`; these check what the
engine and the documents make of them: pending answers, contradictions, and
that a note or record states nothing the case does not record.
"""
import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine import render

AS_OF = dt.date(2026, 11, 22)
BASE = {"case_id": "C-1", "referral_date": dt.date(2026, 11, 20), "date_of_birth": dt.date(2014, 7, 9)}


def cambs(books, as_of=AS_OF, **fields):
    return books["cambridgeshire"].evaluate({**BASE, **fields}, as_of)


# -- "retained for 25 years ... unless they have been subject to child protection plan ... 75 years" --
def test_a_plan_end_date_with_the_plan_box_unticked_keeps_the_records_75_years_and_says_so(books):
    # The case: 15 June 2012, a plan that ended on 31 October 2026, the plan box unticked.
    d = cambs(books, date_of_birth=dt.date(2012, 6, 15), cp_plan_end_date=dt.date(2026, 10, 31), closing=True)
    assert (d.outcomes["subject_to_cp_plan"], d.outcomes["retention_until"]) == (True, dt.date(2087, 6, 15))
    record = render(d, "closure_record")
    assert "Records to be retained until: 15 June 2087" in record
    assert "2037" not in record
    assert "- A child protection plan end date is recorded but the child is not recorded as subject to a " \
           "child protection plan." in record
    assert "The child was subject to a child protection plan that ended on 31 October 2026." in record


_dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))


@settings(max_examples=150, deadline=None)
@given(birth=_dates, death=st.none() | _dates, plan=st.booleans(), looked_after=st.booleans(),
       plan_end=st.none() | _dates)
def test_contradictory_answers_never_give_the_shorter_retention_silently(books, birth, death, plan,
                                                                         looked_after, plan_end):
    case = {"date_of_birth": birth, "child_protection_plan": plan, "looked_after": looked_after,
            "cp_plan_end_date": plan_end, "date_of_death": death}
    d = cambs(books, **case)
    # "derive the plan from the date": ticking the box the date implies changes nothing.
    if plan_end is not None:
        assert cambs(books, **{**case, "child_protection_plan": True}).outcomes["retention_until"] == \
            d.outcomes["retention_until"]
    # Only a real death before the 18th birthday ("if the child has died before reaching 18 years old")
    # may shorten the retention, and never with a warning about that date outstanding.
    alive = cambs(books, **{**case, "date_of_death": None}).outcomes["retention_until"]
    if d.outcomes["retention_until"] < alive:
        assert birth <= death <= AS_OF
        assert not any("date of death" in w for w in d.outcomes["record_warnings"])
    if death is not None and (death < birth or death > AS_OF):
        assert d.outcomes["retention_until"] == alive
        assert any("date of death" in w for w in d.outcomes["record_warnings"])


def test_the_death_clause_comes_last_in_the_chapter_and_its_precedence_is_flagged_as_a_reading(books):
    # "... until 75 years from Date of Birth, or if the child has died before reaching 18 years old for
    # a period of 6 years from the Date of Death"
    d = cambs(books, date_of_birth=dt.date(2015, 5, 1), date_of_death=dt.date(2026, 3, 10),
              child_protection_plan=True)
    assert d.outcomes["retention_until"] == dt.date(2032, 3, 10)
    because = {s.outcome: s.because for s in d.explanation}["retention_until"]
    assert "The chapter lists the death clause last; the rulebook's reading is that it applies" in because


def test_died_before_reaching_18_for_a_29_february_birthday_is_flagged_as_a_reading(books):
    # "if the child has died before reaching 18 years old": born 29 February 2008, died 28 February 2026.
    d = cambs(books, date_of_birth=dt.date(2008, 2, 29), date_of_death=dt.date(2026, 2, 28))
    assert d.outcomes["retention_until"] == dt.date(2033, 2, 28)  # had reached 18: the longer period
    assert "born on 29 February" in books["cambridgeshire"].data["decisions"]["died_before_18"]["rules"][2]["because"]


# -- "led by a qualified social worker"; "allocated to the CSW with a lead SW attached" --------------
def test_who_leads_the_assessment_and_the_model_unanswered_are_pending_not_yes(books):
    # "Working Together 2015 requires that assessments under the Children Act 1989 should be
    # multi-agency and led by a qualified social worker."
    d = cambs(books, allocation_date=dt.date(2026, 11, 20))
    assert d.pending == {"assessment_lead_ok": ["assessment_led_by_qualified_sw"],
                         "closure_decision_by": ["unit_model"]}
    note = render(d, "allocation_case_note")
    assert "Assessment led by a qualified social worker: not recorded\n" in note
    assert "Model: not recorded" in note
    assert ": yes" not in note
    assert "Respective responsibilities of the Consultant Social Worker and the qualified social worker, " \
           "and the tasks each will undertake (if the case is held in a Unit):" in note


def test_the_allocation_note_of_a_team_case_states_only_what_is_recorded(books):
    note = render(cambs(books, allocation_date=dt.date(2026, 11, 20), unit_model=False,
                        assessment_led_by_qualified_sw=False, access_leaflet_given=True), "allocation_case_note")
    assert "Model: Team\n" in note
    assert "Assessment led by a qualified social worker: NO – Working Together requires" in note
    assert "Respective responsibilities" not in note  # no Consultant Social Worker in a Team
    assert "Computer Records\" leaflet given to the family: yes" in note
    assert "Check the record" not in note


def test_the_allocation_note_of_a_unit_case_asks_for_the_respective_responsibilities(books):
    # "this needs to be clearly reflected in the case allocation note and the unit model"
    note = render(cambs(books, allocation_date=dt.date(2026, 11, 20), unit_model=True,
                        assessment_led_by_qualified_sw=True), "allocation_case_note")
    assert "Model: Unit – the case is allocated to the Consultant Social Worker with a lead Social Worker " \
           "attached" in note
    assert "Assessment led by a qualified social worker: yes" in note
    assert "Respective responsibilities of the Consultant Social Worker and the qualified social worker, " \
           "and the tasks each will undertake:" in note
    # §9 "it is good practice to give the family a copy of the ... Leaflet": not recorded, never "no".
    assert "leaflet given to the family: not recorded (good practice when beginning any work with a child " \
           "and family)" in note


def test_an_allocation_dated_before_the_referral_is_not_called_on_the_day_of_referral(books):
    d = cambs(books, allocation_date=dt.date(2026, 11, 19), unit_model=True, assessment_led_by_qualified_sw=True)
    note = render(d, "allocation_case_note")
    assert "Allocated: 19 November 2026 (before the referral date recorded: check both dates)" in note
    assert "- The allocation date is before the referral date. Correct whichever date is wrong." in note


# -- Closure: §4 and §5 ----------------------------------------------------------------------------
def test_a_closure_with_nothing_recorded_claims_nothing(books):
    record = render(cambs(books, closing=True, unit_model=True), "closure_record")
    assert "Reason for closure: not recorded\nDate of closure: not recorded\n" in record
    assert "Outcomes identified for the child met: not recorded" in record
    assert "Child and family told of the intention to close: not recorded" in record
    assert "Other agencies involved: none recorded" in record
    for absent in ("disagrees", "Transfer identified", "Lead Professional", "child protection plan",
                   "Nothing outstanding", "Date of death", "Check the record"):
        assert absent not in record
    assert "Records to be retained until: 9 July 2039 (records are retained for 25 years from the date of " \
           "birth)." in record


def test_a_complete_early_help_closure_records_each_step_and_nothing_outstanding(books):
    # "They will then invite these professionals to a final Child In Need (CIN) meeting ... This should be
    # done with the child and family's consent." / "must be carried out by the allocated worker"
    d = cambs(books, closing=True, unit_model=True, closure_reason="Outcomes met.",
              closure_date=dt.date(2026, 11, 27), outcomes_met=True, family_informed=True,
              family_views_recorded=True, other_agencies_involved=True, agencies_consulted=True,
              agency_monitoring_agreed=True, transfer_to_early_help=True, transfer_by_allocated_worker=True,
              final_cin_meeting_held=True, family_consent_to_transfer=True, new_lead_professional="A. Worker")
    record = render(d, "closure_record")
    assert "Decision to close made by: the Consultant Social Worker, in consultation with the allocated " \
           "workers in the unit (framework §4)" in record
    assert "Reason for closure: Outcomes met.\nDate of closure: 27 November 2026\n" in record
    assert "Further intervention or monitoring by those agencies identified and agreed: yes" in record
    assert "Transfer identified: a transfer to the District Early Help Team\n" \
           "Carried out by the allocated worker: yes\nFinal Child in Need meeting held: yes\n" \
           "Child's and family's consent to the transfer: yes\nNew Lead Professional: A. Worker\n" in record
    assert "Nothing outstanding on the closure checklist." in record
    assert "disagrees" not in record and "not recorded" not in record


def test_when_telling_the_family_is_not_possible_the_record_gives_the_reason(books):
    # "When possible the child and family must always be informed of the intention to close the case"
    d = cambs(books, closing=True, unit_model=False, outcomes_met=True,
              family_not_informed_reason="The family has moved abroad and cannot be reached.")
    assert d.outcomes["closure_blockers"] == []
    record = render(d, "closure_record")
    assert "Child and family told of the intention to close: not possible – The family has moved abroad " \
           "and cannot be reached.\n" in record
    assert "views on closure" not in record


def test_a_disagreement_is_recorded_with_the_agencys_reasons_and_the_managers_rationale(books):
    # "Any disagreement from another agency to case closure must be recorded upon the Closure Record,
    # citing the reasons for this and the manager's rationale for proceeding with closure."
    d = cambs(books, closing=True, unit_model=False, agency_disagreement=True,
              disagreement_reasons="The school wants support to continue.")
    record = render(d, "closure_record")
    assert "Their reasons: The school wants support to continue.\n" \
           "The manager's rationale for proceeding with closure: not recorded\n" in record
    assert "- Another agency disagrees with closure: its reasons and the manager's rationale for proceeding " \
           "are not recorded." in record
    assert "Other agencies involved: yes" in record  # an agency that disagrees has been involved
    d = cambs(books, closing=True, unit_model=False, agency_disagreement=True, agencies_consulted=True,
              disagreement_reasons="The school wants support to continue.",
              manager_rationale="The plan's outcomes are met and the school will monitor attendance.")
    assert "Another agency disagrees" not in " ".join(d.outcomes["closure_blockers"])
    assert "The manager's rationale for proceeding with closure: The plan's outcomes are met and the school " \
           "will monitor attendance." in render(d, "closure_record")


def test_a_plan_without_an_end_date_asks_for_the_family_plan_without_inventing_a_date(books):
    # "consideration should be given as to whether a ' Family Plan needs to be implemented for at least
    # 3 months after the child is no longer subject to the CP plan"
    record = render(cambs(books, closing=True, unit_model=True, child_protection_plan=True), "closure_record")
    assert "the date it ended is not recorded. Consider whether a Family Plan needs to be implemented for " \
           "at least 3 months after it ended" in record
    assert "until at least" not in record


# -- The worklist ----------------------------------------------------------------------------------
def test_the_worklist_lists_contradictory_answers_and_what_closure_still_needs(cli, tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({
        "case_id": "CAM-1", "referral_date": "2026-01-05", "date_of_birth": "2012-06-15",
        "cp_plan_end_date": "2026-10-31", "closing": True, "outcomes_met": True, "family_informed": True,
        "family_views_recorded": True}))
    (tmp_path / "b.json").write_text(json.dumps({
        "case_id": "CAM-2", "referral_date": "2026-01-05", "date_of_birth": "2012-06-15", "closing": True}))
    result = cli("worklist", "-r", "rulebooks/cambridgeshire.yaml", tmp_path, "--as-of", "2026-11-23",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.output)
    assert out["escalations"] == [{"case_id": "CAM-1", "date": None,
                                   "item": "Answers contradict each other: correct the record (see record_warnings)"}]
    assert out["actions"] == [{"case_id": "CAM-2", "actions": [
        "The outcomes identified for the child are not recorded as met.",
        ("The child and family have not been told of the intention to close the case (if that is not possible, "
         "record why)."),
        "The child's and family's views on closure have not been recorded by the allocated worker."]}]
