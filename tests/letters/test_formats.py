"""`render --format md|text|html|pdf|docx`: the same letter in every format a
council sends or files, read back as its recipient would read it."""
import zipfile
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from policyengine.formats.letters import format_for, prepare, text_document, write_letter

from .conftest import AS_OF, CASE, FIXTURES, LETTER_DATE, pdf_text

RULEBOOK = FIXTURES / "letters.yaml"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def case_file(write):
    import yaml

    return write("case.yaml", yaml.safe_dump(CASE))


def render(cli, case_file, *args):
    return cli("render", "-r", RULEBOOK, case_file, "-d", "waiting_letter", "--as-of", AS_OF.isoformat(),
               "--letter-date", LETTER_DATE.isoformat(), *args)


@pytest.mark.parametrize("name, fmt", [("letter.pdf", "pdf"), ("LETTER.DOCX", "docx"), ("a.html", "html"),
                                       ("a.htm", "html"), ("note.txt", "text"), ("note.md", "md"),
                                       ("letter", None), (None, None)])
def test_the_output_file_s_extension_chooses_the_format(name, fmt):
    assert format_for(name) == fmt


def test_render_o_letter_pdf_writes_a_pdf_and_o_letter_docx_a_word_file(cli, case_file, tmp_path, weasyprint):
    pdf, docx = tmp_path / "letter.pdf", tmp_path / "letter.docx"
    assert render(cli, case_file, "-o", pdf).exit_code == 0
    assert render(cli, case_file, "-o", docx).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "word/document.xml" in zipfile.ZipFile(docx).namelist()


def test_a_pdf_or_word_file_is_not_written_to_a_terminal(cli, case_file, monkeypatch):
    from policyengine import cli as command_line

    monkeypatch.setattr(command_line, "_terminal", lambda: True)
    result = render(cli, case_file, "--format", "pdf")
    assert result.exit_code == 2
    assert "a PDF file is not text: write it to a file with -o letter.pdf" in result.output


def test_the_pdf_reads_as_the_letter_its_recipient_gets(cli, case_file, tmp_path, weasyprint):
    pdf = tmp_path / "letter.pdf"
    render(cli, case_file, "-o", pdf)
    text = pdf_text(pdf)
    for line in ["Northfield Borough Council", "Adult Social Care", "Phone: 01234 567890", "Mrs Amina Okafor",
                 "12 Elm Road", "Westfield", "Northfield", "NF2 3BB", "24 November 2026",
                 "Our reference: NB-1042", "Dear Mrs Amina Okafor,", "You are on our waiting list",
                 "You were added to our waiting list on 20 October 2026.", "Yours sincerely,", "Sam Patel",
                 "Team Manager"]:
        assert line in text, line
    assert "20 November 2026" not in text  # dated the day it is produced, not the evaluation date
    assert "**" not in text and "- We" not in text  # Markdown became layout, not characters


def test_the_pdf_is_a4_with_its_title_in_the_metadata_and_its_fonts_embedded(cli, case_file, tmp_path,
                                                                              weasyprint):
    pdf = tmp_path / "letter.pdf"
    render(cli, case_file, "-o", pdf)
    reader = PdfReader(pdf)
    page = reader.pages[0]
    assert (round(float(page.mediabox.width) * 25.4 / 72), round(float(page.mediabox.height) * 25.4 / 72)) \
        == (210, 297)
    assert reader.metadata.title == "You are on our waiting list – NB-1042"
    assert reader.metadata.author == "Northfield Borough Council"
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    assert fonts and all("/FontFile2" in f["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                         for f in fonts)
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged, for screen readers


def test_the_draft_mark_and_the_page_number_are_in_the_letters_own_font(cli, case_file, tmp_path, weasyprint):
    # The page's margin boxes do not inherit the letter's font: they printed in a serif until they named it.
    pdf = tmp_path / "letter.pdf"
    render(cli, case_file, "--draft", "-o", pdf)
    reader = PdfReader(pdf)
    assert "DRAFT – not to be sent" in pdf_text(pdf) and "Page 1 of" in pdf_text(pdf)
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1] for page in reader.pages
             for f in page["/Resources"]["/Font"].values()}
    assert {name.removesuffix("-Bold") for name in fonts} == {"Liberation-Sans"}, fonts


def test_one_pdf_page_is_saved_as_a_picture_for_a_person_to_look_at(cli, case_file, tmp_path, weasyprint):
    import shutil
    import subprocess

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (Debian's poppler-utils) is not installed")
    pdf = tmp_path / "letter.pdf"
    render(cli, case_file, "-o", pdf)
    out = ROOT / "test-output" / "letters"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(out / "waiting_letter")], check=True)
    assert (out / "waiting_letter.png").read_bytes().startswith(b"\x89PNG")


def test_the_word_letter_has_the_same_text_on_an_a4_page(cli, case_file, tmp_path):
    path = tmp_path / "letter.docx"
    render(cli, case_file, "-o", path)
    doc = Document(path)
    assert [p.text for p in doc.paragraphs] == [
        "Northfield Borough Council\nAdult Social Care\nTown Hall, 1 Market Square, Northfield NF1 1AA\n"
        "Phone: 01234 567890",
        "Mrs Amina Okafor\n12 Elm Road\nWestfield\nNorthfield\nNF2 3BB",
        "24 November 2026\nOur reference: NB-1042",
        "Dear Mrs Amina Okafor,",
        "You are on our waiting list",
        "You were added to our waiting list on 20 October 2026.",
        "We will contact you regularly.",
        "If things change, please call us on 01234 567890.",
        "Yours sincerely,",
        "Sam Patel\nTeam Manager\nAdult Social Care"]
    assert [p.style.name for p in doc.paragraphs][6:8] == ["List Bullet", "List Bullet"]
    assert doc.paragraphs[4].runs[0].bold
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert doc.core_properties.title == "You are on our waiting list"


def test_the_html_letter_is_an_a4_page_with_the_letterhead_address_date_reference_body_and_sign_off(book):
    decision = book.evaluate(CASE, AS_OF)
    html = write_letter(prepare(decision, "waiting_letter", letter_date=LETTER_DATE), "html")
    assert "size: A4" in html and '<html lang="en-GB">' in html
    order = ['<header class="letterhead">', '<address class="recipient">', "<p>Mrs Amina Okafor</p>",
             '<p class="dateline">24 November 2026</p>', '<p class="reference">Our reference: NB-1042</p>',
             "<p><strong>You are on our waiting list</strong></p>", '<footer class="sign-off">']
    assert [html.index(part) for part in order] == sorted(html.index(part) for part in order)


def test_a_letter_as_text_has_its_layout_in_lines_and_no_markdown(book):
    decision = book.evaluate(CASE, AS_OF)
    assert text_document(prepare(decision, "waiting_letter", letter_date=LETTER_DATE)) == """\
Northfield Borough Council
Adult Social Care
Town Hall, 1 Market Square, Northfield NF1 1AA
Phone: 01234 567890

Mrs Amina Okafor
12 Elm Road
Westfield
Northfield
NF2 3BB

24 November 2026
Our reference: NB-1042

Dear Mrs Amina Okafor,

You are on our waiting list

You were added to our waiting list on 20 October 2026.

• We will contact you regularly.
• If things change, please call us on 01234 567890.

Yours sincerely,

Sam Patel
Team Manager
Adult Social Care
"""


def test_a_case_note_as_text_pastes_into_a_case_system_without_markdown_syntax(cli, case_file):
    result = cli("render", "-r", RULEBOOK, case_file, "-d", "waiting_note", "--as-of", AS_OF.isoformat(),
                 "--format", "text")
    assert result.exit_code == 0
    assert result.output == ("Waiting list\n\n• Person: Mrs Amina Okafor\n• Added on: 20 October 2026\n"
                             "• Next step: contact the person by phone.\n")


def test_markdown_stays_the_template_s_own_text_as_rendered(cli, case_file):
    result = cli("render", "-r", RULEBOOK, case_file, "-d", "waiting_note", "--as-of", AS_OF.isoformat())
    assert result.output == ("**Waiting list**\n\n- Person: Mrs Amina Okafor\n- Added on: 20 October 2026\n"
                             "- Next step: contact the person by phone.\n")


def test_a_case_note_as_a_page_has_its_title_reference_and_date(book):
    decision = book.evaluate(CASE, AS_OF)
    html = write_letter(prepare(decision, "waiting_note", letter_date=LETTER_DATE), "html")
    assert '<h1 class="note-title">Waiting list case note</h1>' in html
    assert "Case reference: NB-1042" in html and "letterhead" not in html.split("<body>")[1]


def test_a_page_format_refuses_a_body_too_long_to_lay_out(book, monkeypatch):
    from policyengine import RenderError
    from policyengine.formats import letters

    monkeypatch.setattr(letters, "MAX_PAGED_CHARS", 100)
    letter = prepare(book.evaluate(CASE, AS_OF), "waiting_letter")
    with pytest.raises(RenderError, match="is longer than 100 characters: too long to lay out as DOCX"):
        write_letter(letter, "docx")


def test_a_template_s_image_is_never_fetched_into_a_pdf(weasyprint, monkeypatch):
    from policyengine.formats.letters.layout import Letter
    from policyengine.formats.letters.pdf import pdf_bytes

    letter = Letter("T", "note", "C", "R1", LETTER_DATE, "![x](file:///etc/passwd)\n")
    assert b"root:" not in pdf_bytes(letter)


def test_plain_text_keeps_lists_apart_and_indents_a_list_inside_another():
    from policyengine.formats.letters.markdown import to_text

    assert to_text("- one\n- two\n  - inside\n\n1. first\n2. second\n\nSee [the leaflet](https://x.gov.uk/a).\n") \
        == "• one\n• two\n  • inside\n\n1. first\n2. second\n\nSee the leaflet (https://x.gov.uk/a).\n"


def test_an_html_template_gives_html_and_pdf_and_is_refused_as_text_or_word(minimal, write, weasyprint):
    from policyengine import RenderError, load_rulebook

    write("templates/mini/note.html.j2", "<p>Level: <b>{{ level }}</b> for {{ case_id }}</p>\n")
    book = load_rulebook(minimal(extra="""
        documents:
          note: {title: Note, audience: the record, kind: note, template: note.html.j2}
        """))
    letter = prepare(book.evaluate({"case_id": "<i>X</i>", "level": "low"}, AS_OF), "note")
    assert "<p>Level: <b>low</b> for &lt;i&gt;X&lt;/i&gt;</p>" in write_letter(letter, "html")
    assert write_letter(letter, "pdf").startswith(b"%PDF-")
    for fmt in ("text", "docx"):
        with pytest.raises(RenderError, match=f"is written by an HTML template: it can be rendered as html, pdf "
                                              f"or md, not as {fmt}$"):
            write_letter(letter, fmt)


def test_a_plain_text_template_keeps_its_lines_and_paragraphs_in_every_format(minimal, write):
    write("templates/mini/note.txt.j2", "Level: {{ level }}\nCase: {{ case_id }}\n\n* not a list\n")
    from policyengine import load_rulebook

    book = load_rulebook(minimal(extra="""
        documents:
          note: {title: Note, audience: the record, kind: note, template: note.txt.j2}
        """))
    letter = prepare(book.evaluate({"case_id": "**X**", "level": "low"}, AS_OF), "note")
    assert write_letter(letter, "text") == "Level: low\nCase: **X**\n\n* not a list\n"
    assert "<p>Level: low<br />\nCase: **X**</p>\n<p>* not a list</p>" in write_letter(letter, "html")


def test_without_weasyprint_a_pdf_is_refused_in_one_line_saying_what_to_install(cli, case_file, monkeypatch,
                                                                                 tmp_path):
    import builtins

    real = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    result = render(cli, case_file, "-o", tmp_path / "letter.pdf")
    assert result.exit_code == 1
    assert result.stderr == ("policyengine: PDF output needs WeasyPrint and Pango: pip install weasyprint, and on "
                             "Debian apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation (OSError)\n")
    assert not (tmp_path / "letter.pdf").exists()
