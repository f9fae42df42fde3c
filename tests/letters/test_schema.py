"""What a rulebook declares for its letters (a document's `kind` and `recipient`, the
`letterhead` and its Word file) is checked when it loads, and a letter is dated the
day it is produced."""
import datetime as dt
import io

import pytest
from docx import Document

from policyengine import RulebookInvalid, load_rulebook
from policyengine.formats.letters import prepare, write_letter

from .conftest import AS_OF, CASE



def problems(path) -> list[str]:
    with pytest.raises(RulebookInvalid) as caught:
        load_rulebook(path)
    return [f"{e.line}: {e.message}" for e in caught.value.errors]


def test_a_recipient_must_be_a_declared_string_input(copy):
    path = copy({"recipient: {name: person_name, address: [address_line_1, address_line_2, town, postcode]}":
                 "recipient: {name: person_nmae, address: [address_line_1, date_added]}"})
    assert problems(path) == [
        "43: the recipient's name must be an input of the rulebook: `person_nmae` is not declared (did you mean "
        "`person_name`?)",
        "43: the recipient's address must be a string input: `date_added` is a date"]


def test_a_kind_is_a_letter_or_a_note(copy):
    assert any("kind" in p for p in problems(copy({"kind: note": "kind: memo"})))


def test_a_letterhead_line_names_only_declared_settings(copy):
    path = copy({'"Phone: {team_phone}"': '"Phone: {team_phnoe}"', '"{sender_role}"': '"{sender_role"'})
    assert problems(path) == [
        "19: letterhead: `{team_phnoe}` is not one of the rulebook's settings (did you mean `team_phone`?)",
        "20: letterhead: a line has a `{` or `}` that does not enclose a setting's name"]


def test_a_word_letterhead_must_be_a_docx_in_the_templates_folder(copy, tmp_path):
    word = {"  sign_off:": "  word: head.docx\n  sign_off:"}
    assert problems(copy(word)) == ["20: letterhead: `head.docx` not found in "
                                    + __import__("os").path.relpath(tmp_path / "rb" / "templates" / "letters")]
    (tmp_path / "rb" / "templates" / "letters" / "head.docx").write_bytes(b"not a zip")
    assert problems(copy(word)) == ["20: letterhead: `head.docx` is not a Word document (.docx)"]


def test_a_word_letter_is_written_into_the_council_s_own_letterhead(copy, tmp_path):
    head = Document()
    head.sections[0].header.paragraphs[0].text = "NORTHFIELD BOROUGH COUNCIL – letterhead"
    head.styles["Normal"].font.name = "Georgia"
    data = io.BytesIO()
    head.save(data)
    path = copy({"  sign_off:": "  word: head.docx\n  sign_off:", "team_phone: 01234 567890": "team_phone: {placeholder: 0}"})
    (tmp_path / "rb" / "templates" / "letters" / "head.docx").write_bytes(data.getvalue())
    book = load_rulebook(path)
    letter = prepare(book.evaluate(CASE, AS_OF), "waiting_letter", draft=True)
    doc = Document(io.BytesIO(write_letter(letter, "docx")))
    assert [p.text for p in doc.sections[0].header.paragraphs] == [
        "DRAFT – not to be sent: the team phone is still a placeholder", "NORTHFIELD BOROUGH COUNCIL – letterhead"]
    texts = [p.text for p in doc.paragraphs if p.text]
    assert texts[0] == "Mrs Amina Okafor\n12 Elm Road\nWestfield\nNorthfield\nNF2 3BB"  # its header is the letterhead
    assert "Dear Mrs Amina Okafor," in texts and doc.styles["Normal"].font.name == "Georgia"


def test_a_word_letterhead_that_has_changed_since_loading_is_not_used(copy, tmp_path):
    head = Document()
    data = io.BytesIO()
    head.save(data)
    path = copy({"  sign_off:": "  word: head.docx\n  sign_off:"})
    target = tmp_path / "rb" / "templates" / "letters" / "head.docx"
    target.write_bytes(data.getvalue())
    book = load_rulebook(path)
    target.write_bytes(data.getvalue() + b"\0")
    from policyengine import RenderError

    with pytest.raises(RenderError, match="head.docx: the Word letterhead `head.docx` has changed since the rulebook was "
                                          "loaded$"):
        prepare(book.evaluate(CASE, AS_OF), "waiting_letter")


def test_a_letter_is_dated_the_day_it_is_produced_not_the_evaluation_date(book):
    letter = prepare(book.evaluate(CASE, AS_OF), "waiting_letter")
    assert letter.date == dt.date.today()
    assert f'<p class="dateline">{letter.long_date}</p>' in write_letter(letter, "html")
    assert letter.long_date == f"{dt.date.today().day} {dt.date.today():%B %Y}"


def test_a_template_reads_the_letter_s_date_as_letter_date(copy, tmp_path):
    path = copy()
    (tmp_path / "rb" / "templates" / "letters" / "waiting_note.md.j2").write_text(
        "Written {{ letter_date | long_date }}, decided as of {{ as_of | long_date }}.\n")
    book = load_rulebook(path)
    letter = prepare(book.evaluate(CASE, AS_OF), "waiting_note", letter_date=dt.date(2026, 12, 1))
    assert write_letter(letter, "text") == "Written 1 December 2026, decided as of 20 November 2026.\n"


def test_a_one_line_address_is_split_at_its_commas(copy):
    book = load_rulebook(copy({"address: [address_line_1, address_line_2, town, postcode]": "address: address_line_1"}))
    letter = prepare(book.evaluate(dict(CASE, address_line_1="12 Elm Road,  Westfield, NF2 3BB"), AS_OF),
                     "waiting_letter")
    assert letter.recipient == ["Mrs Amina Okafor", "12 Elm Road", "Westfield", "NF2 3BB"]


def test_a_missing_address_line_is_left_out_and_a_letter_has_no_address_block_without_one(book):
    letter = prepare(book.evaluate({"case_id": "X1", "date_added": "2026-10-20", "town": "Northfield"}, AS_OF),
                     "waiting_letter")
    assert letter.recipient == ["Northfield"]
    bare = prepare(book.evaluate({"case_id": "X1", "date_added": "2026-10-20"}, AS_OF), "waiting_letter")
    assert 'class="recipient"' not in write_letter(bare, "html")
