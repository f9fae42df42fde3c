"""The JSON API under /api: the rulebooks on offer, a case evaluated, a document rendered.

Its answers are the command line's (``policyengine evaluate --format json``); a case
that does not fit the rulebook is a 422 saying why (``error``) and where (``field``).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from fastapi import APIRouter, Body, FastAPI, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..engine.compile import Rulebook
from ..engine.evaluate import Decision
from ..engine.values import for_json
from ..engine.render import render
from ..errors import PolicyEngineError, RenderError
from .site import site_of

router = APIRouter()

CASE_BODY = Body(..., description="A case: field name → value, as in a case file",
                 examples=[{"case_id": "K-1", "family_dynamics": True}])
ERRORS = {404: {"description": "No such rulebook or document"},
          422: {"description": "The case does not fit the rulebook; `error` says why and `field` where"}}


class Unprocessable(Exception):
    """A case the rulebook cannot decide or render: answered 422 by ``unprocessable``."""

    def __init__(self, error: PolicyEngineError) -> None:
        self.error = error


async def unprocessable(request: Request, exc: Unprocessable) -> JSONResponse:
    return JSONResponse({"error": exc.error.message, "field": exc.error.path}, status_code=422)


def summary(book: Rulebook) -> dict:
    meta = book.meta
    return {**meta.as_dict(), "effective_from": meta.effective_from.isoformat(),
            "review_by": meta.review_by.isoformat(), "past_review": _dt.date.today() > meta.review_by}


@router.get("/api/rulebooks", summary="Every rulebook this server offers")
def api_rulebooks(request: Request) -> list[dict]:
    return [summary(b) for b in site_of(request).books.values()]


@router.get("/api/rulebooks/{rulebook_id}", summary="One rulebook: its inputs, outcomes and documents",
            responses={404: {"description": "No such rulebook"}})
def api_rulebook(request: Request, rulebook_id: str = Path(max_length=100)) -> dict:
    book = site_of(request).book(rulebook_id)
    return {**summary(book),
            "inputs": {n: {"type": i.type, "question": i.question, "required": i.required,
                           "values": list(i.values), "default": for_json(i.default)}
                       for n, i in book.inputs.items()},
            "outcomes": list(book.outcomes),
            "documents": {d.id: {"title": d.title, "audience": d.audience} for d in book.documents.values()}}


@router.get("/api/rulebooks/{rulebook_id}/schema", summary="The JSON Schema of the rulebook's case files",
            responses={404: {"description": "No such rulebook"}})
def api_schema(request: Request, rulebook_id: str = Path(max_length=100)) -> dict:
    return site_of(request).book(rulebook_id).case_schema()


@router.post("/api/rulebooks/{rulebook_id}/evaluate", responses=ERRORS,
             summary="Evaluate a case: the same JSON as `policyengine evaluate --format json`")
async def api_evaluate(request: Request, rulebook_id: str = Path(max_length=100), case: dict[str, Any] = CASE_BODY,
                       as_of: _dt.date | None = Query(None, description="The evaluation date (default today)"),
                       partial: bool = Query(False, description="A missing required answer is not known, "
                                                                "not an error: decide what can be decided"),
                       alternatives: bool = Query(False, description="List which changes of answer would change "
                                                                     "each outcome, under `alternatives`"),
                       ) -> dict:
    site = site_of(request)
    book = site.book(rulebook_id)
    return await site.workers.off_loop(
        lambda: _decide(book, case, as_of, partial=partial, alternatives=alternatives).as_dict())


@router.post("/api/rulebooks/{rulebook_id}/render/{document_id}", responses=ERRORS,
             summary="Render one of the rulebook's documents for a case")
async def api_render(request: Request, rulebook_id: str = Path(max_length=100),
                     document_id: str = Path(max_length=100), case: dict[str, Any] = CASE_BODY,
                     as_of: _dt.date | None = Query(None),
                     draft: bool = Query(False, description="Render a letter although a setting it uses is "
                                                            "still a placeholder (it is refused otherwise)")) -> dict:
    site = site_of(request)
    book = site.book(rulebook_id)
    if document_id not in book.documents:
        raise HTTPException(404, f"no document `{document_id}` in rulebook `{rulebook_id}`")
    text = await site.workers.off_loop(_decide_and_render, book, case, as_of, document_id, draft, book=book)
    doc = book.documents[document_id]
    return {"document": doc.id, "title": doc.title, "audience": doc.audience, "kind": doc.kind, "text": text}


def _decide(book: Rulebook, case: dict, as_of: _dt.date | None, *, partial: bool = False,
            alternatives: bool = False) -> Decision:
    try:
        return book.evaluate(case, as_of or _dt.date.today(), partial=partial, alternatives=alternatives)
    except PolicyEngineError as exc:
        raise Unprocessable(exc) from None


def _decide_and_render(book: Rulebook, case: dict, as_of: _dt.date | None, document_id: str,
                       draft: bool = False) -> str:
    decision = _decide(book, case, as_of)
    try:
        return render(decision, document_id, draft=draft)
    except RenderError as exc:
        raise Unprocessable(exc) from None


def openapi(app: FastAPI) -> dict:
    """FastAPI's document, with the ids this server actually offers as enums."""
    if app.openapi_schema:
        return app.openapi_schema
    books = app.state.site.books
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
