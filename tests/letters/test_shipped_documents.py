"""Every document of every shipped rulebook, for a case from the rulebook's own tests,
as a PDF and a Word file read back as its recipient would read them: A4, dated
the day it is produced, its reference, the council's name and the recipient
where the rulebook declares them, and no placeholder unless marked DRAFT."""
import datetime as dt
import io
from functools import lru_cache
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from policyengine import load_rulebook
from policyengine.engine.render import placeholders_used
from policyengine.formats.letters import prepare, write_letter

from .conftest import LETTER_DATE, pdf_text

RULEBOOKS = Path(__file__).resolve().parents[2] / "rulebooks"
AS_OF = dt.date(2026, 11, 22)


@lru_cache(maxsize=1)
def shipped() -> list:
    books = [load_rulebook(path) for path in sorted(RULEBOOKS.glob("*.yaml"))]
    return [pytest.param(book, doc_id, id=f"{book.meta.id}-{doc_id}") for book in books for doc_id in book.documents]


def a_case_for(book, doc_id):
    """The first of the rulebook's own test cases that the document applies to."""
    for test in book.tests:
        try:
            decision = book.evaluate(test["case"], test.get("as_of") or AS_OF)
        except Exception:  # noqa: BLE001 - a test of a refused case: not one a letter is written for
            continue
        if doc_id in decision.documents:
            return decision
    pytest.fail(f"no test of {book.meta.id} reaches document `{doc_id}`")


def expectations(book, decision, doc_id) -> tuple[bool, list[str], list[str]]:
    """Whether it is a draft, what the recipient must read, and what must never be there."""
    doc = book.documents[doc_id]
    draft = doc.kind == "letter" and bool(placeholders_used(book, doc))
    present = ["24 November 2026", str(decision.case_id)]
    if doc.kind == "letter" and (doc.recipient_name or book.letterhead.lines) and "council_name" in book.settings:
        present.append(str(book.settings["council_name"]))
    for name in ((doc.recipient_name,) if doc.recipient_name else ()) + doc.recipient_address:
        if isinstance(decision.values.get(name), str):
            present.append(decision.values[name].strip())
    # A note for the record is never held back, so it may show a stand-in; a letter only as a DRAFT.
    absent = [] if draft or doc.kind == "note" else [str(book.settings[name]) for name in book.placeholders]
    return draft, present, absent


@pytest.mark.parametrize("book, doc_id", shipped())
def test_every_shipped_document_reads_right_as_a_pdf(book, doc_id, weasyprint, tmp_path):
    decision = a_case_for(book, doc_id)
    draft, present, absent = expectations(book, decision, doc_id)
    path = tmp_path / "document.pdf"
    path.write_bytes(write_letter(prepare(decision, doc_id, draft=draft, letter_date=LETTER_DATE), "pdf"))
    text = " ".join(pdf_text(path).split())
    for words in present + (["DRAFT – not to be sent"] if draft else []):
        assert " ".join(words.split()) in text, words
    for words in absent:
        assert words not in text, words
    for page in PdfReader(path).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)


@pytest.mark.parametrize("book, doc_id", shipped())
def test_every_shipped_document_reads_right_as_a_word_file(book, doc_id):
    decision = a_case_for(book, doc_id)
    draft, present, absent = expectations(book, decision, doc_id)
    data = write_letter(prepare(decision, doc_id, draft=draft, letter_date=LETTER_DATE), "docx")
    doc = Document(io.BytesIO(data))
    text = " ".join(" ".join(p.text for p in doc.paragraphs).split())
    header = " ".join(p.text for p in doc.sections[0].header.paragraphs)
    for words in present:
        assert " ".join(words.split()) in text, words
    assert ("DRAFT – not to be sent" in header) == draft
    for words in absent:
        assert words not in text, words
    if not book.letterhead.word:
        assert (round(doc.sections[0].page_width.mm), round(doc.sections[0].page_height.mm)) == (210, 297)
