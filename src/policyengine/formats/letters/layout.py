"""A document as a council sends it: what goes where on the page.

The template gives the body; the rulebook gives the rest (its ``letterhead``
settings, the recipient's inputs), and the day the letter is produced dates it.
Every writer (HTML, PDF, Word, text) lays out the same :class:`Letter`.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

from jinja2 import TemplateError

from ...engine import english
from ...engine.dates import long_date
from ...engine.render import document, placeholders_used, render
from ...engine.templates import HTML_SUFFIXES, is_markdown, plain_as_markdown, read_letterhead, template_path
from ...engine.unknown import UNKNOWN
from ...errors import Location, RenderError


@dataclass
class Letter:
    """One rendered document, laid out. ``body`` is Markdown (``body_html`` set instead
    when the template writes HTML); ``kind`` is ``letter`` or ``note``."""

    title: str
    kind: str
    council: str
    reference: str
    date: _dt.date
    body: str
    source: str = ""  # the template's own text, as rendered (the `md` format)
    body_html: str | None = None
    letterhead: list[str] = field(default_factory=list)
    recipient: list[str] = field(default_factory=list)
    sign_off: list[str] = field(default_factory=list)
    draft: bool = False
    placeholders: list[str] = field(default_factory=list)
    word: bytes | None = None  # the council's Word letterhead
    origin: Location | None = None  # the document's template, where a problem laying it out is reported

    @property
    def long_date(self) -> str:
        return long_date(self.date)

    @property
    def draft_notice(self) -> str:
        """What the DRAFT mark says."""
        if not self.placeholders:
            return "DRAFT – not to be sent"
        held = english.settings(self.placeholders)
        if len(self.placeholders) == 1:
            return f"DRAFT – not to be sent: {held} is still a placeholder"
        return f"DRAFT – not to be sent: {held} are still placeholders"


def prepare(decision, document_id: str, *, draft: bool = False, letter_date: _dt.date | None = None,
            deadline: float | None = None) -> Letter:
    """The document ``document_id`` for ``decision``, rendered and laid out (a letter
    with a placeholder setting is refused unless ``draft``)."""
    book = decision.rulebook
    doc = document(book, document_id)
    letter_date = letter_date or _dt.date.today()
    text = render(decision, document_id, deadline=deadline, draft=draft, letter_date=letter_date)
    html_template = doc.template.lower().endswith(HTML_SUFFIXES)
    body = text if is_markdown(doc.template) else "" if html_template else plain_as_markdown(text)
    letter = Letter(doc.title, doc.kind, book.meta.council, str(decision.case_id), letter_date, body,
                    source=text, body_html=text if html_template else None, draft=draft,
                    placeholders=placeholders_used(book, doc),
                    origin=Location(template_path(book, doc.template), None, None, doc.id))
    if doc.kind == "letter":
        letter.letterhead = book.letterhead.fill(book.letterhead.lines, book.settings)
        letter.sign_off = book.letterhead.fill(book.letterhead.sign_off, book.settings)
        letter.recipient = recipient_lines(decision.values, doc)
        letter.word = _word_letterhead(book) if book.letterhead.word else None
    return letter


def _word_letterhead(book) -> bytes:
    try:
        return read_letterhead(book)
    except (TemplateError, OSError) as exc:
        kind = getattr(exc, "kind", "cannot be read")
        raise RenderError(f"the Word letterhead `{book.letterhead.word}` {kind}",
                          Location(template_path(book, book.letterhead.word), None, None, "letterhead.word")
                          ) from None


def recipient_lines(values: dict, doc) -> list[str]:
    """The address block: the recipient's name, then each line of their address
    (one input's text split at its line breaks, or at its commas if it has none)."""
    lines = []
    for name in ((doc.recipient_name,) if doc.recipient_name else ()) + doc.recipient_address:
        value = values.get(name)
        if value is None or value is UNKNOWN:
            continue
        parts = str(value).splitlines()
        if len(parts) == 1 and name in doc.recipient_address and len(doc.recipient_address) == 1:
            parts = parts[0].split(",")
        lines.extend(" ".join(p.split()) for p in parts if p.strip())
    return lines


def file_stem(text: str) -> str:
    """A safe piece of a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80] or "document"
