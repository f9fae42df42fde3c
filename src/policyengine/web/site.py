"""What every page and API call of one app shares: its rulebooks, its workers and its page templates."""
from __future__ import annotations

import datetime as _dt
import secrets
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException

from ..engine.compile import Rulebook
from ..engine import english
from ..engine.dates import long_date
from .decision import citation, cited_sources, page_value
from .security import CSRF_COOKIE, Workers


def page_templates() -> Environment:
    """The web app's own page templates (not a rulebook's: those run in the render sandbox)."""
    pages = Environment(loader=PackageLoader("policyengine.web", "templates"), undefined=StrictUndefined,
                        autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    pages.filters["long_date"] = long_date
    pages.filters["cell"] = _cell
    pages.globals["placeholders"] = english.settings  # a letter's placeholder settings in words
    pages.globals["said"] = page_value  # said(labels, name, value): a value by the rulebook's labels
    pages.globals["today"] = _dt.date.today
    pages.globals["citation"] = citation  # citation(sources, source): the place in the guidance
    pages.globals["cited_sources"] = cited_sources
    return pages


def _cell(value) -> str:
    """A table cell of a page: a date the British way, nothing for no value."""
    return long_date(value) if isinstance(value, _dt.date) else "" if value is None else str(value)


@dataclass
class Site:
    """One app's rulebooks (each compiled once), the files that did not load, and its limits."""

    books: dict[str, Rulebook]
    problems: dict[str, list[str]]
    workers: Workers
    max_body: int
    max_seconds: float
    templates: Environment = field(default_factory=page_templates)
    #: Signs the answers an interview carries from page to page (new for each app: a restart
    #: ends the interviews under way, and nothing about them is kept).
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def book(self, rulebook_id: str) -> Rulebook:
        book = self.books.get(rulebook_id)
        if book is None:
            raise HTTPException(404, f"no rulebook `{rulebook_id}`")
        return book

    def page(self, request: Request, template: str, code: int = 200, **context) -> HTMLResponse:
        """A page, with the form's CSRF token (set as a cookie the first time)."""
        token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
        html = self.templates.get_template(template).render(csrf=token, request_path=request.url.path, **context)
        response = HTMLResponse(html, status_code=code)
        if request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
        return response


def site_of(request: Request) -> Site:
    """The site answering ``request`` (see ``create_app``)."""
    return request.app.state.site
