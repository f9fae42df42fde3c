"""Knowsley: every outcome in issue #2's table, cited, and both documents."""
import json

import pytest

from policyengine import render

from ..conftest import AS_OF

FACTORS = ["nature_of_condition", "type_of_service", "environmental_factors", "type_of_task",
           "family_dynamics"]


def decide(books, **case):
    case.setdefault("case_id", "K-1")
    return books["knowsley"].evaluate(case, AS_OF)


@pytest.mark.parametrize("count", range(6))
def test_factor_count_counts_initial_test_factors_and_three_make_complex(books, count):
    d = decide(books, **{f: True for f in FACTORS[:count]})
    assert d.outcomes["factor_count"] == count
    assert d.outcomes["complex"] is (count >= 3)


def test_long_term_input_on_a_non_complex_case_may_be_complex(books):
    assert decide(books, long_term_input_required=True).outcomes["may_be_complex"] is True


def test_long_term_input_on_a_complex_case_is_not_flagged_may_be_complex(books):
    d = decide(books, long_term_input_required=True, **{f: True for f in FACTORS[:3]})
    assert (d.outcomes["complex"], d.outcomes["may_be_complex"]) == (True, False)


def test_reserved_tasks_lists_only_the_social_work_duties_in_case_order(books):
    tasks = ["court_work", "maram_chair", "review", "safeguarding_investigation", "dst_sign_off",
             "carers_assessment", "care_act_assessment", "best_interest_meeting_chair",
             "marac_chair", "safeguarding_plan"]
    assert decide(books, tasks=tasks).outcomes["reserved_tasks"] == [
        "maram_chair", "safeguarding_investigation", "dst_sign_off",
        "best_interest_meeting_chair", "marac_chair", "safeguarding_plan"]


@pytest.mark.parametrize("case, role", [
    ({}, "assistant_care_manager"),
    ({"tasks": ["court_work"]}, "assistant_care_manager"),
    ({"tasks": ["dst_sign_off"]}, "social_worker"),
    ({f: True for f in FACTORS[:3]}, "social_worker"),
])
def test_recommended_role(books, case, role):
    assert decide(books, **case).outcomes["recommended_role"] == role


@pytest.mark.parametrize("case, permitted", [
    ({}, None),
    ({"worker_role": "assistant_care_manager"}, True),
    ({"worker_role": "social_worker", "tasks": ["safeguarding_plan"]}, True),
    ({"worker_role": "assistant_care_manager", "tasks": ["safeguarding_plan"]}, False),
    ({"worker_role": "assistant_care_manager", **{f: True for f in FACTORS[:3]}}, False),
    ({"worker_role": "assistant_care_manager", "worker_skilled": True, **{f: True for f in FACTORS[:3]}}, False),
    ({"worker_role": "assistant_care_manager", "worker_consents": True, **{f: True for f in FACTORS[:3]}}, False),
    ({"worker_role": "assistant_care_manager", "worker_skilled": True, "worker_consents": True,
      **{f: True for f in FACTORS[:3]}}, True),
    ({"worker_role": "assistant_care_manager", "worker_skilled": True, "worker_consents": True,
      "tasks": ["marac_chair"], **{f: True for f in FACTORS[:3]}}, False),
])
def test_allocation_permitted(books, case, permitted):
    assert decide(books, **case).outcomes["allocation_permitted"] is permitted


@pytest.mark.parametrize("case, review", [
    ({"stage": "post_allocation", "worker_role": "assistant_care_manager", "tasks": ["dst_sign_off"]}, True),
    ({"stage": "post_allocation", "worker_role": "assistant_care_manager", **{f: True for f in FACTORS[:3]}}, True),
    ({"stage": "post_allocation", "worker_role": "assistant_care_manager"}, False),
    ({"stage": "post_allocation", "worker_role": "social_worker", "tasks": ["dst_sign_off"]}, False),
    ({"stage": "allocation", "worker_role": "assistant_care_manager", "tasks": ["dst_sign_off"]}, False),
])
def test_reallocation_review(books, case, review):
    assert decide(books, **case).outcomes["reallocation_review"] is review


def test_explain_cites_every_outcome(cli):
    result = cli("evaluate", "--rulebook", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml",
                 "--as-of", "2026-11-22", "--format", "json", "--explain")
    assert result.exit_code == 0
    data = json.loads(result.output)
    cited = {s["outcome"]: s["source"] for s in data["explanation"]}
    assert {k: cited[k] for k in data["outcomes"]} == {
        "factor_count": "guide §2.1",
        "complex": "guide §3, §4",
        "may_be_complex": "guide §3 (second bullet), §2.2",
        "reserved_tasks": "guide §5",
        "recommended_role": "guide §4",
        "allocation_permitted": "guide §4",
        "reallocation_review": "guide §4 (a) and (b)",
    }


def test_json_contract(cli):
    result = cli("evaluate", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml",
                 "--as-of", "2026-11-22", "--format", "json")
    data = json.loads(result.output)
    assert list(data) == ["rulebook", "case_id", "as_of", "outcomes", "pending", "explanation", "documents",
                          "warnings", "alternatives", "changes_ahead", "provenance"]
    assert data["rulebook"] == {"id": "knowsley", "version": "1.0.0",
                                "title": "Allocating and Managing Cases which vary in Complexity",
                                "council": "Knowsley Council (Adult Social Care)"}
    assert data["case_id"] == "KN-2026-0142"
    assert data["as_of"] == "2026-11-22"
    assert data["outcomes"] == {"factor_count": 3, "complex": True, "may_be_complex": False,
                                "reserved_tasks": [], "recommended_role": "social_worker",
                                "allocation_permitted": False, "reallocation_review": False}
    assert data["documents"] == ["allocation_note"]
    assert data["warnings"] == []
    assert data["changes_ahead"] == []  # nothing in Knowsley's rules turns on a date
    assert len(data["provenance"]["rulebook_sha256"]) == 64


def test_text_output_reads_as_outcome_reason_and_citation(cli, books):
    result = cli("evaluate", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/reallocation.yaml",
                 "--as-of", "2026-11-22")
    assert result.exit_code == 0
    assert f"  {books['knowsley'].labels.of('reallocation_review')}: yes\n" in result.output
    assert "[guide §4 (a) and (b)]" in result.output
    assert "  Manager's reallocation note (for the responsible manager)\n" in result.output


def test_allocation_note_renders_factors_and_reasons(books):
    d = decide(books, person_name="Alex Example", nature_of_condition=True, family_dynamics=True,
               type_of_task=True, worker_role="assistant_care_manager")
    note = render(d, "allocation_note")
    assert "Case: K-1 (Alex Example)" in note
    assert "Date: 22 November 2026" in note
    assert "- Family dynamics: present" in note
    assert "- Type of service: not present" in note
    assert "Allocation permitted: no" in note


def test_reallocation_note_lists_options_a_and_b(cli):
    result = cli("render", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/reallocation.yaml",
                 "--document", "reallocation_note", "--as-of", "2026-11-22")
    assert result.exit_code == 0
    assert "(a) identify a Social Worker" in result.output
    assert "(b) reallocate the case" in result.output
    assert "- it needs tasks reserved to Social Workers: safeguarding plan (guide §5)\n" in result.output


def test_rendering_a_document_that_does_not_apply_is_refused(cli):
    result = cli("render", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml",
                 "--document", "reallocation_note", "--as-of", "2026-11-22")
    assert result.exit_code == 1
    assert result.output.endswith(
        "document `reallocation_note` does not apply to case KN-2026-0142\n")


def test_render_writes_to_a_file(cli, tmp_path):
    out = tmp_path / "note.md"
    result = cli("render", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/complex-case.yaml",
                 "-d", "allocation_note", "--as-of", "2026-11-22", "-o", out)
    assert result.exit_code == 0
    assert out.read_text().startswith("# Allocation decision note\n")
