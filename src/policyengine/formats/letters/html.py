"""A document as HTML: the layout's source of truth (the PDF is printed from it)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup

from .layout import Letter
from .markdown import to_html


@lru_cache(maxsize=None)
def _source(name: str) -> str:
    return (resources.files("policyengine.formats.letters") / "templates" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _template(name: str) -> Template:
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_source(name))


def css() -> str:
    """The letter's own styles, all scoped to its ``.sheet`` (to show it inside another page)."""
    return _source("letter.css")


def page_css() -> str:
    """The styles of a page that is only the letter: A4, page numbers, DRAFT in the margin."""
    return _source("page.css") + _source("letter.css")


def article(letter: Letter, *, level: int = 1) -> Markup:
    """The document as an HTML ``<article>``, to show inside another page (with :func:`css`);
    ``level`` is the heading level of a note's title, to fit the page's own headings."""
    body = Markup(letter.body_html if letter.body_html is not None else to_html(letter.body))
    return Markup(_template("article.html.j2").render(letter=letter, body=body, level=min(max(level, 1), 6)))


def html_document(letter: Letter, *, back: str | None = None) -> str:
    """The document as a page of its own, its styles inside it (``back``: a link, not printed)."""
    return _template("letter.html.j2").render(letter=letter, article=article(letter), css=Markup(page_css()),
                                              back=back)
