"""The HTML pages: the index, a rulebook's policy, the case form and its decision,
a document, and a caseload upload with its worklist."""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import io
import json
import os
import re
import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from ..caseload import build_worklist, run_caseload
from ..caseload.worklist import still_needed
from ..caseload.template import write_caseload_template
from ..change.document import render_docs
from ..engine.compile import Rulebook
from ..engine.load import JsonProblem, strict_json
from ..engine.render import document as find_document, placeholders_used
from ..engine.unknown import UNKNOWN
from ..engine.values import short_question
from ..errors import CaseError, EvaluationError, Location, PolicyEngineError, RenderError
from ..formats.letters import prepare, write_letter
from ..formats.letters.html import article, css, html_document
from ..formats.letters.pdf import PdfUnavailable
from . import forms
from .decision import sections
from .security import PREVIEW_SECONDS, SECURITY_HEADERS, checked_form
from .site import Site, site_of

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request):
    site = site_of(request)
    today = _dt.date.today()
    return site.page(request, "index.html.j2", books=list(site.books.values()), problems=site.problems, today=today)


@router.get("/rulebooks/{rulebook_id}", response_class=HTMLResponse, include_in_schema=False)
async def policy(request: Request, rulebook_id: str):
    site = site_of(request)
    html = await site.workers.off_loop(render_docs, site.book(rulebook_id), "html")
    return _own_styles(HTMLResponse(html))  # the policy document carries its own styles


# -- one case: the form, its decision, and a document ---------------------------------
@router.get("/rulebooks/{rulebook_id}/evaluate", response_class=HTMLResponse, include_in_schema=False)
def evaluate_form(request: Request, rulebook_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    return site.page(request, "form.html.j2", book=book, fields=forms.fields(book), errors={},
                     as_of=_dt.date.today().isoformat())


@router.post("/rulebooks/{rulebook_id}/evaluate", response_class=HTMLResponse, include_in_schema=False)
async def evaluate_submit(request: Request, rulebook_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    form = await checked_form(request, site.max_body)
    raw, submitted, errors = forms.read(book, form)
    as_of_text = str(form.get("as_of") or "")
    try:
        as_of = as_of_from(as_of_text)
    except HTTPException:
        errors["as_of"] = "Enter a real date for the decision"
        as_of = None
    if errors:
        return _form_again(site, request, book, submitted, errors, as_of_text)
    previews_until = time.monotonic() + min(PREVIEW_SECONDS, site.max_seconds / 2)
    return await site.workers.off_loop(_decision_page, site, request, book, raw, submitted, as_of, as_of_text,
                                       previews_until, book=book)


def _form_again(site: Site, request: Request, book: Rulebook, submitted: dict, errors: dict,
                as_of_text: str):
    return site.page(request, "form.html.j2", 422, book=book, fields=forms.fields(book, submitted, errors),
                     errors=errors, as_of=as_of_text)


def _decision_page(site: Site, request: Request, book: Rulebook, raw: dict, submitted: dict, as_of: _dt.date,
                   as_of_text: str, previews_until: float):
    """The form's decision, or the form again with what the case cannot be (in a worker thread)."""
    try:
        return decision_page(site, request, book, raw, _typed(book, raw), as_of, previews_until=previews_until)
    except (CaseError, EvaluationError) as exc:
        return _form_again(site, request, book, submitted, forms.errors_by_field(exc), as_of_text)


def decision_page(site: Site, request: Request, book: Rulebook, raw: dict, case: dict, as_of: _dt.date, *,
                  again: str = "", previews_until: float | None = None):
    """The decision for ``case``: each outcome and why, what is still needed, what
    would change it, what happens next, and a preview of each document. ``raw`` is
    what the page carries on to render a document; ``again`` where to start over."""
    until = previews_until or time.monotonic() + min(PREVIEW_SECONDS, site.max_seconds / 2)
    decision = book.evaluate(case, as_of, partial=True, alternatives=True)
    previews, problems, held = {}, {}, {}
    for doc_id in decision.documents:  # all in one time budget, so the page is always shown
        held[doc_id] = _held_back(book, doc_id)
        try:
            # Under the page's h3 for the document: a note's title is an h4, not a second h1.
            letter = prepare(decision, doc_id, draft=bool(held[doc_id]), deadline=until)
            previews[doc_id] = article(letter, level=4)
        except RenderError as exc:
            previews[doc_id], problems[doc_id] = None, f"This document could not be prepared: {exc.message}"
    return site.page(request, "decision.html.j2", book=book, decision=decision, previews=previews,
                     problems=problems, held=held, rulebook_file=os.path.basename(book.path),
                     case_json=json.dumps(raw), as_of=as_of.isoformat(), sections=sections(decision),
                     again=again or f"/rulebooks/{book.meta.id}/evaluate")


def _held_back(book: Rulebook, document_id: str) -> list[str]:
    """The placeholder settings that keep a letter from being sent (a note is never held back)."""
    doc = find_document(book, document_id)  # an unknown document is a RenderError (a 400), not a KeyError
    return placeholders_used(book, doc) if doc.kind == "letter" else []


@router.get("/letter.css", include_in_schema=False)
def letter_css():
    """The letters' own styles (scoped to a letter), for the previews on a decision page."""
    return Response(css(), media_type="text/css; charset=utf-8")


#: What each download is: its media type and file extension.
DOWNLOADS = {"pdf": ("application/pdf", "pdf"),
             "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
             "text": ("text/plain; charset=utf-8", "txt")}


@router.post("/rulebooks/{rulebook_id}/documents/{document_id}", include_in_schema=False)
async def document(request: Request, rulebook_id: str, document_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    form = await checked_form(request, site.max_body)
    raw = _hidden_case(form.get("case") or "{}")
    as_of = as_of_from(form.get("as_of"))
    until = time.monotonic() + site.max_seconds
    action = str(form.get("action") or "print")
    fmt = action if action in DOWNLOADS else "html"
    letter, body = await site.workers.off_loop(_decide_and_write, book, raw, as_of, document_id, until, fmt,
                                               book=book)
    if fmt in DOWNLOADS:
        media, extension = DOWNLOADS[fmt]
        name = f"{book.meta.id}-{document_id}-{letter.reference}{'-DRAFT' if letter.draft else ''}.{extension}"
        return Response(body, media_type=media, headers=_attachment(name))
    return _own_styles(HTMLResponse(body))


def _decide_and_write(book: Rulebook, raw: dict, as_of: _dt.date, document_id: str, until: float, fmt: str):
    """The document laid out, and written in ``fmt`` (in a worker thread: a PDF takes a moment).
    A letter held back by a placeholder is a DRAFT here: the decision page says why."""
    try:
        decision = book.evaluate(_typed(book, raw), as_of, partial=True)
        letter = prepare(decision, document_id, draft=bool(_held_back(book, document_id)), deadline=until)
        if fmt == "html":
            return letter, html_document(letter, back=f"/rulebooks/{book.meta.id}/evaluate")
        return letter, write_letter(letter, fmt)
    except PdfUnavailable as exc:
        raise HTTPException(503, exc.message) from None
    except PolicyEngineError as exc:
        raise HTTPException(400, exc.message) from None


def _own_styles(response: HTMLResponse) -> HTMLResponse:
    """A page that carries its own <style>: allow exactly those styles, by their hash."""
    styles = re.findall(r"<style>(.*?)</style>", response.body.decode("utf-8"), flags=re.S)
    hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                      for s in styles)
    response.headers["Content-Security-Policy"] = SECURITY_HEADERS["Content-Security-Policy"].replace(
        "style-src 'self'", f"style-src 'self' {hashes}")
    return response


# -- a caseload: the upload and its worklist ---------------------------------------------
@router.get("/rulebooks/{rulebook_id}/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_form(request: Request, rulebook_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    return site.page(request, "upload.html.j2", book=book, error="", as_of=_dt.date.today().isoformat(),
                     ignore="")


@router.get("/rulebooks/{rulebook_id}/template.xlsx", include_in_schema=False)
def template_xlsx(request: Request, rulebook_id: str):
    """The empty caseload to fill in, as ``policyengine template`` writes it."""
    return _template(request, rulebook_id, "xlsx")


@router.get("/rulebooks/{rulebook_id}/template.csv", include_in_schema=False)
def template_csv(request: Request, rulebook_id: str):
    return _template(request, rulebook_id, "csv")


_TEMPLATE_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   "csv": "text/csv; charset=utf-8"}


def _template(request: Request, rulebook_id: str, fmt: str) -> Response:
    book = site_of(request).book(rulebook_id)
    body = io.BytesIO()
    write_caseload_template(book, fmt, stream=body)
    return Response(body.getvalue(), media_type=_TEMPLATE_TYPES[fmt],
                    headers=_attachment(f"{book.meta.id}-caseload-template.{fmt}"))


@router.post("/rulebooks/{rulebook_id}/upload", include_in_schema=False)
async def upload_submit(request: Request, rulebook_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    form = await checked_form(request, site.max_body, ("caseload",), max_files=1, max_fields=20,
                              max_part_size=site.max_body)
    upload = form.get("caseload")
    as_of_text = str(form.get("as_of") or "")
    ignore_text = str(form.get("ignore") or "")
    ignore = [c.strip() for c in ignore_text.split(",") if c.strip()]

    def again(message: str, status: int = 422):
        return site.page(request, "upload.html.j2", status, book=book, error=message, as_of=as_of_text,
                         ignore=ignore_text)

    if upload is None or isinstance(upload, str) or not upload.filename:
        return again("Choose a CSV or XLSX file to upload")
    try:
        as_of = as_of_from(as_of_text)
    except HTTPException:
        return again("Enter a real date, written YYYY-MM-DD")
    raw = await upload.read()  # held in memory for this request only
    download = form.get("action") == "download"
    try:
        return await site.workers.off_loop(caseload_answer, site, request, book, raw, upload.filename, as_of,
                                           ignore, download, upload=True)
    except PolicyEngineError as exc:  # the page's box, not the command line's flag, skips a column
        return again(exc.message.replace("with --ignore-column", "under “Columns to skip”"))


def caseload_answer(site: Site, request: Request, book: Rulebook, raw: bytes, filename: str, as_of: _dt.date,
                    ignore: list[str], download: bool) -> Response:
    """An uploaded caseload decided: every decision as a CSV to download, or the
    worklist page. Runs in a worker thread: reading and deciding a caseload takes time."""
    if download:
        body = io.StringIO()
        run_caseload(book, raw, name=filename, as_of=as_of, ignore=ignore, format="csv", output=body)
        return Response(body.getvalue(), media_type="text/csv; charset=utf-8",
                        headers=_attachment(f"{book.meta.id}-decisions-{as_of.isoformat()}.csv"))
    worklist = build_worklist(book, raw, name=filename, as_of=as_of, ignore=ignore)
    questions = {name: short_question(spec.question or name) for name, spec in book.inputs.items()}
    return site.page(request, "worklist.html.j2", book=book, wl=worklist, filename=filename, notes=worklist.notes,
                     still_needed=still_needed, questions=questions)


# -- reading what a form sent ----------------------------------------------------------
def as_of_from(text: str | None) -> _dt.date:
    """The decision date a form sent, or today when it sent none."""
    if not text:
        return _dt.date.today()
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, "The date of the decision must be written YYYY-MM-DD") from None


def _hidden_case(text: str) -> dict:
    """The case a decision page carries in its hidden field: a JSON object of text values."""
    try:
        raw = strict_json(text)  # a repeated key is refused, not last-wins; a JSON bomb too
    except JsonProblem:
        raw = None
    if not isinstance(raw, dict) or not all(_text_or_texts(value) for value in raw.values()):
        raise HTTPException(400, "The case could not be read")
    return raw


def _text_or_texts(value) -> bool:
    """A form's answer: text, or the boxes ticked for a list (none, for "None of these")."""
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _typed(book: Rulebook, raw: dict) -> dict:
    """Form and hidden-field values arrive as text; read them as a CSV cell would be."""
    values = book.reader.read(raw, Location("form"), text=True)
    return {k: v for k, v in values.items() if k in book.inputs and v is not UNKNOWN}  # unanswered stays so


def _attachment(filename: str) -> dict[str, str]:
    """The header that makes a response a download named ``filename`` (made safe to quote)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}
