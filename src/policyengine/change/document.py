"""A readable policy document from a rulebook, for the people who sign it off.

The same content as HTML (one self-contained file that prints cleanly) or
Markdown: metadata, each input as the question a practitioner answers,
factors, thresholds as sentences, matrices laid out as tables, decision rules
in plain English with their reasons, cadences, reserved tasks, checklists,
documents, and every item's citation. For a fork, what differs from the base
is marked.
"""
from __future__ import annotations

import datetime as _dt

from jinja2 import ChoiceLoader, DictLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from .diff import SECTIONS, diff, with_dates
from ..engine.compile import Rulebook
from ..engine.constructs import CONSTRUCTS
from ..engine.dates import long_date
from ..engine.values import words
from ..engine.validate import plain


def _env() -> Environment:
    # Each construct's part of the document is its own (``summary_md``, ``summary_html``).
    # Jinja drops one newline from the end of every template: the part keeps its own.
    parts = {f"constructs/{c.section}.{fmt}.j2": getattr(c, f"summary_{fmt}") + "\n"
             for c in CONSTRUCTS for fmt in ("md", "html")}
    env = Environment(loader=ChoiceLoader([PackageLoader("policyengine.change", "templates"), DictLoader(parts)]),
                      undefined=StrictUndefined, autoescape=select_autoescape(["html.j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["show"] = _show
    env.filters["long_date"] = long_date
    return env


def _show(value) -> str:
    return words(with_dates(value), brackets=False)


def build_context(book: Rulebook) -> dict:
    data = plain(book.data)
    meta = book.meta
    marks: dict[tuple, list[str]] = {}
    base_meta = None
    effective = getattr(book, "effective", None)
    if effective is not None and effective.base is not None:
        base_data = effective.base.data
        base_meta = plain(base_data["rulebook"])
        labels = {label: section for section, label in SECTIONS.items()}
        for change in diff(base_data, book.data):
            for label, section in labels.items():
                if change.element.startswith(label + " "):
                    name = change.element[len(label) + 1:].split(" ")[0]
                    text = "new in this fork" if change.kind == "added" else (
                        f"{change.detail}" if change.detail else change.kind)
                    marks.setdefault((section, name), []).append(text)
    return {
        "meta": meta, "data": data, "book": book,
        "past_review": _dt.date.today() > meta.review_by,
        "today": _dt.date.today(),
        "marks": marks, "base": base_meta,
        "constructs": CONSTRUCTS,
    }


#: The policy document's formats: a page that prints cleanly, or Markdown.
DOCUMENT_FORMATS = ("html", "md")


def render_docs(book: Rulebook, fmt: str = "html", *, standalone: bool = True) -> str:
    """The rulebook as a policy document for sign-off, in ``fmt`` (html or md). HTML not
    ``standalone`` is the document's content alone, for a page of the web app's own."""
    if fmt not in DOCUMENT_FORMATS:
        raise ValueError(f"a policy document is written as {' or '.join(DOCUMENT_FORMATS)}")
    template = _env().get_template(f"policy.{fmt}.j2")
    return template.render(build_context(book), standalone=standalone)
