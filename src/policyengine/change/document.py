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
from ..engine import english
from ..engine.compile import Rulebook
from ..engine.constructs import CONSTRUCTS
from ..engine.constructs.unary import in_words
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
    env = _env()
    env.filters.update(_in_words(book))
    template = env.get_template(f"policy.{fmt}.j2")
    return template.render(build_context(book) | {"appendix": appendix(book), "glossary": glossary(book)},
                           standalone=standalone)


#: Each input type as the policy document says what answer it takes.
_ANSWERS = {"boolean": "yes or no", "integer": "a whole number", "string": "text", "date": "a date",
            "enum": "one of", "list": "any of"}


def _in_words(book: Rulebook) -> dict:
    """The document's filters that name things as people do: every condition in
    English, every name and value by its label (the expressions themselves are
    in the technical appendix)."""
    labels = book.labels
    return {
        "label": labels.of,
        "english": lambda source: english.condition(source, labels),
        "phrase": lambda source: english.phrase(source, labels),
        "heading": lambda source: labels.of(source) if source in labels.kinds else english.phrase(source, labels),
        "value": lambda value, name=None: english.value(labels, name, value),
        "cell": lambda text, column=None: in_words(text, column if column in labels.kinds else None, labels),
        "mentions": lambda text, values=False: english.mentions(str(text), labels, values=values),
        "answer": lambda kind: _ANSWERS.get(kind, kind),
    }


def appendix(book: Rulebook) -> list[tuple[str, str, str]]:
    """Every expression as the rulebook writes it, for policy owners: (where, expression, file:line)."""
    return [(str(e.loc.path or ""), " ".join(e.source.split()), f"{e.loc.file}:{e.loc.line}")
            for e in book.expressions]


def glossary(book: Rulebook) -> list[tuple[str, str, str]]:
    """Each input and outcome's label beside its name (the caseload's column) and its values' labels."""
    labels = book.labels
    named = {**{n: i.values for n, i in book.inputs.items()},
             **{out: el.domain if out == el.name else None for el in book.elements for out in el.outputs}}
    return [(labels.of(name), name, ", ".join(f"{english.value(labels, name, v)} = {v}"
                                              for v in values or () if isinstance(v, str)))
            for name, values in named.items()]
