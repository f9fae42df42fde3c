"""Each shipped rulebook names things as its guidance does (#15 §1).

What people read for every outcome, and for every named value of an outcome or
an enum or list input, is pinned here exactly: the rulebook's `labels:`, or its
name humanised. No label writes one of the guidance's acronyms in lower case
("Marac chair", "Pwt"), checked against the words each guidance writes in
capitals (its seed document).
"""
import re

import pytest

from policyengine import load_rulebook

from ..conftest import EXAMPLES

#: The words each guidance writes in capitals and never in lower case (from the
#: seed documents: "IT" is left out, as Waltham Forest also writes "it").
GUIDANCE_ACRONYMS = {
    "adass_tiers": "ADASS CPEA",
    "cambridgeshire": "CCC CIN CP CSW ICS LSCB SW",
    "knowsley": "DST HCPC MARAC MARAM",
    "leicestershire": "AMHP ASC CHC CSC DMT DTA LAS LCC MCA NHS OT PTW PWT RAAN RAG SSM TL TM",
    "waltham_forest": "ACMT CHC COPD GDPR GP JIGSAW LBWF MAPPA MARAC NELFT WTE",
}
GUIDANCE_ACRONYMS["northfield"] = GUIDANCE_ACRONYMS["knowsley"]

KNOWSLEY = {
    "factor_count": "Initial Test factors met",
    "complex": "Complex",
    "may_be_complex": "May be complex",
    "reserved_tasks": "Reserved Social Work tasks",
    "recommended_role": "Recommended role",
    "allocation_permitted": "Allocation permitted",
    "reallocation_review": "Reallocation review due",
    "stage=allocation": "At the point of allocation",
    "stage=post_allocation": "After allocation",
    "worker_role=social_worker": "Social Worker",
    "worker_role=assistant_care_manager": "Assistant Care Manager",
    "tasks=safeguarding_investigation": "Safeguarding investigation",
    "tasks=safeguarding_plan": "Safeguarding plan",
    "tasks=dst_sign_off": "Signing off the Decision Support Tool (DST)",
    "tasks=best_interest_meeting_chair": "Chairing Best Interest Decision meetings",
    "tasks=marac_chair": "Chairing MARACs",
    "tasks=maram_chair": "Chairing MARAMs",
    "tasks=care_act_assessment": "Care Act assessment",
    "tasks=review": "Review",
    "tasks=court_work": "Court work",
    "tasks=carers_assessment": "Carer's assessment",
    "reallocation_review_outcome=worker_continues": "Worker continues to manage the case",
    "reallocation_review_outcome=support_for_specific_tasks": "(a) Support with specific tasks or interventions",
    "reallocation_review_outcome=reallocate": "(b) Reallocate the case",
    "recommended_role=social_worker": "Social Worker",
    "recommended_role=assistant_care_manager": "Assistant Care Manager",
}

EXPECTED = {
    "adass_tiers": {
        "score": "Total score",
        "tier": "Tier of complexity",
    },
    "cambridgeshire": {
        "allocation_due": "Allocation due",
        "allocation_timely": "Allocated on the day of referral",
        "allocation_note_due": "Case allocation case note due",
        "allocation_note_timely": "Case allocation case note within one working day",
        "assessment_lead_ok": "Assessment led by a qualified social worker",
        "retention_until": "Records retained until",
        "closure_decision_by": "Decision to close taken by",
        "subject_to_cp_plan": "Subject to a child protection plan",
        "family_plan_until": "Consider a Family Plan until",
        "closure_blockers": "Still needed before closure",
        "start_of_work": "Start of work",
        "record_warnings": "Record warnings",
        "closure_decision_by=consultant_social_worker": "Consultant Social Worker",
        "closure_decision_by=team_manager_and_allocated_worker": "Team Manager and allocated worker",
    },
    "knowsley": KNOWSLEY,
    "leicestershire": {
        "route": "Route",
        "rag": "RAG rating",
        "contact_interval": "Review frequency",
        "next_contact_due": "Next review contact due",
        "contact_overdue": "Review contact overdue",
        "escalate_to_ssm": "Escalate to Strategic Service Manager",
        "allocation_target": "Allocation target",
        "allocation_overdue": "Waited more than 28 days for allocation",
        "annual_review_due": "Annual review due",
        "safe_and_well_check": "Consider a safe and well check",
        "risk_indicator_warning": "Risk indicator warning",
        "task_comment_prefix": "Task comment prefix",
        "actions": "Actions",
        "support=none": "No support",
        "support=moderate": "Moderate support",
        "support=full": "Full support",
        "risk=high": "High risk of harm",
        "risk=moderate": "Moderate risk of harm",
        "risk=low": "Low risk of harm",
        "risk_indicators=safeguarding_current_risk": "Safeguarding concerns with current risk factors",
        "risk_indicators=moving_handling_or_equipment": "Significant moving and handling issues or faulty OT equipment",
        "risk_indicators=carer_breakdown": "Carer breakdown or imminent carer breakdown",
        "risk_indicators=children_in_household": "Children living in the same household",
        "risk_indicators=lacks_capacity": "Lacks mental capacity around care and support needs",
        "risk_indicators=mha_assessment_request": "Mental Health Act assessment request",
        "risk_indicators=rapidly_progressive_condition": "Rapidly progressive health condition",
        "risk_indicators=behavioural_challenges": "Significant behavioural challenges",
        "risk_indicators=disengagement": "Disengagement from services",
        "risk_indicators=imminent_homelessness": "Risk of imminent homelessness",
        "risk_indicators=hospital_admission_risk": "Significant risk of hospital admission",
        "risk_indicators=wandering_at_night": "Wandering at night",
        "risk_indicators=not_seen_living_alone": "Not seen by health and care agencies and living alone",
        "priority=high": "High",
        "priority=medium": "Medium",
        "priority=low": "Low",
        "complexity=high": "High",
        "complexity=medium": "Medium",
        "complexity=low": "Low",
        "route=duty_point": "Duty Point",
        "route=other_authority": "Another Local Authority",
        "route=review_tray": "Review tray",
        "route=allocate": "Allocate to a practitioner",
        "route=pwt": "Planned Work Tray",
        "rag=red": "Red",
        "rag=amber": "Amber",
        "rag=green": "Green",
        "task_comment_prefix=urgent": "Urgent",
    },
    "waltham_forest": {
        "screening": "Screening",
        "decline_reasons": "Decline reasons",
        "team": "Team",
        "role_permitted": "Role may hold the requested tasks",
        "caseload_status": "Social Worker's caseload",
        "next_planned_review": "Next planned review",
        "review_overdue": "Planned review overdue",
        "unscheduled_review": "Consider an unscheduled review",
        "risk_actions": "Risk actions",
        "ready_to_close": "Ready to close",
        "closure_steps": "Closure steps",
        "primary_support_reason=physical_impairment": "Physical impairment",
        "primary_support_reason=frailty": "Frailty",
        "primary_support_reason=sensory_impairment": "Sensory impairment",
        "primary_support_reason=early_onset_dementia": "Early onset dementia",
        "primary_support_reason=long_term_conditions": "Long-term conditions",
        "primary_support_reason=anxiety_depression": "Anxiety and depression",
        "primary_support_reason=severe_mental_health": "Severe and enduring mental health",
        "primary_support_reason=learning_disability": "Learning disability",
        "primary_support_reason=other": "Other",
        "requested_tasks=initial_review": "Initial review",
        "requested_tasks=unscheduled_review": "Unscheduled review",
        "requested_tasks=case_management": "Case management",
        "requested_tasks=section_42_enquiry": "Section 42 Enquiry",
        "requested_tasks=court_of_protection": "Court of Protection",
        "requested_tasks=dols": "DoLS",
        "requested_tasks=legal_work": "Legal work",
        "requested_tasks=carers_assessment": "Carer's assessment",
        "requested_tasks=care_act_assessment": "Care Act assessment",
        "worker_role=social_worker": "Social Worker",
        "worker_role=social_work_assistant": "Social Work Assistant",
        "material_changes=change_in_need": "Material change in need",
        "material_changes=care_dispute": "Dispute about the care arrangements",
        "material_changes=accommodation_change": "Changing accommodation",
        "material_changes=borough_change": "Changing borough",
        "material_changes=chc_transfer": "Transfer to CHC funding",
        "screening=accept": "Accept",
        "screening=decline": "Decline",
        "team=hospital_discharge": "Team 2 (adults discharged from hospital)",
        "team=long_term": "Team 1 (longer-term case management)",
        "caseload_status=ok": "Under 25",
        "caseload_status=near_capacity": "25 to 29",
        "caseload_status=at_capacity": "30 or more",
    },
    # The worked fork keeps Knowsley's labels; the task it adds is humanised (the README counts the
    # fork's lines, so a label for it waits for the README).
    "northfield": {**KNOWSLEY, "tasks=court_of_protection": "Court of Protection work"},
}

ROOT = EXAMPLES.parent
PATHS = {**{name: f"rulebooks/{name}.yaml" for name in EXPECTED if name != "northfield"},
         "northfield": "examples/forks/northfield.yaml"}


@pytest.fixture(scope="module", params=sorted(PATHS))
def book(request):
    return load_rulebook(ROOT / PATHS[request.param])


def named_values(book) -> list[tuple[str, object]]:
    """Each enum and list input, and each outcome, with its finite values (None: none)."""
    inputs = [(n, i.values) for n, i in book.inputs.items() if i.type in ("enum", "list")]
    return inputs + [(n, book.producers[n].domain) for n in book.outcomes]


def shown(book) -> dict[str, str]:
    """What people read for every outcome, and for each named value as `name=value`."""
    labels = book.labels
    read = {name: labels.of(name) for name in book.outcomes}
    for name, values in named_values(book):
        read |= {f"{name}={v}": labels.value(name, v) for v in values or () if isinstance(v, str) and v}
    return read


def everything_shown(book) -> list[str]:
    """Every name's label (inputs, outcomes and the steps between) and every named value's."""
    names = [*book.inputs, *book.producers]
    return [book.labels.of(n) for n in names] + list(shown(book).values())


def lowercased_acronyms(text: str, acronyms: set[str]) -> list[str]:
    """The words of ``text`` that are one of ``acronyms`` (or its plural) not in capitals."""
    wrong = []
    for word in re.findall(r"[A-Za-z0-9]+", text):
        stem = word[:-1] if word.endswith("s") and word[:-1].lower() in acronyms else word
        if stem.lower() in acronyms and stem != stem.upper():
            wrong.append(word)
    return wrong


def test_every_outcome_and_named_value_reads_as_the_guidance_names_it(book):
    assert shown(book) == EXPECTED[book.meta.id]


def test_no_label_writes_an_acronym_of_the_guidance_in_lower_case(book):
    acronyms = {a.lower() for a in GUIDANCE_ACRONYMS[book.meta.id].split()} | set(book.labels.acronyms)
    assert {text: lowercased_acronyms(text, acronyms) for text in everything_shown(book)
            if lowercased_acronyms(text, acronyms)} == {}


@pytest.mark.parametrize("text, wrong", [
    ("Marac chair", ["Marac"]),
    ("Chairing MARACs", []),
    ("Chairing Maracs", ["Maracs"]),
    ("Pwt review", ["Pwt"]),
    ("Duty Point", []),
])
def test_the_acronym_check_finds_an_acronym_in_lower_case(text, wrong):
    assert lowercased_acronyms(text, {"marac", "pwt"}) == wrong
