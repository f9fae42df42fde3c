"""The interview: one question a page (the GOV.UK pattern), only the questions
that can still change the decision, most decisive first, then the decision.

No JavaScript and nothing stored on the server: the answers so far travel in
one signed hidden field, which names the question being asked, and is bound to
the rulebook's exact text (a changed rulebook starts the interview again).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException

from ..engine.compile import Rulebook
from ..engine.interview import answered, next_questions
from ..engine.values import short_question
from ..errors import CaseError, EvaluationError
from . import forms
from .date_input import Boxes, DateProblem, read as read_date
from .pages import decision_link, decision_page
from .security import checked_form, sign, unsign
from .site import Site, site_of

router = APIRouter()


@router.get("/rulebooks/{rulebook_id}/interview", response_class=HTMLResponse, include_in_schema=False)
def start(request: Request, rulebook_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    state = {"answers": {}, "not_known": [], "asked": [], "at": "case_id", "as_of": _dt.date.today().isoformat()}
    return _question(site, request, book, state)


@router.post("/rulebooks/{rulebook_id}/interview", response_class=HTMLResponse, include_in_schema=False)
async def answer(request: Request, rulebook_id: str):
    site = site_of(request)
    book = site.book(rulebook_id)
    form = await checked_form(request, site.max_body)
    state = unsign(site.secret, _purpose(book), str(form.get("state") or ""))
    if not _well_formed(state, book):
        raise HTTPException(400, "Your answers so far could not be read (the service may have restarted). "
                                 "Start the questions again.")
    name, action = state["at"], form.get("action")
    if action == "back" and state["asked"]:
        state = _back(state)
        return _question(site, request, book, state)
    as_of = forms.read_as_of(form) if name == "case_id" and action != "not_known" else None
    error = as_of[2] if as_of else ""
    if as_of and not error:
        state["as_of"] = as_of[1].isoformat()
    answer_error = _take(book, state, name, form, action) if not error else ""
    if error or answer_error:
        shown = as_of[0] if as_of else None
        return _question(site, request, book, state, answer_error, _entered(book, name, form), 422,
                         as_of_entered=shown, as_of_error=error)
    return await site.workers.off_loop(_next, site, request, book, state, book=book)


def _take(book: Rulebook, state: dict, name: str, form: Any, action: Any) -> str:
    """Record the answer to ``name`` in ``state``; the error message if it does not fit."""
    spec = book.inputs[name]
    needed = f"Answer “{short_question(spec.question)}”: it is needed for the record"
    if action == "not_known":
        if name == "case_id":
            return needed
        state["not_known"].append(name)
    else:
        try:
            value = _answer(spec, name, form)
        except DateProblem as problem:
            return str(problem)
        try:
            none = spec.kind.is_list and forms.ticked(value) == []
        except ValueError as exc:
            return str(exc)
        if none:
            value = []
        elif not value and name == "case_id":
            return needed
        elif not value:
            return "Select an answer, or choose “I do not know”" if spec.kind.options(spec) else \
                "Enter an answer, or choose “I do not know”"
        try:
            spec.coerce(value, text=True)
        except ValueError as exc:
            return spec.kind.form_error(spec, str(exc))
        state["answers"][name] = value
    state["asked"].append(name)
    return ""


def _answer(spec, name: str, form: Any) -> Any:
    """The answer a question's page sent, as text (a date's three boxes as ISO text)."""
    if spec.kind.is_list:
        return [v for v in form.getlist(name) if v]
    if spec.kind.widget(spec) == "date":
        when = read_date(Boxes.sent(form, name))
        return when.isoformat() if when else ""
    return str(form.get(name) or "").strip()


def _next(site: Site, request: Request, book: Rulebook, state: dict):
    """The next question, or the decision when none is left (in a worker thread)."""
    as_of = _dt.date.fromisoformat(state["as_of"])
    try:
        left = next_questions(book, state["answers"], as_of, not_known=state["not_known"])
    except CaseError as exc:  # an answer the whole case refuses: ask the last question again
        state = _back(state)
        return _question(site, request, book, state, forms.in_words(exc.message, book.labels), status=422)
    if left:
        state["at"] = left[0]
        return _question(site, request, book, state)
    answers = state["answers"]
    link = decision_link(site, book, answers, as_of, "interview")
    if link:  # the decision is a page of its own (POST, then GET): Back from a print view returns to it
        return RedirectResponse(link, status_code=303)
    try:
        return decision_page(site, request, book, answers, answered(book, answers), as_of,
                             again=f"/rulebooks/{book.meta.id}/interview", via="interview")
    except (CaseError, EvaluationError) as exc:
        raise HTTPException(422, exc.message) from None


def _question(site: Site, request: Request, book: Rulebook, state: dict, error: str = "", entered: Any = None,
              status: int = 200, *, as_of_entered: Any = None, as_of_error: str = ""):
    name = state["at"]
    field = forms.field(book, name, entered, error)
    short = short_question(field.label)  # the question is the page's heading; what follows it, a hint
    field.label, field.hint = short, f"{field.label[len(short):].strip()} {field.hint}".strip()
    if field.kind == "select":  # one question a page: every option in sight
        field.kind = "radios"
    first = name == "case_id"
    as_of = forms.as_of_field(as_of_entered or state["as_of"], as_of_error) if first else None
    return site.page(request, "interview.html.j2", status, book=book, field=field, error=error or as_of_error,
                     summary=forms.summary([field] + ([as_of] if as_of else []), {}),
                     state=sign(site.secret, _purpose(book), state), number=len(state["asked"]) + 1,
                     can_go_back=bool(state["asked"]), first=first, as_of=as_of)


def _entered(book: Rulebook, name: str, form: Any) -> Any:
    """What was entered, to show again beside its error."""
    spec = book.inputs[name]
    if spec.kind.is_list:
        return form.getlist(name)
    return Boxes.sent(form, name) if spec.kind.widget(spec) == "date" else str(form.get(name) or "")


def _back(state: dict) -> dict:
    """The state one question back: that question's answer forgotten, and asked again."""
    last = state["asked"].pop()
    state["answers"].pop(last, None)
    if last in state["not_known"]:
        state["not_known"].remove(last)
    state["at"] = last
    return state


def _purpose(book: Rulebook) -> str:
    return f"interview:{book.meta.id}:{book.sha256}"


def _well_formed(state: Any, book: Rulebook) -> bool:
    """A state this app signed for this rulebook (the MAC says so); checked anyway."""
    return (isinstance(state, dict) and isinstance(state.get("answers"), dict)
            and isinstance(state.get("not_known"), list) and isinstance(state.get("asked"), list)
            and state.get("at") in book.inputs and isinstance(state.get("as_of"), str))
