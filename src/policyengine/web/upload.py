"""A caseload: the upload page (the columns it reads, an empty caseload to fill in) and
its answer, the worklist page or every decision as a CSV download.

The file is held in memory for the request alone. A browser cannot fill a file box
in again, and nothing is kept on the server, so a refused file is chosen again: the
page says so, beside what to change.
"""
from __future__ import annotations

import datetime as _dt
import io

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..caseload import build_worklist, run_caseload
from ..caseload.records import UnknownColumns
from ..caseload.template import write_caseload_template
from ..caseload.worklist import Worklist, change_words, still_needed
from ..engine.compile import Rulebook
from ..engine.values import short_question
from ..errors import PolicyEngineError
from . import forms
from .decision import in_sentence
from .pages import attachment
from .security import checked_form
from .site import Site, site_of

router = APIRouter()

WORKLIST_DATE = dict(label="Date of the worklist", hint="What is due and overdue is worked out as at this date.")


@router.get("/rulebooks/{rulebook_id}/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_form(request: Request, rulebook_id: str):
    site = site_of(request)
    return _page(site, request, site.book(rulebook_id), forms.as_of_field(_dt.date.today(), **WORKLIST_DATE))


def _page(site: Site, request: Request, book: Rulebook, as_of: forms.Field, error: str = "", *,
          skippable: tuple = (), status: int = 200, at: str = "caseload"):
    """The upload page; with an error, what to change and which columns may be skipped."""
    summary = [(as_of.anchor if at == "as_of" else "caseload", error)] if error else []
    return site.page(request, "upload.html.j2", status, book=book, error=error if at == "caseload" else "",
                     as_of=as_of, summary=summary, skippable=", ".join(skippable), columns=columns(book))


def columns(book: Rulebook) -> list[tuple]:
    """Each column the rulebook reads: (its name, what people call it, its question,
    what it may hold, and the values a cell may hold, each with its label)."""
    return [(name, book.labels.of(name), spec.question + (" (required)" if spec.required else ""),
             _allowed(spec), spec.kind.options(spec, book.labels) if spec.type in ("enum", "list") else [])
            for name, spec in book.inputs.items()]


def _allowed(spec) -> str:
    """What a cell may hold, in words (an enum's or a list's values follow it, as written in the file)."""
    if spec.type == "boolean":
        return "yes or no"
    if spec.type == "enum":
        return "one of"
    if spec.type == "list":
        return "any of these, separated by ;"
    if spec.type == "date":
        return "a date, as 22/11/2026"
    if spec.type == "integer":
        bounds = spec.minimum is not None and spec.maximum is not None
        return f"a whole number from {spec.minimum} to {spec.maximum}" if bounds else "a whole number"
    return "text"


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
                    headers=attachment(f"{book.meta.id}-caseload-template.{fmt}"))


@router.post("/rulebooks/{rulebook_id}/upload", include_in_schema=False)
async def upload_submit(request: Request, rulebook_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    form = await checked_form(request, site.max_body, ("caseload",), max_files=1, max_fields=20,
                              max_part_size=site.max_body)
    upload = form.get("caseload")
    ignore = [c.strip() for text in form.getlist("ignore") for c in str(text).split(",") if c.strip()]
    boxes, as_of, as_of_error = forms.read_as_of(form, "The date of the worklist")
    as_of_field = forms.as_of_field(boxes, as_of_error, **WORKLIST_DATE)
    if as_of is None:
        return _page(site, request, book, as_of_field, as_of_error, status=422, at="as_of")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _page(site, request, book, as_of_field, "Choose a CSV or XLSX file to upload", status=422)
    raw = await upload.read()  # held in memory for this request only
    download = form.get("action") == "download"
    try:
        return await site.workers.off_loop(caseload_answer, site, request, book, raw, upload.filename, as_of,
                                           ignore, download, upload=True)
    except PolicyEngineError as exc:
        return _refused(site, request, book, as_of_field, exc)


def _refused(site: Site, request: Request, book: Rulebook, as_of: forms.Field, exc: PolicyEngineError):
    """A file that could not be read: what to change, in the browser, and the file to choose again."""
    skippable = exc.skippable if isinstance(exc, UnknownColumns) else ()
    # What the engine's message says to do on the command line, done in the browser instead.
    message = exc.message.replace("or skip on purpose with --ignore-column",
                                  "or tick “Skip them” below" if skippable else "or remove them from the file")
    message = message.replace(" with --ignore-column NAME", " by removing them from the file")
    again = "Then choose the file again: a browser does not keep a chosen file once a page has been sent."
    return _page(site, request, book, as_of, f"{message}. {again}", skippable=skippable, status=422)


def caseload_answer(site: Site, request: Request, book: Rulebook, raw: bytes, filename: str, as_of: _dt.date,
                    ignore: list[str], download: bool) -> Response:
    """An uploaded caseload decided: every decision as a CSV to download, or the
    worklist page. Runs in a worker thread: reading and deciding a caseload takes time."""
    if download:
        body = io.StringIO()
        run_caseload(book, raw, name=filename, as_of=as_of, ignore=ignore, format="csv", output=body)
        return Response(body.getvalue(), media_type="text/csv; charset=utf-8",
                        headers=attachment(f"{book.meta.id}-decisions-{as_of.isoformat()}.csv"))
    worklist = build_worklist(book, raw, name=filename, as_of=as_of, ignore=ignore)
    questions = {name: short_question(spec.question or name) for name, spec in book.inputs.items()}
    return site.page(request, "worklist.html.j2", book=book, wl=worklist, filename=filename, notes=worklist.notes,
                     still_needed=still_needed, questions=questions, changes=changes(book, worklist))


def changes(book: Rulebook, wl: Worklist) -> list[tuple]:
    """Each change ahead as the page lists it: (case, the outcome's label, what changes, a
    line each, as the text worklist says it: a list by what it gains and loses, on, in days)."""
    labels = book.labels
    return [(case_id, labels.of(outcome), change_words(was, becomes, lambda v, o=outcome: in_sentence(labels, o, v)),
             on, days) for (case_id, outcome, on, becomes, days), was in zip(wl.changes, wl.changes_from)]
