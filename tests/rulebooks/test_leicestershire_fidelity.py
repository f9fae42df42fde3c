"""Leicestershire says what its guidance says (#14): each test quotes the sentence it implements.

The guidance is "Managing Planned Work Trays in Leicestershire ASC" (March 2023).
"""
import csv
import datetime as dt
import io
import json

import pytest

from policyengine import render
from policyengine.engine.unknown import UNKNOWN
from policyengine.errors import RenderError
from policyengine.engine.english import value

from .letters import laid_out

BOOK = "rulebooks/leicestershire.yaml"
EXPORT = "examples/leicestershire/caseload.csv"
SKIP = ("--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes")
AS_OF = dt.date(2026, 11, 23)
TRAY_ONLY = ["rag", "contact_interval", "next_contact_due", "contact_overdue", "escalate_to_ssm",
             "allocation_target", "allocation_overdue"]


def case(**fields):
    """A red case on the tray for two months, with every question answered."""
    base = {"case_id": "L-9", "person_name": "Pat Example", "urgent_need": False, "ordinarily_resident": True,
            "support": "none", "risk": "high", "priority": "high", "complexity": "medium",
            "date_added": dt.date(2026, 9, 20), "last_contact": dt.date(2026, 11, 1)}
    return {**base, **fields}


@pytest.fixture
def leics(books):
    return books["leicestershire"]


def decide(leics, as_of=AS_OF, **fields):
    return leics.evaluate(case(**fields), as_of)


# -- "all relevant information will need to be gathered" and residence "must also be confirmed" ----------
@pytest.mark.parametrize("unanswered", ["urgent_need", "ordinarily_resident"])
def test_it_must_also_be_confirmed_that_the_person_is_ordinarily_resident_before_the_case_goes_on_the_tray(
        leics, unanswered):
    # "Prior to placing a case on a PWT, all relevant information will need to be gathered" and "At the point
    # of transfer, it must also be confirmed that the person is Ordinarily Resident in Leicestershire".
    fields = case()
    del fields[unanswered]
    d = leics.evaluate(fields, AS_OF)
    assert d.values["route"] is UNKNOWN
    assert d.pending["route"] == [unanswered]
    assert "person_letter" not in d.documents and "pwt_case_note" not in d.documents
    assert all(d.values[name] is UNKNOWN for name in TRAY_ONLY)


def test_anyone_with_an_immediate_and_urgent_need_is_actioned_from_the_duty_point_before_residence_is_known(leics):
    # "Anyone with an immediate and urgent social care need will not be placed in the PWT but will be
    # actioned from the Duty Point."
    fields = case(urgent_need=True)
    del fields["ordinarily_resident"]
    d = leics.evaluate(fields, AS_OF)
    assert d.outcomes["route"] == "duty_point"
    assert d.pending == {"actions": ["ordinarily_resident"]}


# -- "a decision ... whether to allocate the person's case to a practitioner or to place the case on the PWT"
def test_a_decision_to_allocate_now_is_the_allocate_route_and_nothing_about_the_tray_applies(leics):
    d = decide(leics, allocate_now=True)
    assert d.outcomes["route"] == "allocate"
    assert [d.outcomes[name] for name in TRAY_ONLY] == [None] * len(TRAY_ONLY)
    assert d.outcomes["actions"] == [
        "Allocate the person's case to a practitioner, as the Team Manager or Team Leader decided, "
        "and do not place it on the PWT."]
    assert d.documents == []


# -- "advise their SSM regarding cases on the PWT"; "Any person placed in the PWT must be contacted" ------
@pytest.mark.parametrize("fields, route", [
    ({"urgent_need": True}, "duty_point"),
    ({"ordinarily_resident": False}, "other_authority"),
    ({"resolved_by_duty": True, "duty_resolved_on": dt.date(2026, 9, 20)}, "review_tray"),
    ({"allocate_now": True}, "allocate"),
])
def test_escalation_and_contact_apply_to_cases_on_the_tray_only(leics, fields, route):
    # The example: an urgent Duty Point case added two months ago, at increased risk, was escalated,
    # given a contact date, and was overdue for contact and allocation.
    d = decide(leics, increased_risk=True, **fields)
    assert d.outcomes["route"] == route
    assert {name: d.outcomes[name] for name in TRAY_ONLY} == dict.fromkeys(TRAY_ONLY)
    assert d.pending == {}  # not applicable, which is not the same as not known yet
    steps = {s.outcome: s for s in d.explanation}
    assert steps["escalate_to_ssm"].because == f"it applies only when the route is {value(leics.labels, 'route', 'pwt')}"
    assert "ssm_escalation_note" not in d.documents
    assert not any("Strategic Service Manager" in a or "28 days" in a or "overdue" in a
                   for a in d.outcomes["actions"])


def test_the_same_case_on_the_tray_is_escalated_and_overdue(leics):
    d = decide(leics, increased_risk=True)
    assert (d.outcomes["route"], d.outcomes["rag"], d.outcomes["escalate_to_ssm"]) == ("pwt", "red", True)
    assert (d.outcomes["contact_overdue"], d.outcomes["allocation_overdue"]) == (True, True)


def test_the_worklist_lists_no_escalation_contact_or_breach_for_a_case_not_on_the_tray(cli):
    # examples/leicestershire/caseload.csv: LCC-PWT-1006 is another authority's, LCC-PWT-1007 a Duty Point case.
    result = cli("worklist", "-r", BOOK, EXPORT, "--as-of", "2026-11-23", *SKIP, "--format", "json")
    data = json.loads(result.stdout)
    listed = {row["case_id"] for key in ("escalations", "overdue", "due_soon", "breaches") for row in data[key]}
    assert listed == {"LCC-PWT-1001", "LCC-PWT-1002", "LCC-PWT-1003", "LCC-PWT-1004"}
    assert not {c["case_id"] for c in data["changes_ahead"]} & {"LCC-PWT-1006", "LCC-PWT-1007"}
    assert data["summary"]["route"] == {"pwt": 4, "duty_point": 1, "other_authority": 1}


def test_the_worklist_never_escalates_a_duty_point_case_at_increased_risk_two_months_old(cli, tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(
        "case_id,urgent_need,ordinarily_resident,allocate_now,support,risk,priority,complexity,increased_risk,"
        "date_added\n"
        "D1,yes,yes,no,none,high,high,high,yes,2026-09-20\n"
        "A1,no,yes,yes,none,high,high,high,yes,2026-09-20\n"
        "T1,no,yes,no,none,high,high,high,yes,2026-09-20\n")
    data = json.loads(cli("worklist", "-r", BOOK, export, "--as-of", "2026-11-23", "--format", "json").stdout)
    assert [e["case_id"] for e in data["escalations"]] == ["T1"]
    assert [o["case_id"] for o in data["overdue"]] == ["T1"]
    assert [b["case_id"] for b in data["breaches"]] == ["T1"]
    text = cli("worklist", "-r", BOOK, export, "--as-of", "2026-11-23").stdout
    assert "Escalations due (1)\n" in text and "Targets breached (1)\n" in text


# -- "Where any actions are completed ... the review date should be rescheduled to 12 months' time" ------
def test_a_duty_resolved_case_has_its_review_rescheduled_to_12_months_time(leics):
    d = decide(leics, resolved_by_duty=True, duty_resolved_on=dt.date(2026, 2, 28))
    assert (d.outcomes["route"], d.outcomes["annual_review_due"]) == ("review_tray", dt.date(2027, 2, 28))
    assert decide(leics).outcomes["annual_review_due"] is None  # a case on the tray has no such review


# -- "with the aim of no one waiting more than 28 days for allocation to a named worker" -----------------
def test_the_28_day_aim_covers_everyone_on_the_tray_from_the_date_it_was_added(leics):
    # "Urgent cases will be allocated as soon as possible with the aim of no one waiting more than 28 days":
    # the rulebook's reading is everyone on the tray (a low priority case too), from `date_added`.
    d = decide(leics, priority="low", support="full", risk="low", date_added=dt.date(2026, 10, 26))
    assert (d.outcomes["allocation_target"], d.outcomes["allocation_overdue"]) == (dt.date(2026, 11, 23), False)
    step = next(s for s in d.explanation if s.outcome == "allocation_target")
    assert "covering everyone on the PWT (not only urgent cases)" in step.because
    assert "from the date the case was added to the tray" in step.because


# -- the actions: "can support practitioners and managers" is good practice, not a requirement ----------
def test_the_pwt_case_note_can_support_practitioners_and_is_offered_not_required(leics):
    d = decide(leics)
    assert not any("case note titled" in a for a in d.outcomes["actions"])
    assert "pwt_case_note" in d.documents
    assert leics.documents["pwt_case_note"].title.startswith("Optional")


@pytest.mark.parametrize("support, risk, rag", [("none", "high", "Red"), ("none", "low", "Amber"),
                                                ("full", "low", "Green")])
def test_the_rag_rating_should_be_added_to_the_task_comments_as_the_cases_own(leics, support, risk, rag):
    # 'The RAG rating should be added to the task comments box, i.e., "RAG rating – Amber".'
    d = decide(leics, support=support, risk=risk)
    recorded = [a for a in d.outcomes["actions"] if a.startswith("Record the rationale")]
    assert recorded == [f'Record the rationale and "RAG rating – {rag}" in the LAS Case task comments box, '
                        "and update the Priority and Complexity of the Case task."]
    note = render(d, "pwt_case_note")
    others = {"Red", "Amber", "Green"} - {rag}
    assert f"RAG rating – {rag}" in note and not any(f"RAG rating – {o}" in note for o in others)


# -- the person's letter: "advise the person of what they can expect with regards to ongoing contact" ----
def test_the_letter_to_a_red_case_promises_only_the_monthly_minimum_not_the_rulebooks_7_days(leics):
    # "any person on the PTW should be contacted on at least a monthly basis"; the guidance gives red no figure.
    letter = render(decide(leics, as_of=dt.date(2026, 11, 3), date_added=dt.date(2026, 11, 1),
                           last_contact=None), "person_letter", draft=True)
    assert "We will contact you regularly, and at least once a month" in letter
    assert "7 days" not in letter and "every week to check" not in letter
    assert "We will next contact you by" not in letter  # the date would come from the 7 days
    assert "Thank you for contacting" not in letter  # the person may have been referred by someone else


def test_the_letter_to_an_amber_case_promises_fortnightly_contact_and_its_date(leics):
    # "Amber cases – fortnightly contact"
    letter = render(decide(leics, as_of=dt.date(2026, 11, 3), support="none", risk="low",
                           date_added=dt.date(2026, 11, 1), last_contact=None), "person_letter", draft=True)
    assert "We will contact you at least every 14 days" in letter
    assert "We will next contact you by 15 November 2026." in letter


def test_the_letter_says_when_the_person_was_put_on_the_waiting_list_from_the_case_not_the_decision(leics):
    # #16: a letter "refers to the case's own dates rather than implying the decision is new"
    letter = render(decide(leics, as_of=dt.date(2026, 11, 3), support="none", risk="low",
                           date_added=dt.date(2026, 10, 20)), "person_letter", draft=True)
    assert "we have put you on our waiting list on 20 October 2026." in letter


def test_the_call_999_line_is_a_council_setting_not_the_guidance(leics, tmp_path):
    import shutil

    from policyengine import load_rulebook

    assert leics.placeholders == frozenset({"team_phone", "urgent_help_line"})
    assert "call 999" in render(decide(leics), "person_letter", draft=True)  # the stand-in, in a draft only
    with pytest.raises(RenderError, match="`team_phone`, `urgent_help_line` are still placeholders"):
        render(decide(leics), "person_letter")
    text = open(BOOK).read().replace(
        'urgent_help_line: {placeholder: "If you need help urgently, or someone is in danger, call 999."}',
        'urgent_help_line: ""')
    (tmp_path / "templates").mkdir()
    shutil.copytree("rulebooks/templates/leicestershire", tmp_path / "templates" / "leicestershire")
    (tmp_path / "l.yaml").write_text(text)
    letter = render(load_rulebook(tmp_path / "l.yaml").evaluate(case(), AS_OF), "person_letter", draft=True)
    assert "999" not in letter and "urgent_help_line" not in letter


# -- the referrer: "the person ... as well as the referrer where applicable, must be advised" -------------
def test_the_referrers_notice_names_the_person_and_claims_no_decision_it_does_not_record(leics):
    named = laid_out(decide(leics, referrer_name="Dr A Example"), "referrer_notice")
    assert "Dr A Example\n\n24 November 2026\nOur reference: L-9\n\nDear Dr A Example,\n\nAbout: Pat Example\n" \
        in named
    assert "Team Manager or Team Leader has placed" not in named
    assert "7 days" not in named and "at least once a month" in named
    unnamed = render(decide(leics, referrer_name="Dr A Example", person_name=None, support="moderate",
                            risk="moderate"), "referrer_notice", draft=True)
    assert "About: not recorded\n" in unnamed and "at least every 14 days" in unnamed


# -- the case note: "the rationale for doing so ... should be added to the LAS Case task comments box" ----
def test_the_case_note_gives_the_managers_rationale_and_never_lists_itself(leics):
    note = render(decide(leics, pwt_rationale="No practitioner free in Melton this week"), "pwt_case_note")
    assert "Rationale for adding the case to the PWT: No practitioner free in Melton this week\n" in note
    assert "case note titled" not in note
    assert "(the guidance gives no figure for red: the rulebook uses the weekly tray review)" in note
    bare = render(decide(leics, support="full", risk="low"), "pwt_case_note")
    assert "Rationale for adding the case to the PWT: not recorded\n" in bare
    assert "the case cannot be" not in bare and "weekly tray review" not in bare


# -- "TM/TLs will need to advise their SSM ... where any red rated cases have been on the Holding List for over a month"
def test_the_escalation_note_is_for_a_case_on_the_tray_and_gives_its_own_reason(leics):
    red = render(decide(leics), "ssm_escalation_note")
    assert "Reason for escalation: a red rated case has been on the Holding List for over a month" in red
    assert "On the Planned Work Tray since: 20 September 2026\n" in red
    at_risk = render(decide(leics, support="full", risk="low", increased_risk=True, last_contact=None),
                     "ssm_escalation_note")
    assert "believes the person is at increased risk of harm" in at_risk
    assert "RAG rating – Green" in at_risk and "Holding List for over a month" not in at_risk
    assert "Last review contact: not recorded\n" in at_risk and "Last review contact: 1 November 2026\n" in red


def test_the_example_caseload_answers_both_questions_on_every_row():
    rows = list(csv.DictReader(io.StringIO(open(EXPORT, encoding="utf-8-sig").read())))
    assert all(row["urgent_need"] and row["ordinarily_resident"] for row in rows)
