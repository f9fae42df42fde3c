"""The decision page offers each document as a preview, a print view, a PDF and a
Word file; a letter held back by a placeholder is shown as a DRAFT with the reason."""
import io
import re
import shutil

import pytest
from docx import Document
from fastapi.testclient import TestClient

from policyengine.web import create_app

from ..letters.conftest import CASE, FIXTURES
from ..letters.conftest import weasyprint  # noqa: F401 - a fixture: skips when PDF cannot be made here
from .boxes import boxed

FIELDS = {k: v for k, v in CASE.items()} | {"as_of": "2026-11-20"}


@pytest.fixture
def site(tmp_path):
    """A web app serving the letters fixture, its phone number ``phone`` (a placeholder or not)."""
    def _site(phone: str = "01234 567890") -> TestClient:
        shutil.copytree(FIXTURES, tmp_path / "rb", dirs_exist_ok=True)
        path = tmp_path / "rb" / "letters.yaml"
        path.write_text(path.read_text().replace("team_phone: 01234 567890", f"team_phone: {phone}"))
        return TestClient(create_app(str(tmp_path / "rb")))
    return _site


def decide(client) -> str:
    page = client.get("/rulebooks/letters/evaluate")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = client.post("/rulebooks/letters/evaluate", data=boxed({"csrf": csrf, **FIELDS}))
    assert answer.status_code == 200, answer.text
    return answer.text


def document(client, page: str, document_id: str, action: str):
    form = re.search(rf'<form method="post" action="/rulebooks/letters/documents/{document_id}".*?</form>', page,
                     re.S).group(0)
    fields = dict(re.findall(r'name="(csrf|decision)" value="([^"]*)"', form))
    return client.post(f"/rulebooks/letters/documents/{document_id}", data={**fields, "action": action})


def test_the_preview_is_the_html_letter_not_raw_markdown(site):
    page = decide(site())
    preview = page.split('id="document-waiting_letter"')[1].split("</section>")[0]
    assert '<article class="sheet letter">' in preview
    assert "<strong>You are on our waiting list</strong>" in preview and "**" not in preview
    assert '<address class="recipient">' in preview and "<p>Mrs Amina Okafor</p>" in preview
    assert '<link rel="stylesheet" href="/letter.css">' in page
    assert "placeholder" not in preview and "DRAFT" not in preview
    assert [b for b in re.findall(r'name="action" value="([a-z]+)"', preview)] == ["pdf", "docx", "text"]
    assert re.search(r'<a href="/rulebooks/letters/documents/waiting_letter\?case=[^"]+" '
                     r'class="button button-secondary print-link">Print view</a>', preview)  # a page of its own


def test_the_letters_styles_are_served_scoped_to_the_letter(site):
    css = site().get("/letter.css")
    assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    rules = [line for line in css.text.splitlines() if line and line[0] not in " /@}"]
    assert rules and all(rule.startswith(".sheet") for rule in rules)


def test_the_print_view_is_the_html_letter_with_its_own_styles_allowed(site):
    client = site()
    printed = document(client, decide(client), "waiting_letter", "print")
    assert printed.status_code == 200
    assert printed.text.startswith("<!doctype html>") and "size: A4" in printed.text
    assert "Dear Mrs Amina Okafor," in printed.text and "**" not in printed.text
    assert "'sha256-" in printed.headers["content-security-policy"]


def test_the_pdf_and_word_downloads_are_the_letter(site, weasyprint):
    client = site()
    page = decide(client)
    pdf = document(client, page, "waiting_letter", "pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'attachment; filename="letters-waiting_letter-NB-1042.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    word = document(client, page, "waiting_letter", "docx")
    assert word.headers["content-disposition"] == 'attachment; filename="letters-waiting_letter-NB-1042.docx"'
    assert "Dear Mrs Amina Okafor," in [p.text for p in Document(io.BytesIO(word.content)).paragraphs]


def test_a_letter_held_back_by_a_placeholder_is_previewed_as_a_draft_with_the_setting_named(site, weasyprint):
    client = site("{placeholder: 01234 000000}")
    page = decide(client)
    section = page.split('id="document-waiting_letter"')[1].split("</section>")[0]
    assert ("This letter cannot be sent yet: the team phone is still a placeholder. Until it is set, the preview, "
            "the print view and the downloads are marked DRAFT.") in section
    assert ('For whoever keeps the rulebook: set <code class="technical">team_phone</code> under '
            '<code class="technical">settings:</code> in <code class="technical">letters.yaml</code>.') in section
    assert '<div class="draft-mark" aria-hidden="true">DRAFT</div>' in section
    note = page.split('id="document-waiting_note"')[1].split("</section>")[0]
    assert "cannot be sent" not in note and "DRAFT" not in note
    pdf = document(client, page, "waiting_letter", "pdf")
    assert pdf.headers["content-disposition"] == 'attachment; filename="letters-waiting_letter-NB-1042-DRAFT.pdf"'
    printed = document(client, page, "waiting_letter", "print")
    assert "DRAFT – not to be sent: the team phone is still a placeholder" in printed.text


def test_the_api_refuses_a_letter_held_back_by_a_placeholder_unless_asked_for_a_draft(site):
    client = site("{placeholder: 01234 000000}")
    url = "/api/rulebooks/letters/render/waiting_letter?as_of=2026-11-20"
    refused = client.post(url, json=CASE)
    assert refused.status_code == 422
    assert "setting `team_phone` is still a placeholder" in refused.text and "Okafor" not in refused.text
    draft = client.post(url + "&draft=true", json=CASE)
    assert draft.status_code == 200 and draft.json()["kind"] == "letter"
    assert "please call us on 01234 000000" in draft.json()["text"]
