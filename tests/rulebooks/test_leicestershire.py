"""Leicestershire's Planned Work Tray: outcomes with citations, and the letters.

Every RAG cell, route precedence, cadence boundary and the escalation boundary
are in the rulebook's own `tests:` (run by test_rulebook_tests.py); these tests
check the command line and the documents.
"""
import datetime as dt
import json

import pytest

from policyengine import render

from .letters import laid_out

BOOK = "rulebooks/leicestershire.yaml"
OUTCOMES = ["route", "rag", "contact_interval", "next_contact_due", "contact_overdue",
            "escalate_to_ssm", "allocation_target", "allocation_overdue", "annual_review_due", "safe_and_well_check",
            "risk_indicator_warning", "task_comment_prefix", "actions"]


def case(**fields):
    base = {"case_id": "L-1", "person_name": "Pat Example", "urgent_need": False, "ordinarily_resident": True,
            "support": "none", "risk": "high",
            "priority": "high", "complexity": "medium", "date_added": dt.date(2026, 10, 20)}
    return {**base, **fields}


def test_the_readme_example_gives_every_outcome_with_its_citation(cli):
    result = cli("evaluate", "--rulebook", BOOK, "examples/leicestershire/red-escalation.yaml",
                 "--as-of", "2026-11-22", "--explain", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert list(data["outcomes"]) == OUTCOMES
    assert data["outcomes"] | {"actions": None} == {
        "route": "pwt", "rag": "red", "contact_interval": "7 days",
        "next_contact_due": "2026-11-17", "contact_overdue": True, "escalate_to_ssm": True,
        "allocation_target": "2026-11-17", "allocation_overdue": True, "annual_review_due": None,
        "safe_and_well_check": False, "risk_indicator_warning": False,
        "task_comment_prefix": "urgent", "actions": None}
    cited = {s["outcome"]: s["source"] for s in data["explanation"]}
    assert all(cited[o] for o in OUTCOMES)
    assert cited["rag"] == "pwt Recording priority and complexity and the RAG matrix"
    assert cited["escalate_to_ssm"] == "pwt When to escalate to Strategic Service Manager / Head of Service"


def test_a_rulebook_past_its_review_date_warns(cli):
    result = cli("evaluate", "--rulebook", BOOK, "examples/leicestershire/amber-on-tray.yaml",
                 "--as-of", "2026-11-22")
    assert result.exit_code == 0
    assert ("  ! this rulebook (version 1.0.0) was due for review by 31 March 2025; check it still "
            "matches the council's current guidance before relying on this decision\n") in result.output


def test_red_has_no_figure_in_the_guidance_and_the_rulebook_says_so(books):
    d = books["leicestershire"].evaluate(case(), dt.date(2026, 11, 22))
    step = next(s for s in d.explanation if s.outcome == "contact_interval")
    assert step.because.startswith("the guidance gives no contact frequency for red cases")


@pytest.mark.parametrize("as_of, escalate", [("2026-11-22", False), ("2026-11-23", True)])
def test_escalation_boundary_from_the_command_line(cli, tmp_path, as_of, escalate):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({**case(date_added="2026-10-22"), "last_contact": "2026-11-20"}))
    result = cli("evaluate", "-r", BOOK, path, "--as-of", as_of, "--format", "json")
    assert json.loads(result.output)["outcomes"]["escalate_to_ssm"] is escalate


def test_green_month_end_example_is_due_on_30_november(cli):
    result = cli("evaluate", "-r", BOOK, "examples/leicestershire/green-month-end.yaml",
                 "--as-of", "2026-11-30", "--format", "json")
    outcomes = json.loads(result.output)["outcomes"]
    assert (outcomes["rag"], outcomes["next_contact_due"], outcomes["contact_overdue"]) == \
        ("green", "2026-11-30", False)
    assert outcomes["risk_indicator_warning"] is True


def decision(books, as_of=dt.date(2026, 11, 22), **fields):
    return books["leicestershire"].evaluate(case(**fields), as_of)


def test_the_letter_to_the_person_has_what_the_guidance_requires(books):
    d = decision(books, support="moderate", risk="moderate", date_added=dt.date(2026, 11, 20))
    letter = render(d, "person_letter", draft=True)
    assert "Dear Pat Example," in letter
    assert "\n24 November 2026\nOur reference: L-1\n\nDear Pat Example,\n" in laid_out(d, "person_letter")
    assert "we have put you on our waiting list on 20 November 2026. We call this list the Planned Work Tray." in letter
    assert "We will contact you at least every 14 days" in letter
    assert "We will next contact you by 4 December 2026." in letter
    assert "please call us on **0116 000 0000**" in letter
    assert "What you can expect from us" in letter


def test_the_letter_says_monthly_for_green_and_never_promises_a_past_date(books):
    green = render(decision(books, support="full", risk="low", date_added=dt.date(2026, 11, 20)), "person_letter",
                   draft=True)
    assert "We will contact you at least once a month" in green
    assert "We will next contact you by 20 December 2026." in green
    late = render(decision(books, date_added=dt.date(2026, 10, 1)), "person_letter", draft=True)
    assert "We will be in touch with you shortly." in late and "next contact you by" not in late


def test_the_team_phone_number_is_a_setting_not_a_literal(books, tmp_path):
    import shutil

    from policyengine import load_rulebook

    text = open(BOOK).read().replace("team_phone: {placeholder: 0116 000 0000}", "team_phone: 0116 999 1234")
    (tmp_path / "templates").mkdir()
    shutil.copytree("rulebooks/templates/leicestershire", tmp_path / "templates" / "leicestershire")
    (tmp_path / "l.yaml").write_text(text)
    d = load_rulebook(tmp_path / "l.yaml").evaluate(case(), dt.date(2026, 11, 22))
    letter = laid_out(d, "person_letter")  # urgent_help_line is still a placeholder: a draft
    assert "Phone: 0116 999 1234\n" in letter and "please call us on 0116 999 1234." in letter
    assert "0116 000 0000" not in letter


def test_the_referrer_notice_goes_only_where_there_is_a_referrer(books):
    assert "referrer_notice" not in decision(books).documents
    d = decision(books, referrer_name="Dr A Example")
    notice = laid_out(d, "referrer_notice")
    assert "Phone: 0116 000 0000\n\nDr A Example\n\n24 November 2026\n" in notice
    assert "Dear Dr A Example," in notice
    assert "placed their case on our Planned Work (awaiting allocation) Tray" in notice


def test_the_pwt_case_note_has_rationale_priority_complexity_rag_and_next_contact(books):
    note = render(decision(books, support="none", risk="low", last_contact=dt.date(2026, 11, 15),
                           pwt_rationale="No practitioner free this week"), "pwt_case_note")
    assert note.startswith("Case note title: PWT\nType: Management Discussion / Decision\n")
    assert "Rationale for adding the case to the PWT: No practitioner free this week\n" in note
    assert "Priority: High\nComplexity: Medium\n" in note
    assert "RAG rating – Amber" in note
    assert "Next contact due: 29 November 2026\n" in note


def test_the_ssm_note_applies_only_when_escalating_and_gives_the_reason(books):
    assert "ssm_escalation_note" not in decision(books, date_added=dt.date(2026, 11, 1)).documents
    note = render(decision(books, increased_risk=True, date_added=dt.date(2026, 11, 1)), "ssm_escalation_note")
    assert ("Reason for escalation: the Team Manager or Team Leader believes the person is at "
            "increased risk of harm") in note


def test_no_pwt_letters_for_a_duty_point_case(books):
    d = decision(books, urgent_need=True, date_added=dt.date(2026, 11, 21))
    assert d.outcomes["route"] == "duty_point"
    assert d.documents == []
