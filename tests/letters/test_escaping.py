"""A case's value is text in every format: never a link, heading, list, markup or formula.

Values are escaped as the template prints them (the sandbox's ``finalize``), so
the template's own Markdown is still Markdown and a value is only ever its text."""
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from policyengine.engine.templates import markdown_text
from policyengine.formats.letters import prepare, write_letter
from policyengine.formats.letters.markdown import parser

from .conftest import AS_OF, CASE, HOSTILE, LETTER_DATE, pdf_text


def letter_for(book, name, document="waiting_letter"):
    case = dict(CASE, person_name=name, address_line_1=name)
    return prepare(book.evaluate(case, AS_OF), document, letter_date=LETTER_DATE)


def inline_tokens(markdown: str) -> set[str]:
    return {child.type for token in parser().parse(markdown) for child in token.children or []}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_stays_text_in_markdown(book, name):
    md = write_letter(letter_for(book, name), "md")
    first = md.splitlines()[0]
    assert inline_tokens(first) == {"text"}
    assert parser().render(first).startswith("<p>Dear ")
    assert markdown_text(name) in first


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_stays_text_in_plain_text(book, name):
    text = write_letter(letter_for(book, name), "text")
    assert f"Dear {name}," in text.splitlines()
    assert text.splitlines()[5] == name  # the address block's first line, as written


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_stays_text_in_html(book, name):
    html = write_letter(letter_for(book, name), "html")
    body = html.split("<body>")[1]
    assert "<a " not in body and "<script" not in body and "<h1" not in body
    assert "<strong>bold</strong>" not in body
    from html import escape

    assert f"Dear {escape(name)}," in body


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_stays_text_in_pdf(book, name, weasyprint, tmp_path):
    path = tmp_path / "letter.pdf"
    path.write_bytes(write_letter(letter_for(book, name), "pdf"))
    assert f"Dear {name}," in pdf_text(path)
    annotations = PdfReader(path).pages[0].get("/Annots") or []
    assert not annotations  # no link


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_name_stays_text_in_word(book, name, tmp_path):
    from docx import Document

    path = tmp_path / "letter.docx"
    path.write_bytes(write_letter(letter_for(book, name), "docx"))
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    assert "w:hyperlink" not in xml and "w:fldSimple" not in xml and "w:instrText" not in xml
    texts = [p.text for p in Document(path).paragraphs]
    assert f"Dear {name}," in texts
    assert texts[1].splitlines()[:2] == [name, name]


def test_the_template_s_own_markdown_is_still_markdown(book):
    html = write_letter(letter_for(book, "**bold**"), "html")
    assert "<strong>You are on our waiting list</strong>" in html
    assert "<li>We will contact you regularly.</li>" in html


def test_a_value_s_lines_stay_lines_of_one_paragraph(book):
    html = write_letter(letter_for(book, "Amina\n\n    indented code\n- not a list"), "html")
    assert "Dear Amina<br />\nindented code<br />\n- not a list," in html


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n*_[]()<>#!`~&;=-+.|\\"),
                max_size=40)


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.sampled_from([("{v}", []), ("Name: {v}", ["Name:"]), ("Name:\n{v}", ["Name:"]), ("- {v}", []),
                               ("## {v}", []), ("> {v}", []), ("1. {v}", [])]))
def test_any_value_in_any_place_reads_back_as_exactly_its_text(value, place):
    """Whatever a value holds, in whatever line of Markdown a template prints it, it
    parses to nothing but text and line breaks, and reads back as its own words."""
    template, words = place
    tokens = parser().parse(template.replace("{v}", markdown_text(value)))
    children = [c for t in tokens for c in t.children or []]
    assert {c.type for c in children} <= {"text", "softbreak", "hardbreak"}
    assert " ".join(c.content for c in children if c.type == "text").split() == words + value.split()
