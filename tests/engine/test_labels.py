"""Labels: what people call a rulebook's names and values (`labels:`), else its names humanised."""
import pytest

from policyengine import load_rulebook
from policyengine.engine.labels import humanise
from policyengine.errors import RulebookInvalid

LABELS = """
labels:
  level:
    label: Level of need
    values: {high: High need}
  out: Outcome of A
"""


def messages(path):
    with pytest.raises(RulebookInvalid) as caught:
        load_rulebook(path)
    return [(e.message, e.location.line) for e in caught.value.errors]


def test_a_labelled_name_and_value_read_as_the_guidance_writes_them(minimal):
    book = load_rulebook(minimal(LABELS))
    assert book.labels.of("level") == "Level of need"
    assert book.labels.value("level", "high") == "High need"
    assert book.labels.of("out") == "Outcome of A"


def test_what_is_not_labelled_is_humanised(minimal):
    book = load_rulebook(minimal(LABELS))
    assert book.labels.value("level", "low") == "Low"
    assert book.labels.of("case_id") == "Case ID"
    assert book.labels.value("out", "yes_a") == "Yes a"


def test_a_label_for_a_name_the_rulebook_does_not_define_is_refused_with_a_suggestion(minimal):
    assert messages(minimal("labels:\n  levle: Level\n")) == [
        ("`levle` is not an input or outcome of this rulebook (did you mean `level`?)", 23)]


def test_a_label_for_a_value_the_name_never_takes_is_refused_with_a_suggestion(minimal):
    assert messages(minimal("labels:\n  level: {values: {hihg: High}}\n")) == [
        ("`hihg` is not one of `level`'s values: low, high (did you mean `high`?)", 23)]


def test_value_labels_need_a_name_with_named_values(minimal):
    assert messages(minimal("labels:\n  when: {values: {soon: Soon}}\n")) == [
        ("`when` has no named values to label (only an input or outcome with a list of `values` has)", 23)]


@pytest.mark.parametrize("name, acronyms, shown", [
    ("rag", {"rag"}, "RAG"),
    ("escalate_to_ssm", (), "Escalate to SSM"),
    ("mha_assessment_request", {"mha"}, "MHA assessment request"),
    ("route", (), "Route"),
    ("duty_point", (), "Duty point"),
    ("case_id", {"id"}, "Case ID"),
])
def test_humanising_keeps_acronyms(name, acronyms, shown):
    assert humanise(name, acronyms) == shown


def test_the_rulebooks_prose_says_which_words_are_acronyms(books):
    labels = books["leicestershire"].labels  # `pwt_rationale` is not labelled: PWT is in the prose
    assert labels.of("pwt_rationale") == "PWT rationale"
    assert {"rag", "pwt"} <= labels.acronyms


def test_a_value_another_name_labels_reads_the_same_where_its_own_name_has_none(books):
    labels = books["knowsley"].labels
    assert labels.value("reserved_tasks", "dst_sign_off") == labels.value("tasks", "dst_sign_off") != "DST sign off"


def test_a_value_reads_by_its_own_names_label_never_by_another_names_for_the_same_word(books):
    from policyengine.engine import english
    labels = books["leicestershire"].labels
    assert english.value(labels, "risk", "high") == "High risk of harm"
    assert english.value(labels, "priority", "high") == labels.value("priority", "high") == "High"
