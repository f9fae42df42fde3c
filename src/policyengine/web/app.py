"""The web app: a thin layer of pages and JSON over the engine's Python API.

Nothing here decides anything; every answer comes from the same compiled
rulebooks and functions as the command line. Case data lives only for the
length of a request: nothing is written to disk or to a log.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import time
from contextlib import aclosing, nullcontext
from typing import Any

import anyio
from fastapi import Body, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser, parse_options_header

from .._version import __version__
from ..caseload.batch import Formatter, decide_all, read_csv_bytes
from ..engine.pipeline import load_rulebook
from ..engine.dates import long_date
from ..change.document import render_docs
from ..errors import CaseError, EvaluationError, Location, PolicyEngineError, RenderError, RulebookInvalid
from ..engine.evaluate import jsonable
from ..engine.load import JsonProblem, strict_json
from ..engine.render import render
from ..engine.values import show
from ..caseload.worklist import build, names_used
from . import forms

#: Largest request body accepted, and largest caseload upload (held in memory, never on disk).
MAX_BODY_BYTES = 5 * 1024 * 1024
#: Requests evaluating or rendering at once, each in its own worker thread off
#: the event loop; others wait their turn, and pages keep loading.
MAX_WORKERS = 4
#: Caseload uploads read and decided at once, in threads of their own: a few
#: users' uploads never take the threads single cases and letters wait on.
MAX_UPLOADS = 2
#: Longest a request may work before its user is told it took too long.
MAX_REQUEST_SECONDS = 60
#: Longest all the previews on one decision page may take together; a document not
#: rendered by then says so (it can still be rendered on its own).
PREVIEW_SECONDS = 15
CSRF_COOKIE = "pe_csrf"
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class _Limits:
    """ASGI middleware: security headers on every response, a cap on bodies
    (answered with ``on_too_large``'s page), and a bug answered with
    ``on_crash``'s page and one line on stderr, never a traceback (whose text
    may hold a case's data)."""

    def __init__(self, app, max_body: int, on_crash=None, on_too_large=None) -> None:
        self.app, self.max_body, self.on_crash, self.on_too_large = app, max_body, on_crash, on_too_large

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        head = scope["method"] == "HEAD"
        if head:  # HEAD is GET without the body (monitoring and link checkers send it)
            scope = {**scope, "method": "GET"}
        seen, started = 0, False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge()
            return message

        async def secured_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
                         if k.lower().encode() not in present]
                message = {**message, "headers": list(message.get("headers", [])) + extra}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return await self._too_large(scope, receive, secured_send)
        try:
            await self.app(scope, counted_receive, secured_send)
        except _TooLarge:
            await self._too_large(scope, receive, secured_send)
        except Exception as exc:
            if self.on_crash is None or os.environ.get("POLICYENGINE_DEBUG"):
                raise
            print(f"policyengine: internal error ({type(exc).__name__}) answering a request; run with "
                  "POLICYENGINE_DEBUG=1 to see where", file=sys.stderr)
            if not started:
                await self.on_crash(Request(scope))(scope, receive, secured_send)


    async def _too_large(self, scope, receive, send):
        if self.on_too_large is not None:
            return await self.on_too_large(Request(scope))(scope, receive, send)
        body = json.dumps({"error": f"the request is larger than the limit of {self.max_body:,} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _load_all(folder: str) -> tuple[dict, dict]:
    """The rulebooks that load (id → rulebook) and, for each file that does not,
    every problem found in it (file name → ``file:line: message`` lines).
    One bad file takes no other council offline."""
    books, problems, files = {}, {}, {}
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if not name.endswith((".yaml", ".yml")):
            continue
        path = os.path.join(folder, name)
        try:
            book = load_rulebook(path)
        except RulebookInvalid as exc:
            problems[name] = [str(error) for error in exc.errors]
            continue
        except PolicyEngineError as exc:
            problems[name] = [str(exc)]
            continue
        except Exception as exc:  # a bug in the engine, not a reason to serve no one
            problems[name] = [f"{path}: internal error ({type(exc).__name__}) while loading; "
                              f"run policyengine validate {path}"]
            continue
        rulebook_id = book.meta.id
        if os.path.splitext(name)[0] != rulebook_id:
            # Pages and the API name a rulebook by its id: a file that could claim
            # any id (a fork calling itself `knowsley`) could stand in for another council's.
            problems[name] = [f"{path}: the rulebook's id is `{rulebook_id}`, so its file must be named "
                              f"`{rulebook_id}.yaml` to be served"]
            continue
        if rulebook_id in books:  # knowsley.yaml and knowsley.yml: neither is served
            first = files[rulebook_id]
            problems[name] = [f"{path}: the rulebook id `{rulebook_id}` is also in {first}; neither is served"]
            problems[first] = [f"{os.path.join(folder, first)}: the rulebook id `{rulebook_id}` is also in "
                               f"{name}; neither is served"]
            del books[rulebook_id]
            continue
        if rulebook_id in files:  # a third file with an id already refused as repeated
            problems[name] = [f"{path}: the rulebook id `{rulebook_id}` is also in {files[rulebook_id]}; "
                              "neither is served"]
            continue
        books[rulebook_id], files[rulebook_id] = book, name
    return books, problems


async def _read_form(request: Request, max_body: int, files: tuple = (), **limits) -> FormData:
    """The submitted form, held in memory, with a file only where the form has one.

    Starlette writes a file part over 1 MiB to a temporary file on disk; the body
    is already capped at ``max_body``, so a spool threshold above the cap keeps
    every upload in memory. Any other file part is refused: a field the handler
    reads as text never holds a file.
    """
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        form = await request.form(**limits)
    else:
        try:
            async with aclosing(request.stream()) as stream:
                parser = MultiPartParser(request.headers, stream, **limits)
                parser.spool_max_size = max_body + 1
                form = await parser.parse()
        except MultiPartException as exc:
            raise HTTPException(400, exc.message) from None
    if any(not isinstance(value, str) and key not in files for key, value in form.multi_items()):
        raise HTTPException(400, "The form sent a file where it expects text. Go back, reload the page "
                                 "and try again.")
    return form


def _hidden_case(text: str) -> dict:
    """The case a decision page carries in its hidden field: a JSON object of text values."""
    try:
        raw = strict_json(text)  # a repeated key is refused, not last-wins; a JSON bomb too
    except JsonProblem:
        raw = None
    if not isinstance(raw, dict) or not all(isinstance(value, str) for value in raw.values()):
        raise HTTPException(400, "The case could not be read")
    return raw


def _display(value: Any) -> str:
    """An outcome as a practitioner reads it: dates the British way, words capitalised."""
    if value is None:
        return "Not applicable"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, _dt.date):
        return long_date(value)
    if isinstance(value, str) and value and " " not in value:
        return value.replace("_", " ").capitalize()
    return show(value) if not isinstance(value, list) else ", ".join(map(_display, value)) or "None"


def create_app(rulebooks_dir: str = "rulebooks", *, max_body: int = MAX_BODY_BYTES,
               max_workers: int = MAX_WORKERS, max_uploads: int = MAX_UPLOADS,
               max_seconds: float = MAX_REQUEST_SECONDS) -> FastAPI:
    """The app for every rulebook in ``rulebooks_dir``, each compiled once.

    ``app.state.problems`` lists the files that could not be loaded, with their errors.
    """
    books, problems = _load_all(rulebooks_dir)
    workers = anyio.CapacityLimiter(max_workers)
    uploads = anyio.CapacityLimiter(max_uploads)  # caseloads apart, so they never hold up single cases
    # One council's requests hold at most all but one worker, so a slow rulebook never
    # keeps another council's users waiting.
    shares = {rid: anyio.CapacityLimiter(max(1, max_workers - 1)) for rid in books}
    pages = Environment(loader=PackageLoader("policyengine.web", "templates"), undefined=StrictUndefined,
                        autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    pages.filters["display"] = _display
    pages.filters["long_date"] = long_date
    pages.globals["today"] = _dt.date.today

    app = FastAPI(title="policyengine", version=__version__, docs_url=None, redoc_url=None,
                  description="Evaluate social care cases against a council's guidance, written as a rulebook.")
    app.mount("/static", StaticFiles(packages=[("policyengine.web", "static")]), name="static")
    app.state.problems = problems

    # -- helpers --------------------------------------------------------------
    def book_or_404(rulebook_id: str):
        book = books.get(rulebook_id)
        if book is None:
            raise HTTPException(404, f"no rulebook `{rulebook_id}`")
        return book

    def page(request: Request, template: str, code: int = 200, **context) -> HTMLResponse:
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        html = pages.get_template(template).render(csrf=token, request_path=request.url.path, **context)
        response = HTMLResponse(html, status_code=code)
        if request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    async def off_loop(work, *args, limiter: anyio.CapacityLimiter = workers, book=None):
        """``work(*args)`` in a worker thread, so a slow request holds one worker
        and never the event loop every other user is waiting on; after
        ``max_seconds`` its user is answered, whatever the thread is still doing.
        Work for a ``book`` takes a worker only from that rulebook's share."""
        with anyio.move_on_after(max_seconds):
            async with shares[book.meta.id] if book is not None else nullcontext():
                return await anyio.to_thread.run_sync(work, *args, limiter=limiter, abandon_on_cancel=True)
        raise HTTPException(503, "This took too long to work out, so it was stopped. Nothing you entered "
                                 "has been kept. Try again, or with a smaller caseload.")

    async def checked_form(request: Request, files: tuple = (), **limits):
        form = await _read_form(request, max_body, files, **limits)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = form.get("csrf", "")
        if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
            raise HTTPException(403, "The form had expired or did not come from this site. "
                                     "Go back, reload the page and try again.")
        return form

    def as_of_from(text: str | None) -> _dt.date:
        if not text:
            return _dt.date.today()
        try:
            return _dt.date.fromisoformat(text)
        except ValueError:
            raise HTTPException(400, "The date of the decision must be written YYYY-MM-DD") from None

    # -- errors as pages (or JSON under /api), never tracebacks ----------------
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
        return page(request, "error.html.j2", exc.status_code, status=exc.status_code, message=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid request')}"}, status_code=422)

    def crash(request: Request):
        message = "Something went wrong on our side. Nothing you entered has been kept."
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=500)
        return page(request, "error.html.j2", 500, status=500, message=message)

    def too_large(request: Request):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": f"the request is larger than the limit of {max_body:,} bytes"},
                                status_code=413)
        return page(request, "error.html.j2", 413, status=413,
                    message=f"What you sent is larger than the limit of {max_body:,} bytes, so it was not "
                            "read. Nothing you sent has been kept. Split a larger caseload into smaller "
                            "files, or use policyengine batch.")

    app.add_middleware(_Limits, max_body=max_body, on_crash=crash, on_too_large=too_large)

    # -- pages ------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request):
        today = _dt.date.today()
        return page(request, "index.html.j2", books=list(books.values()), problems=problems, today=today)

    @app.get("/rulebooks/{rulebook_id}", response_class=HTMLResponse, include_in_schema=False)
    async def policy(rulebook_id: str):
        html = await off_loop(render_docs, book_or_404(rulebook_id), "html")
        styles = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
        hashes = " ".join("'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                          for s in styles)
        csp = SECURITY_HEADERS["Content-Security-Policy"].replace("style-src 'self'", f"style-src 'self' {hashes}")
        return HTMLResponse(html, headers={"Content-Security-Policy": csp})

    @app.get("/rulebooks/{rulebook_id}/evaluate", response_class=HTMLResponse, include_in_schema=False)
    def evaluate_form(request: Request, rulebook_id: str):
        book = book_or_404(rulebook_id)
        return page(request, "form.html.j2", book=book, fields=forms.fields(book), errors={},
                    as_of=_dt.date.today().isoformat())

    @app.post("/rulebooks/{rulebook_id}/evaluate", response_class=HTMLResponse, include_in_schema=False)
    async def evaluate_submit(request: Request, rulebook_id: str):
        book = book_or_404(rulebook_id)
        form = await checked_form(request)
        raw, submitted, errors = forms.read(book, form)
        as_of_text = str(form.get("as_of") or "")
        try:
            as_of = as_of_from(as_of_text)
        except HTTPException:
            errors["as_of"] = "Enter a real date for the decision"
            as_of = None
        if errors:
            return page(request, "form.html.j2", 422, book=book, fields=forms.fields(book, submitted, errors),
                        errors=errors, as_of=as_of_text)

        def decide():
            try:
                decision = book.evaluate(_typed(book, raw), as_of)
            except (CaseError, EvaluationError) as exc:
                return page(request, "form.html.j2", 422, book=book,
                            fields=forms.fields(book, submitted, {exc.path or "case_id": exc.message}),
                            errors={exc.path or "case_id": exc.message}, as_of=as_of_text)
            previews = {}
            for doc_id in decision.documents:  # all in one time budget, so the page is always shown
                try:
                    previews[doc_id] = render(decision, doc_id, deadline=previews_until)
                except RenderError as exc:
                    previews[doc_id] = f"This document could not be prepared: {exc.message}"
            return page(request, "decision.html.j2", book=book, decision=decision, previews=previews,
                        case_json=json.dumps(raw), as_of=as_of.isoformat())

        previews_until = time.monotonic() + min(PREVIEW_SECONDS, max_seconds / 2)
        return await off_loop(decide, book=book)

    @app.post("/rulebooks/{rulebook_id}/documents/{document_id}", include_in_schema=False)
    async def document(request: Request, rulebook_id: str, document_id: str):
        book = book_or_404(rulebook_id)
        form = await checked_form(request)
        raw = _hidden_case(form.get("case") or "{}")
        as_of = as_of_from(form.get("as_of"))

        def decide_and_render():
            try:
                decision = book.evaluate(_typed(book, raw), as_of)
                return decision, render(decision, document_id, deadline=until)
            except PolicyEngineError as exc:
                raise HTTPException(400, exc.message) from None

        until = time.monotonic() + max_seconds
        decision, text = await off_loop(decide_and_render, book=book)
        doc = book.documents[document_id]
        if form.get("action") == "download":
            filename = f"{book.meta.id}-{document_id}-{decision.case_id}.md"
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
            return Response(text, media_type="text/markdown; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{safe}"'})
        return page(request, "document.html.j2", book=book, doc=doc, text=text, decision=decision)

    @app.get("/rulebooks/{rulebook_id}/upload", response_class=HTMLResponse, include_in_schema=False)
    def upload_form(request: Request, rulebook_id: str):
        book = book_or_404(rulebook_id)
        return page(request, "upload.html.j2", book=book, error="", as_of=_dt.date.today().isoformat(),
                    ignore="")

    @app.post("/rulebooks/{rulebook_id}/upload", include_in_schema=False)
    async def upload_submit(request: Request, rulebook_id: str):
        book = book_or_404(rulebook_id)
        form = await checked_form(request, ("caseload",), max_files=1, max_fields=20, max_part_size=max_body)
        upload = form.get("caseload")
        as_of_text = str(form.get("as_of") or "")
        ignore_text = str(form.get("ignore") or "")
        ignore = [c.strip() for c in ignore_text.split(",") if c.strip()]

        def again(message, status=422):
            return page(request, "upload.html.j2", status, book=book, error=message, as_of=as_of_text,
                        ignore=ignore_text)

        if upload is None or isinstance(upload, str) or not upload.filename:
            return again("Choose a CSV file to upload")
        try:
            as_of = as_of_from(as_of_text)
        except HTTPException:
            return again("Enter a real date, written YYYY-MM-DD")
        raw = await upload.read()  # held in memory for this request only

        def decide_upload():  # in a worker thread: reading and deciding a caseload takes time
            records = read_csv_bytes(raw, upload.filename, book, ignore)
            if form.get("action") == "download":
                formatter = Formatter(book, as_of, "csv")
                results = list(decide_all(book, records, as_of))
                body = formatter.header() + formatter.chunk(results).text
                name = re.sub(r"[^A-Za-z0-9._-]", "_", f"{book.meta.id}-decisions-{as_of.isoformat()}.csv")
                return Response(body, media_type="text/csv; charset=utf-8",
                                headers={"Content-Disposition": f'attachment; filename="{name}"'})
            worklist = build(book, decide_all(book, records, as_of, keep=names_used(book)), as_of)
            return page(request, "worklist.html.j2", book=book, wl=worklist, filename=upload.filename,
                        notes=records.notes)

        try:
            return await off_loop(decide_upload, limiter=uploads)
        except PolicyEngineError as exc:  # the page's box, not the command line's flag, skips a column
            return again(exc.message.replace("with --ignore-column", "under “Columns to skip”"))

    # -- JSON API -----------------------------------------------------------------
    def _summary(book) -> dict:
        meta = book.meta
        return {**meta.as_dict(), "effective_from": meta.effective_from.isoformat(),
                "review_by": meta.review_by.isoformat(), "past_review": _dt.date.today() > meta.review_by}

    @app.get("/api/rulebooks", summary="Every rulebook this server offers")
    def api_rulebooks() -> list[dict]:
        return [_summary(b) for b in books.values()]

    @app.get("/api/rulebooks/{rulebook_id}", summary="One rulebook: its inputs, outcomes and documents",
             responses={404: {"description": "No such rulebook"}})
    def api_rulebook(rulebook_id: str = Path(max_length=100)) -> dict:
        book = book_or_404(rulebook_id)
        return {**_summary(book),
                "inputs": {n: {"type": i.type, "question": i.question, "required": i.required,
                               "values": list(i.values), "default": jsonable(i.default)}
                           for n, i in book.inputs.items()},
                "outcomes": list(book.outcomes),
                "documents": {d.id: {"title": d.title, "audience": d.audience} for d in book.documents.values()}}

    @app.get("/api/rulebooks/{rulebook_id}/schema", summary="The JSON Schema of the rulebook's case files",
             responses={404: {"description": "No such rulebook"}})
    def api_schema(rulebook_id: str = Path(max_length=100)) -> dict:
        return book_or_404(rulebook_id).case_schema()

    CASE_BODY = Body(..., description="A case: field name → value, as in a case file",
                     examples=[{"case_id": "K-1", "family_dynamics": True}])
    ERRORS = {404: {"description": "No such rulebook or document"},
              422: {"description": "The case does not fit the rulebook; `error` says why and `field` where"}}

    def _decide(book, case: dict, as_of: _dt.date | None):
        try:
            return book.evaluate(case, as_of or _dt.date.today())
        except PolicyEngineError as exc:
            raise _Unprocessable(exc) from None

    @app.post("/api/rulebooks/{rulebook_id}/evaluate", responses=ERRORS,
              summary="Evaluate a case: the same JSON as `policyengine evaluate --format json`")
    async def api_evaluate(rulebook_id: str = Path(max_length=100), case: dict[str, Any] = CASE_BODY,
                           as_of: _dt.date | None = Query(None, description="The evaluation date (default today)"),
                           ) -> dict:
        book = book_or_404(rulebook_id)
        return await off_loop(lambda: _decide(book, case, as_of).as_dict())

    @app.post("/api/rulebooks/{rulebook_id}/render/{document_id}", responses=ERRORS,
              summary="Render one of the rulebook's documents for a case")
    async def api_render(rulebook_id: str = Path(max_length=100), document_id: str = Path(max_length=100),
                         case: dict[str, Any] = CASE_BODY, as_of: _dt.date | None = Query(None)) -> dict:
        book = book_or_404(rulebook_id)
        if document_id not in book.documents:
            raise HTTPException(404, f"no document `{document_id}` in rulebook `{rulebook_id}`")

        def decide_and_render():
            decision = _decide(book, case, as_of)
            try:
                return render(decision, document_id)
            except RenderError as exc:
                raise _Unprocessable(exc) from None

        text = await off_loop(decide_and_render, book=book)
        doc = book.documents[document_id]
        return {"document": doc.id, "title": doc.title, "audience": doc.audience, "text": text}

    def openapi() -> dict:
        """FastAPI's document, with the ids this server actually offers as enums."""
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        ids = sorted(books)
        documents = sorted({d for b in books.values() for d in b.documents})
        for operations in spec["paths"].values():
            for operation in operations.values():
                for param in operation.get("parameters", []):
                    if param["name"] == "rulebook_id" and ids:
                        param["schema"]["enum"] = ids
                    if param["name"] == "document_id" and documents:
                        param["schema"]["enum"] = documents
        app.openapi_schema = spec
        return spec

    app.openapi = openapi

    @app.exception_handler(_Unprocessable)
    async def unprocessable(request: Request, exc: "_Unprocessable"):
        return JSONResponse({"error": exc.error.message, "field": exc.error.path}, status_code=422)

    return app


class _Unprocessable(Exception):
    def __init__(self, error: PolicyEngineError) -> None:
        self.error = error


def _typed(book, raw: dict) -> dict:
    """Form and hidden-field values arrive as text; read them as a CSV cell would be."""
    values = book.reader.read(raw, Location("form"), text=True)
    return {k: v for k, v in values.items() if k in book.inputs}
