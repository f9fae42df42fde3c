"""The JSON API under /api: the rulebooks on offer, a case evaluated, a document rendered.

Its answers are the command line's (``policyengine evaluate --format json``); a case
that does not fit the rulebook is a 422 saying why (``error``) and where (``field``).
``contract`` declares every body, so /openapi.json says what each route sends.
"""
from __future__ import annotations

import datetime as _dt

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..engine.compile import Rulebook
from ..engine.evaluate import HORIZON, MAX_HORIZON, Decision
from ..engine.values import for_json
from ..engine.render import render
from ..errors import PolicyEngineError, RenderError, problems_of
from . import contract
from .site import site_of

router = APIRouter()

# Ids are plain strings, never enums of the rulebooks loaded: a client generated from
# /openapi.json goes on working when a council adds a rulebook or a document.
RULEBOOK_ID = Path(max_length=100, description="A rulebook's id, as `list_rulebooks` gives it",
                   examples=["knowsley"])
DOCUMENT_ID = Path(max_length=100, description="One of the rulebook's documents, as `get_rulebook` lists them",
                   examples=["allocation_note"])
CASE_BODY = Body(..., description="A case: field name → value, as in a case file",
                 examples=[{"case_id": "K-1", "family_dynamics": True}])
AS_OF = Query(None, description="The date to decide as of, YYYY-MM-DD (default today)")


def problem(description: str) -> dict:
    """An OpenAPI response of the ``Problem`` body every refusal under /api has."""
    return {"model": contract.Problem, "description": description}


#: Any route: a fault of the server's own (app.crash).
CRASH = {500: problem("Something went wrong on the server's side; nothing sent has been kept")}
#: A GET answers 422 only for an id over 100 characters (FastAPI's check, answered by app.invalid_request).
LOOKUP = {404: problem("No such rulebook"), 422: problem("An id longer than 100 characters: `error` alone"),
          **CRASH}
#: A POST carries a case, decided in a worker within the server's time limit.
DECIDE = {
    400: problem("The body could not be read as text in any encoding JSON allows"),
    404: problem("No such rulebook, or no such document in it"),
    413: problem("The body is larger than the server's limit (5 MB unless the server sets another)"),
    422: problem("The case does not fit the rulebook: `error` says why and `field` where. Or the request is "
                 "malformed (an `as_of` that is not a date, a body that is not a JSON object): `error` alone"),
    503: problem("Deciding took longer than the server's limit, so it was stopped"),
    **CRASH,
}


class Unprocessable(Exception):
    """A case the rulebook cannot decide or render: answered 422 by ``unprocessable``."""

    def __init__(self, error: PolicyEngineError) -> None:
        self.error = error


async def unprocessable(request: Request, exc: Unprocessable) -> JSONResponse:
    # The first problem as ever; a case's every problem under `problems` (one for any other error).
    problems = [{"error": p.message, "field": p.path} for p in problems_of(exc.error)]
    return JSONResponse({**problems[0], "problems": problems}, status_code=422)


def summary(book: Rulebook) -> dict:
    meta = book.meta
    return {**meta.as_dict(), "effective_from": meta.effective_from.isoformat(),
            "review_by": meta.review_by.isoformat(), "past_review": _dt.date.today() > meta.review_by}


# Each route returns its JSONResponse itself, so the body is the engine's dict exactly as made;
# ``response_model`` only declares it (FastAPI neither validates nor re-serialises a Response).
@router.get("/api/rulebooks", operation_id="list_rulebooks", response_model=contract.RulebookList,
            summary="Every rulebook this server offers", responses=CRASH,
            response_description="Every rulebook that loaded")
def api_rulebooks(request: Request) -> JSONResponse:
    return JSONResponse([summary(b) for b in site_of(request).books.values()])


@router.get("/api/rulebooks/{rulebook_id}", operation_id="get_rulebook", response_model=contract.RulebookDetail,
            summary="One rulebook: its inputs, outcomes and documents", responses=LOOKUP,
            response_description="The rulebook")
def api_rulebook(request: Request, rulebook_id: str = RULEBOOK_ID) -> JSONResponse:
    book = site_of(request).book(rulebook_id)
    return JSONResponse({
        **summary(book),
        "inputs": {n: {"type": i.type, "question": i.question, "required": i.required,
                       "values": list(i.values), "default": for_json(i.default)}
                   for n, i in book.inputs.items()},
        "outcomes": list(book.outcomes),
        "documents": {d.id: {"title": d.title, "audience": d.audience} for d in book.documents.values()}})


@router.get("/api/rulebooks/{rulebook_id}/schema", operation_id="get_case_schema", response_model=contract.CaseSchema,
            summary="The JSON Schema of the rulebook's case files", responses=LOOKUP,
            response_description="A JSON Schema (draft 2020-12)")
def api_schema(request: Request, rulebook_id: str = RULEBOOK_ID) -> JSONResponse:
    return JSONResponse(site_of(request).book(rulebook_id).case_schema())


@router.post("/api/rulebooks/{rulebook_id}/evaluate", operation_id="evaluate_case", response_model=contract.Decision,
             summary="Evaluate a case: the same JSON as `policyengine evaluate --format json`",
             responses=DECIDE, response_description="The decision")
async def api_evaluate(request: Request, rulebook_id: str = RULEBOOK_ID, case: contract.Case = CASE_BODY,
                       as_of: _dt.date | None = AS_OF,
                       partial: bool = Query(False, description="A missing required answer is not known, "
                                                                "not an error: decide what can be decided"),
                       alternatives: bool = Query(False, description="List which changes of answer would change "
                                                                     "each outcome, under `alternatives`"),
                       horizon: int = Query(HORIZON, ge=1, le=MAX_HORIZON,
                                            description="How many days ahead `changes_ahead` looks"),
                       ) -> JSONResponse:
    site = site_of(request)
    book = site.book(rulebook_id)
    decided = await site.workers.off_loop(
        lambda: _decide(book, case.root, as_of, partial=partial, alternatives=alternatives, horizon=horizon).as_dict())
    return JSONResponse(decided)


@router.post("/api/rulebooks/{rulebook_id}/render/{document_id}", operation_id="render_document",
             response_model=contract.RenderedDocument, summary="Render one of the rulebook's documents for a case",
             responses=DECIDE, response_description="The document")
async def api_render(request: Request, rulebook_id: str = RULEBOOK_ID, document_id: str = DOCUMENT_ID,
                     case: contract.Case = CASE_BODY, as_of: _dt.date | None = AS_OF) -> JSONResponse:
    site = site_of(request)
    book = site.book(rulebook_id)
    if document_id not in book.documents:
        raise HTTPException(404, f"no document `{document_id}` in rulebook `{rulebook_id}`")
    text = await site.workers.off_loop(_decide_and_render, book, case.root, as_of, document_id, book=book)
    doc = book.documents[document_id]
    return JSONResponse({"document": doc.id, "title": doc.title, "audience": doc.audience, "text": text})


def _decide(book: Rulebook, case: dict, as_of: _dt.date | None, *, partial: bool = False,
            alternatives: bool = False, horizon: int = HORIZON) -> Decision:
    try:
        return book.evaluate(case, as_of or _dt.date.today(), partial=partial, alternatives=alternatives,
                             horizon=horizon)
    except PolicyEngineError as exc:
        raise Unprocessable(exc) from None


def _decide_and_render(book: Rulebook, case: dict, as_of: _dt.date | None, document_id: str) -> str:
    decision = _decide(book, case, as_of)
    try:
        return render(decision, document_id)
    except RenderError as exc:
        raise Unprocessable(exc) from None
