"""The web app: a thin layer of pages and JSON over the engine's Python API.

Nothing here decides anything; every answer comes from the same compiled
rulebooks and functions as the command line. Case data lives only for the
length of a request: nothing is written to disk or to a log.

``create_app`` wires the parts together: the rulebooks (``catalogue``), the
safety layer (``security``), the HTML pages (``pages``, with ``forms``,
``date_input`` and ``decision``; a caseload's ``upload``; the
one-question-a-page ``interview``) and the JSON API
(``api``), all sharing one ``Site``.
"""
from __future__ import annotations

import functools

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response

from .._version import __version__
from . import api, interview, pages, upload
from .catalogue import load_all
from .security import MAX_BODY_BYTES, MAX_REQUEST_SECONDS, MAX_UPLOADS, MAX_WORKERS, Limits, Workers
from .site import Site, site_of


def create_app(rulebooks_dir: str = "rulebooks", *, max_body: int = MAX_BODY_BYTES,
               max_workers: int = MAX_WORKERS, max_uploads: int = MAX_UPLOADS,
               max_seconds: float = MAX_REQUEST_SECONDS) -> FastAPI:
    """The app for every rulebook in ``rulebooks_dir``, each compiled once.

    ``app.state.problems`` lists the files that could not be loaded, with their errors.
    """
    books, problems = load_all(rulebooks_dir)
    site = Site(books, problems, Workers(books, max_workers, max_uploads, max_seconds), max_body, max_seconds)

    app = FastAPI(title="policyengine", version=__version__, docs_url=None, redoc_url=None,
                  description="Evaluate social care cases against a council's guidance, written as a rulebook.")
    app.mount("/static", StaticFiles(packages=[("policyengine.web", "static")]), name="static")
    app.state.site = site
    app.state.problems = problems

    # Errors are pages (or JSON under /api), never tracebacks.
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_middleware(Limits, max_body=max_body, on_crash=functools.partial(crash, site),
                       on_too_large=functools.partial(too_large, site))
    app.include_router(pages.router)
    app.include_router(upload.router)
    app.include_router(interview.router)
    app.include_router(api.router)
    app.add_exception_handler(api.Unprocessable, api.unprocessable)
    return app


async def http_error(request: Request, exc: HTTPException) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    message = NOT_FOUND if exc.status_code == 404 else exc.detail  # a page never repeats the address's id
    return site_of(request).page(request, "error.html.j2", exc.status_code, status=exc.status_code, message=message)


#: What a page that is not there says (the API's error names what it could not find, for a program).
NOT_FOUND = "There is no page at this address. Check the address, or choose a rulebook from the list."


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid request')}"}, status_code=422)


def crash(site: Site, request: Request) -> Response:
    message = "Something went wrong on our side. Nothing you entered has been kept."
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=500)
    return site.page(request, "error.html.j2", 500, status=500, message=message)


def too_large(site: Site, request: Request) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": f"the request is larger than the limit of {site.max_body:,} bytes"},
                            status_code=413)
    return site.page(request, "error.html.j2", 413, status=413,
                     message=f"What you sent is larger than the limit of {site.max_body:,} bytes, so it was not "
                             "read. Nothing you sent has been kept. Split a larger caseload into smaller "
                             "files, or use policyengine batch.")
