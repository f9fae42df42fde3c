"""The HTML pages: the index, a rulebook's policy, the case form and its decision,
and a document's print view and downloads (a caseload's upload is ``upload``)."""
from __future__ import annotations

import base64
import datetime as _dt
import functools
import hashlib
import json
import os
import re
import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.exceptions import HTTPException

from ..change.document import render_docs
from ..engine.compile import Rulebook
from ..engine.interview import answered
from ..engine.load import JsonProblem, strict_json
from ..engine.render import document as find_document, placeholders_used
from ..engine.unknown import UNKNOWN
from ..errors import CaseError, EvaluationError, Location, PolicyEngineError, RenderError
from ..formats.letters import prepare, write_letter
from ..formats.letters.html import article, css, page_css
from ..formats.letters.pdf import PdfUnavailable
from . import forms
from .decision import sections
from .security import PREVIEW_SECONDS, SECURITY_HEADERS, checked_form, seal, unseal
from .site import Site, site_of

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request):
    site = site_of(request)
    today = _dt.date.today()
    return site.page(request, "index.html.j2", books=list(site.books.values()), problems=site.problems, today=today)


@router.get("/rulebooks/{rulebook_id}", response_class=HTMLResponse, include_in_schema=False)
async def policy(request: Request, rulebook_id: str):
    """The rulebook's policy document, inside the service's own page."""
    site = site_of(request)
    book = site.book(rulebook_id)
    document = await site.workers.off_loop(functools.partial(render_docs, standalone=False), book, "html")
    return site.page(request, "policy.html.j2", book=book, document=Markup(document))


# -- one case: the form, its decision, and a document ---------------------------------
@router.get("/rulebooks/{rulebook_id}/evaluate", response_class=HTMLResponse, include_in_schema=False)
def evaluate_form(request: Request, rulebook_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    return _form(site, request, book, {}, {}, _dt.date.today())


@router.post("/rulebooks/{rulebook_id}/evaluate", response_class=HTMLResponse, include_in_schema=False)
async def evaluate_submit(request: Request, rulebook_id: str):
    """The form read and checked; its decision is a page of its own (POST, then redirect to
    GET), so Back from a print view or a download returns to it."""
    site = site_of(request)
    book = site.book(rulebook_id)
    form = await checked_form(request, site.max_body)
    raw, submitted, errors = forms.read(book, form)
    as_of_boxes, as_of, as_of_error = forms.read_as_of(form)
    if as_of_error:
        errors["as_of"] = as_of_error
    if errors or as_of is None:
        return _form(site, request, book, submitted, errors, as_of_boxes, 422)
    refused = await site.workers.off_loop(_refused, book, raw, as_of, book=book)
    if refused:
        return _form(site, request, book, submitted, refused, as_of_boxes, 422)
    link = decision_link(site, book, raw, as_of, "evaluate")
    if link:
        return RedirectResponse(link, status_code=303)
    previews_until = time.monotonic() + min(PREVIEW_SECONDS, site.max_seconds / 2)
    return await site.workers.off_loop(functools.partial(decision_page, previews_until=previews_until), site,
                                       request, book, raw, _typed(book, raw), as_of, book=book)


def _form(site: Site, request: Request, book: Rulebook, submitted: dict, errors: dict, as_of, status: int = 200):
    """The case form, showing what was entered and, beside each question, what is wrong."""
    fields = forms.fields(book, submitted, errors)
    as_of_field = forms.as_of_field(as_of, errors.get("as_of", ""))
    return site.page(request, "form.html.j2", status, book=book, fields=fields, errors=errors, as_of=as_of_field,
                     summary=forms.summary(fields + [as_of_field], errors))


def _refused(book: Rulebook, raw: dict, as_of: _dt.date) -> dict:
    """What the case cannot be, by field (nothing if it can be decided), in a worker thread."""
    try:
        book.evaluate(_typed(book, raw), as_of, partial=True)
    except (CaseError, EvaluationError) as exc:
        return forms.errors_by_field(exc, book.labels)
    return {}


def _decision_purpose(book: Rulebook) -> str:
    return f"decision:{book.meta.id}:{book.sha256}"


#: Where a decision was reached from: where its page offers to start again.
AGAIN = {"evaluate": "evaluate", "interview": "interview"}


def decision_link(site: Site, book: Rulebook, raw: dict, as_of: _dt.date, via: str) -> str | None:
    """The address of the decision for ``raw``: the case sealed in the link, so the page
    can be fetched again (Back, reload) with nothing kept on the server. None when the
    case is too long for a link."""
    sealed = seal(site.secret, _decision_purpose(book), {"case": raw, "as_of": as_of.isoformat(), "via": via})
    return f"/rulebooks/{book.meta.id}/decision?case={sealed}" if sealed else None


def _opened(site: Site, book: Rulebook, sealed: str) -> tuple[dict, _dt.date, str]:
    """The case, date and origin a decision link carries; a 400 page if it cannot be read."""
    data = unseal(site.secret, _decision_purpose(book), sealed)
    try:
        raw, as_of, via = data["case"], _dt.date.fromisoformat(data["as_of"]), AGAIN[data["via"]]
        if isinstance(raw, dict) and all(_text_or_texts(v) for v in raw.values()):
            return raw, as_of, via
    except (TypeError, KeyError, ValueError):
        pass
    raise HTTPException(400, "This decision's link can no longer be read: the service may have restarted "
                             "since, or the link was changed. Nothing about the case was kept, so enter it again.")


@router.get("/rulebooks/{rulebook_id}/decision", response_class=HTMLResponse, include_in_schema=False)
async def decision(request: Request, rulebook_id: str, case: str = ""):
    site = site_of(request)
    book = site.book(rulebook_id)
    raw, as_of, via = _opened(site, book, case)
    return await site.workers.off_loop(_decision_again, site, request, book, raw, as_of, via, case, book=book)


def _decision_again(site: Site, request: Request, book: Rulebook, raw: dict, as_of: _dt.date, via: str,
                    sealed: str):
    try:
        return decision_page(site, request, book, raw, _case(book, raw, via), as_of,
                             again=f"/rulebooks/{book.meta.id}/{via}", sealed=sealed, via=via)
    except (CaseError, EvaluationError) as exc:
        raise HTTPException(422, exc.message) from None


def decision_page(site: Site, request: Request, book: Rulebook, raw: dict, case: dict, as_of: _dt.date, *,
                  again: str = "", previews_until: float | None = None, sealed: str = "", via: str = "evaluate"):
    """The decision for ``case``: each outcome and why, what is still needed, what
    would change it, what happens next, and a preview of each document. ``raw`` is
    what the page carries on to render a document; ``again`` where to start over;
    ``sealed`` the case as its link carries it (for the print views' links); ``via``
    how ``raw`` is read again for a document (an interview's answers, or a form)."""
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
                     again=again or f"/rulebooks/{book.meta.id}/evaluate", sealed=sealed, via=via)


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
    """A document of the case a decision page carries: downloaded, or its print view."""
    site = site_of(request)
    book = site.book(rulebook_id)
    form = await checked_form(request, site.max_body)
    if form.get("decision"):  # the decision's own link: its case read as that decision read it
        raw, as_of, via = _opened(site, book, str(form.get("decision")))
    else:
        raw, as_of = _hidden_case(form.get("case") or "{}"), as_of_from(form.get("as_of"))
        via = AGAIN.get(str(form.get("via") or ""), "evaluate")
    action = str(form.get("action") or "print")
    fmt = action if action in DOWNLOADS else "html"
    letter, body = await site.workers.off_loop(_decide_and_write, book, raw, as_of, document_id,
                                               time.monotonic() + site.max_seconds, fmt, via, book=book)
    if fmt in DOWNLOADS:
        media, extension = DOWNLOADS[fmt]
        name = f"{book.meta.id}-{document_id}-{letter.reference}{'-DRAFT' if letter.draft else ''}.{extension}"
        return Response(body, media_type=media, headers=attachment(name))
    return _print_view(site, letter, body, f"/rulebooks/{book.meta.id}/evaluate", "Evaluate another case")


@router.get("/rulebooks/{rulebook_id}/documents/{document_id}", response_class=HTMLResponse,
            include_in_schema=False)
async def print_view(request: Request, rulebook_id: str, document_id: str, case: str = ""):
    """A document's print view as a page of its own (a GET, with the case sealed in its
    link as the decision's is): Back returns to the decision page, and it to this."""
    site = site_of(request)
    book = site.book(rulebook_id)
    raw, as_of, via = _opened(site, book, case)
    letter, body = await site.workers.off_loop(_decide_and_write, book, raw, as_of, document_id,
                                               time.monotonic() + site.max_seconds, "html", via, book=book)
    return _print_view(site, letter, body, f"/rulebooks/{book.meta.id}/decision?case={case}", "Back to the decision")


def _print_view(site: Site, letter, body: Markup, back: str, back_text: str) -> HTMLResponse:
    """The print view: the document alone on an A4 sheet, with its own styles (allowed by hash)."""
    html = site.templates.get_template("print.html.j2").render(letter=letter, article=body, back=back,
                                                                back_text=back_text, css=Markup(page_css()))
    return _own_styles(HTMLResponse(html))


def _decide_and_write(book: Rulebook, raw: dict, as_of: _dt.date, document_id: str, until: float, fmt: str,
                      via: str = "evaluate"):
    """The document laid out, and written in ``fmt`` (html: its ``<article>`` for the print
    view), in a worker thread: a PDF takes a moment. A letter held back by a placeholder
    is a DRAFT here: the decision page says why."""
    try:
        decision = book.evaluate(_case(book, raw, via), as_of, partial=True)
        letter = prepare(decision, document_id, draft=bool(_held_back(book, document_id)), deadline=until)
        if fmt == "html":  # under the page's h1, a note's title is an h2
            return letter, article(letter, level=2)
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


# -- reading what a form sent ----------------------------------------------------------
def as_of_from(text: str | None) -> _dt.date:
    """The decision date a decision page carries in its hidden field (ISO), or today when it sent none."""
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


def _case(book: Rulebook, raw: dict, via: str) -> dict:
    """The case a decision link carries, read as where it came from reads it: the
    interview's answers alone (a question not known stays so), or the whole form."""
    return answered(book, raw) if via == "interview" else _typed(book, raw)


def _typed(book: Rulebook, raw: dict) -> dict:
    """Form and hidden-field values arrive as text; read them as a CSV cell would be."""
    values = book.reader.read(raw, Location("form"), text=True)
    return {k: v for k, v in values.items() if k in book.inputs and v is not UNKNOWN}  # unanswered stays so


def attachment(filename: str) -> dict[str, str]:
    """The header that makes a response a download named ``filename`` (made safe to quote)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return {"Content-Disposition": f'attachment; filename="{safe}"'}
