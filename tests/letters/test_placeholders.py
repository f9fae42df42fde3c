"""Placeholders never go out: `validate` warns, `render` refuses a letter that uses
one (naming the setting and the file), `--draft` marks every page, and a fork
made with `policyengine fork` refuses its letters until its settings are its own."""
import shutil
import subprocess

import pytest
import yaml
from docx import Document
from pypdf import PdfReader

from policyengine import RenderError, load_rulebook
from policyengine.engine.templates import settings_read
from policyengine.formats.letters import prepare, write_letter

from .conftest import AS_OF, CASE



PHONE = {"team_phone: 01234 567890": "team_phone: {placeholder: 01234 000000}"}


@pytest.fixture
def case_file(tmp_path):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(CASE), encoding="utf-8")
    return path


def test_validate_warns_of_every_placeholder_and_still_passes(cli, copy):
    path = copy({**PHONE, "sender_name: Sam Patel": "sender_name: {placeholder: A. Manager}"})
    result = cli("validate", path)
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}:16:16: warning: setting `sender_name` is still a placeholder: letters that use it "
        "(waiting_letter) are refused until the council's own value is set (render --draft to preview)",
        f"{path}:15:15: warning: setting `team_phone` is still a placeholder: letters that use it "
        "(waiting_letter) are refused until the council's own value is set (render --draft to preview)"]
    assert result.stdout == f"{path}: ok\n"


def test_a_letter_that_uses_a_placeholder_is_refused_in_one_line_naming_the_setting_and_the_file(cli, copy,
                                                                                                 case_file):
    path = copy(PHONE)
    result = cli("render", "-r", path, case_file, "-d", "waiting_letter", "--as-of", AS_OF, "-o",
                 case_file.parent / "letter.pdf")
    assert result.exit_code == 1
    assert result.stderr == (f"{path}: `waiting_letter` is a letter and setting `team_phone` is still a "
                             "placeholder: set it under `settings:` in this file (or render a draft with --draft)\n")
    assert not (case_file.parent / "letter.pdf").exists()


def test_a_placeholder_only_the_letterhead_prints_holds_the_letter_back_too(copy):
    book = load_rulebook(copy({"sender_role: Team Manager": "sender_role: {placeholder: Role}"}))
    with pytest.raises(RenderError, match="setting `sender_role` is still a placeholder"):
        prepare(book.evaluate(CASE, AS_OF), "waiting_letter")


def test_a_case_note_for_the_record_is_not_held_back_by_a_placeholder(copy, tmp_path):
    path = copy(PHONE)
    (tmp_path / "rb" / "templates" / "letters" / "waiting_note.md.j2").write_text(
        "- Next step: call on {{ settings.team_phone }}.\n")
    book = load_rulebook(path)
    letter = prepare(book.evaluate(CASE, AS_OF), "waiting_note")
    assert "Next step: call on 01234 000000." in write_letter(letter, "text")


def test_a_draft_is_marked_draft_on_every_pdf_page(copy, weasyprint, tmp_path):
    book = load_rulebook(copy(PHONE))
    letter = prepare(book.evaluate(dict(CASE, long=True), AS_OF), "waiting_letter", draft=True)
    path = tmp_path / "draft.pdf"
    path.write_bytes(write_letter(letter, "pdf"))
    pages = PdfReader(path).pages
    assert len(pages) >= 2
    for number in range(1, len(pages) + 1):
        text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(path), "-"],
                              capture_output=True, text=True, check=True).stdout \
            if shutil.which("pdftotext") else pages[number - 1].extract_text()
        assert "DRAFT – not to be sent" in [line.strip() for line in text.splitlines()], number
    assert "DRAFT – not to be sent: the team phone is still a placeholder" in pages[0].extract_text()


def test_a_draft_is_marked_in_html_and_in_every_word_page_s_header(copy, tmp_path):
    book = load_rulebook(copy(PHONE))
    letter = prepare(book.evaluate(CASE, AS_OF), "waiting_letter", draft=True)
    html = write_letter(letter, "html")
    assert '<div class="draft-mark" aria-hidden="true">DRAFT</div>' in html
    assert '<p class="draft-banner" role="note">DRAFT – not to be sent: the team phone is still a ' \
           'placeholder</p>' in html
    path = tmp_path / "draft.docx"
    path.write_bytes(write_letter(letter, "docx"))
    headers = [s.header.paragraphs[0].text for s in Document(path).sections]
    assert headers == ["DRAFT – not to be sent: the team phone is still a placeholder"]
    assert write_letter(letter, "text").startswith("DRAFT – not to be sent: the team phone is still a "
                                                   "placeholder\n\n")


def test_a_letter_with_no_placeholder_has_no_draft_mark(book):
    html = write_letter(prepare(book.evaluate(CASE, AS_OF), "waiting_letter"), "html")
    assert "DRAFT" not in html.split("<body>")[1]


def test_the_settings_a_template_reads_are_found_through_what_it_includes(copy, tmp_path):
    (tmp_path / "rb" / "templates" / "letters").mkdir(parents=True, exist_ok=True)
    path = copy({"template: waiting_note.md.j2": "template: note2.md.j2"})
    folder = tmp_path / "rb" / "templates" / "letters"
    (folder / "note2.md.j2").write_text("{% include 'footer.md.j2' %}{{ settings['team_name'] }}\n")
    (folder / "footer.md.j2").write_text("{{ settings.sender_name }}\n")
    book = load_rulebook(path)
    assert settings_read(book, "note2.md.j2") == {"team_name", "sender_name"}


@pytest.mark.parametrize("source", ["{{ settings[name_of] }}", "{% set s = settings %}{{ s.team_phone }}",
                                    "{% include name_of %}", "{% for k in settings %}{{ k }}{% endfor %}"])
def test_a_template_that_may_read_any_setting_counts_as_reading_them_all(copy, tmp_path, source):
    path = copy({**PHONE, "template: waiting_letter.md.j2": "template: any.md.j2",
                 "  long: {type: boolean": "  name_of: {type: string, question: 'Which?'}\n  long: {type: boolean"})
    (tmp_path / "rb" / "templates" / "letters" / "any.md.j2").write_text(source + "\n")
    book = load_rulebook(path)
    assert settings_read(book, "any.md.j2") is None
    with pytest.raises(RenderError, match="setting `team_phone` is still a placeholder"):
        prepare(book.evaluate(dict(CASE, name_of="x"), AS_OF), "waiting_letter")


def test_a_fork_writes_its_council_s_name_and_holds_every_other_setting_as_a_placeholder(cli, copy, case_file,
                                                                                       tmp_path):
    base = copy()
    fork = tmp_path / "rb" / "northwick.yaml"
    assert cli("fork", base, "--id", "northwick", "--council", "Northwick District Council", "-o", fork
               ).exit_code == 0
    text = fork.read_text(encoding="utf-8")
    assert "settings:\n  council_name: Northwick District Council\n  team_name: {placeholder: Adult Social Care}\n" \
           in text
    assert "  team_phone: {placeholder: 01234 567890}\n" in text
    assert ("# settings: every one above is the base council's, written as a placeholder: give each your own value "
            "(council_name, team_name, team_address, team_phone, sender_name, sender_role); until you do, "
            "letters are refused (render --draft to preview)") in text
    refused = cli("render", "-r", fork, case_file, "-d", "waiting_letter", "--as-of", AS_OF)
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"{fork}: `waiting_letter` is a letter and settings `sender_name`, `sender_role`, `team_address`, "
        "`team_name`, `team_phone` are still placeholders: set them under `settings:` in this file (or render "
        "a draft with --draft)\n")
    draft = cli("render", "-r", fork, case_file, "-d", "waiting_letter", "--as-of", AS_OF, "--draft",
                "--format", "text")
    assert draft.exit_code == 0 and draft.output.startswith("DRAFT – not to be sent")
    assert "Northwick District Council" in draft.output


def test_a_fork_renders_its_letters_once_its_settings_are_filled_in(cli, copy, case_file, tmp_path):
    fork = tmp_path / "rb" / "northwick.yaml"
    cli("fork", copy(), "--id", "northwick", "--council", "Northwick District Council", "-o", fork)
    text = fork.read_text(encoding="utf-8")
    for name, value in [("team_name", "Adults Team"), ("team_address", "Civic Centre, Northwick NW1 1AA"),
                        ("team_phone", "01999 123456"), ("sender_name", "Jo Bloggs"), ("sender_role", "Manager")]:
        start = text.index(f"  {name}: {{placeholder:")
        text = text[:start] + f"  {name}: {value}" + text[text.index("\n", start):]
    fork.write_text(text, encoding="utf-8")
    result = cli("render", "-r", fork, case_file, "-d", "waiting_letter", "--as-of", AS_OF, "--format", "text")
    assert result.exit_code == 0
    assert result.output.startswith("Northwick District Council\nAdults Team\nCivic Centre, Northwick NW1 1AA\n"
                                    "Phone: 01999 123456\n")
    assert "01234 567890" not in result.output and "Northfield Borough" not in result.output


def test_a_fork_without_council_keeps_even_the_council_s_name_a_placeholder(cli, copy, tmp_path):
    fork = tmp_path / "rb" / "other.yaml"
    cli("fork", copy(), "--id", "other", "-o", fork)
    assert "  council_name: {placeholder: Northfield Borough Council}\n" in fork.read_text(encoding="utf-8")
    assert "council_name" in load_rulebook(fork).placeholders
