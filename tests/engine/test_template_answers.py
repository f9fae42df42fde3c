"""A letter never invents an answer: `is unknown`, the `answer` filter, and
settings marked as placeholders."""
import datetime as dt

import pytest

from policyengine import RenderError, load_rulebook

AS_OF = dt.date(2026, 11, 22)

DOCUMENT = """
documents:
  note:
    title: Note
    audience: the case file
    kind: note
    template: note.md.j2
"""


@pytest.fixture
def book(minimal, write):
    write("templates/mini/note.md.j2", """\
        Unanswered b: {{ 'not known' if b is unknown else 'known' }}
        B: {{ b | answer }}
        Level: {{ level | answer }}
        When: {{ when | answer }}
        Phone: {{ settings.phone }}
        """)
    path = minimal(replace={"b: {type: boolean, default: false,": "b: {type: boolean,"},
                   extra=DOCUMENT + "settings:\n  phone: {placeholder: 0000 000 0000}\n  team: Duty team\n")
    return load_rulebook(path)


def test_an_unanswered_question_is_unknown_in_a_template_and_its_answer_reads_not_recorded(book):
    decision = book.evaluate({"case_id": "T1"}, AS_OF, partial=True)
    assert book.render(decision, "note").splitlines() == [
        "Unanswered b: not known", "B: not recorded", "Level: not recorded", "When: not recorded",
        "Phone: 0000 000 0000"]


def test_answers_read_as_a_letter_states_them(book):
    decision = book.evaluate({"case_id": "T1", "b": False, "level": "high", "when": "2026-10-20"}, AS_OF)
    assert book.render(decision, "note").splitlines()[:4] == [
        "Unanswered b: known", "B: no", "Level: high", "When: 20 October 2026"]


def test_a_template_that_reads_an_unanswered_question_as_yes_or_no_fails_loudly(minimal, write):
    write("templates/mini/note.md.j2", "{% if b %}B holds{% else %}B does not hold{% endif %}\n")
    book = load_rulebook(minimal(replace={"b: {type: boolean, default: false,": "b: {type: boolean,"},
                                 extra=DOCUMENT))
    decision = book.evaluate({"case_id": "T1", "level": "low"}, AS_OF)
    with pytest.raises(RenderError, match="cannot render `note.md.j2`"):
        book.render(decision, "note")


def test_a_setting_written_as_a_placeholder_is_listed_and_printed_as_its_stand_in(book):
    assert book.placeholders == frozenset({"phone"})
    assert book.settings == {"phone": "0000 000 0000", "team": "Duty team"}


def test_a_fork_that_sets_a_placeholder_setting_makes_it_real(book, write):
    fork = write("fork.yaml", """\
        extends: mini.yaml
        rulebook: {id: minifork, title: Fork, council: Other Council, version: "1",
                   effective_from: 2026-01-01, review_by: 2999-01-01}
        settings: {phone: 0111 222 3333}
        """)
    forked = load_rulebook(fork)
    assert forked.placeholders == frozenset()
    assert forked.settings["phone"] == "0111 222 3333"
