"""Knowsley says what its guide says (#14): the determination step, the after-allocation
review recorded once, the reserved-duty reading flagged beside §4's option (a), a stated
default for every yes/no and list question, and notes that say only what the case records.
"""
import pytest
import yaml

from policyengine import render

from ..conftest import AS_OF, RULEBOOKS

COMPLEX = {"nature_of_condition": True, "environmental_factors": True, "family_dynamics": True}
HELD_BY_ACM = {"stage": "post_allocation", "worker_role": "assistant_care_manager"}


def decide(books, **case):
    case.setdefault("case_id", "K-1")
    return books["knowsley"].evaluate(case, AS_OF)


def step(decision, outcome):
    return next(s for s in decision.explanation if s.outcome == outcome)


# §4: "Where it is determined that the allocated worker is unable to continue to manage the case
# independently or this is considered to be inappropriate, then the responsible manager /
# practitioner will either: a) ... b) ..."
def test_the_review_reason_keeps_where_it_is_determined_and_will_either(books):
    because = step(decide(books, **HELD_BY_ACM, **COMPLEX), "reallocation_review").because
    assert "where it is determined that they are unable to continue to manage the case independently" in because
    assert "will either (a) identify a Social Worker" in because
    assert "must" not in because


def test_the_reallocation_note_keeps_the_determination_step(books):
    note = render(decide(books, **HELD_BY_ACM, **COMPLEX), "reallocation_note")
    assert ("Where it is determined that the allocated worker is unable to continue to manage the case "
            "independently, or this is considered to be inappropriate, the responsible manager or practitioner "
            "will either") in note
    assert "must" not in note


# §4: "If the above is not known at the point of allocation but becomes apparent later, then
# consideration should be given to whether or not the person to whom the case has been allocated
# has the necessary training, skills and experience to effectively manage the case"
@pytest.mark.parametrize("outcome", ["worker_continues", "support_for_specific_tasks", "reallocate"])
def test_a_recorded_review_outcome_stops_the_review_prompting(books, outcome):
    d = decide(books, **HELD_BY_ACM, **COMPLEX, worker_skilled=True, worker_consents=True,
               reallocation_review_outcome=outcome)
    assert d.outcomes["reallocation_review"] is False
    assert "is recorded" in step(d, "reallocation_review").because
    assert "reallocation_note" in d.documents  # the note still records what was decided


def test_an_unrecorded_review_is_still_due_however_skilled_the_worker(books):
    d = decide(books, **HELD_BY_ACM, **COMPLEX, worker_skilled=True, worker_consents=True)
    assert d.outcomes["reallocation_review"] is True


# §4: "If, post initial assessment and a period of preventative intervention, a case is considered
# to require longer term input ... this may be considered a complex case"; "If the above is not
# known at the point of allocation but becomes apparent later" the review applies.
def test_longer_term_input_that_becomes_apparent_after_allocation_asks_for_the_review(books):
    d = decide(books, **HELD_BY_ACM, long_term_input_required=True)
    assert (d.outcomes["may_be_complex"], d.outcomes["reallocation_review"]) == (True, True)
    note = render(d, "reallocation_note")
    assert "- it may be complex: it needs longer-term input" in note
    assert "- it is complex" not in note and "reserved to Social Workers:" not in note


def test_a_recorded_review_is_not_listed_as_an_escalation(cli, tmp_path):
    (tmp_path / "due.yaml").write_text("case_id: DUE\nstage: post_allocation\nworker_role: assistant_care_manager\n"
                                      "long_term_input_required: true\n")
    (tmp_path / "done.yaml").write_text("case_id: DONE\nstage: post_allocation\nworker_role: assistant_care_manager\n"
                                       "long_term_input_required: true\nreallocation_review_outcome: reallocate\n")
    result = cli("worklist", "-r", "rulebooks/knowsley.yaml", tmp_path, "--as-of", AS_OF)
    escalations = result.stdout.split("Escalations due (1)\n")[1].split("\n\n")[0]
    assert "DUE " in escalations and "DONE" not in escalations


# The reading to keep and flag: a reserved duty (§5) bars an Assistant Care Manager from
# holding the case, while §4 (a) lets "a Social Worker or more experienced member of staff ...
# provide support in relation to specific tasks or interventions".
def test_the_reserved_duty_bar_is_flagged_as_the_rulebooks_reading(books):
    d = decide(books, worker_role="assistant_care_manager", tasks=["safeguarding_plan"])
    why = step(d, "allocation_permitted")
    assert d.outcomes["allocation_permitted"] is False
    assert "the rulebook's reading" in why.because and '"in relation to specific tasks"' in why.because
    assert why.source == "guide §5, §4 (a)"


def test_the_allocation_note_names_option_a_beside_the_reserved_duty_bar(books):
    note = render(decide(books, worker_role="assistant_care_manager", tasks=["dst_sign_off"]), "allocation_note")
    permitted = note.index("Allocation permitted: no")
    option_a = note.index("The guide's §4 also names option (a)")
    assert permitted < option_a
    assert 'to "provide support in relation to specific tasks or interventions"' in note


@pytest.mark.parametrize("case", [
    {"worker_role": "assistant_care_manager", **COMPLEX},                     # barred by §4, not §5
    {"worker_role": "social_worker", "tasks": ["dst_sign_off"]},             # a Social Worker holds it
    {"tasks": ["dst_sign_off"]},                                              # no worker proposed
])
def test_the_option_a_paragraph_appears_only_beside_the_reserved_duty_bar(books, case):
    assert "option (a)" not in render(decide(books, **case), "allocation_note")


def test_the_reallocation_note_flags_the_reading_only_for_reserved_tasks(books):
    reserved = render(decide(books, **HELD_BY_ACM, tasks=["safeguarding_plan"]), "reallocation_note")
    assert "The rulebook reads §5 as barring an Assistant Care Manager" in reserved
    complex_only = render(decide(books, **HELD_BY_ACM, **COMPLEX), "reallocation_note")
    assert "The rulebook reads §5" not in complex_only


# The contract at the top of #14: every other boolean and list input keeps "not answered means No
# (or none)" as an explicit default, and says why.
def test_every_yes_no_and_list_question_states_its_default_and_why():
    inputs = yaml.safe_load((RULEBOOKS / "knowsley.yaml").read_text(encoding="utf-8"))["inputs"]
    stated = {name: spec.get("default") for name, spec in inputs.items() if spec["type"] in ("boolean", "list")}
    assert stated == {"nature_of_condition": False, "type_of_service": False, "environmental_factors": False,
                      "type_of_task": False, "family_dynamics": False, "long_term_input_required": False,
                      "worker_skilled": False, "worker_consents": False, "tasks": []}
    for name in stated:
        assert inputs[name]["because"].startswith("not answered means"), name


# Every document, two realistic cases each: the note says what the case records and nothing else.
def test_allocation_note_for_a_complex_case_at_allocation_says_nothing_of_a_review(books):
    note = render(decide(books, person_name="Alex Example", **COMPLEX, worker_role="assistant_care_manager",
                         worker_skilled=True), "allocation_note")
    assert "Case: K-1 (Alex Example)" in note
    assert "Allocation permitted: no, because a complex case may go to an Assistant Care Manager only if" in note
    assert "Reallocation review" not in note and "option (a)" not in note
    # §4: "it is important to ensure that allocation decisions take account of" skills and training
    assert "it is important that the allocation decision takes account of the skills required" in note
    assert "must take account" not in note


def test_allocation_note_after_a_recorded_review_gives_the_outcome_and_the_recorded_reason(books):
    d = decide(books, **HELD_BY_ACM, **COMPLEX, worker_skilled=True, worker_consents=True,
               reallocation_review_outcome="support_for_specific_tasks",
               reallocation_review_reason="A Social Worker will chair the Best Interest meeting.")
    note = render(d, "allocation_note")
    assert ("Reallocation review recorded: (a) a Social Worker or more experienced member of staff provides "
            "support in relation to specific tasks or interventions (guide §4).\n"
            "Reason: A Social Worker will chair the Best Interest meeting.\n") in note
    assert "Reallocation review due" not in note


def test_reallocation_note_with_no_review_recorded_says_so_and_invents_no_reason(books):
    note = render(decide(books, person_name="Sam Example", **HELD_BY_ACM, tasks=["safeguarding_plan"]),
                  "reallocation_note")
    assert "Case: K-1 (Sam Example)" in note
    assert note.endswith("Outcome: not recorded. The review is still due.\nReason: not recorded\n")
    assert "Record which option" not in note and "Manager: ___" not in note


def test_reallocation_note_with_a_recorded_review_gives_its_outcome_and_reason(cli):
    result = cli("render", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/review-recorded.yaml",
                 "-d", "reallocation_note", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "Case: KN-2026-0051 (Jo Example)" in result.output
    assert "Outcome: the allocated worker continues to manage the case independently.\n" in result.output
    assert "Reason: Has completed hoarding and dementia training" in result.output
    assert "not recorded" not in result.output and "still due" not in result.output
    assert "The rulebook reads §5" not in result.output  # the case needs no reserved task


def test_the_reallocation_note_does_not_apply_at_allocation_or_to_a_social_worker(books):
    assert "reallocation_note" not in decide(books, worker_role="assistant_care_manager", **COMPLEX).documents
    assert "reallocation_note" not in decide(books, stage="post_allocation", worker_role="social_worker",
                                             **COMPLEX).documents
