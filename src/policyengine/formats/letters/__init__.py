"""Letters and case notes in the formats a council sends or files them in.

``prepare`` renders a document (the template runs in the render worker) and
lays it out; ``write_letter`` turns it into ``md`` (the template's Markdown as
rendered), ``text`` (plain text that pastes cleanly into LAS, Mosaic or ICS),
``html`` (the layout's source of truth: an A4 page with print CSS), ``pdf``
(WeasyPrint) or ``docx`` (python-docx). Converting runs in this process: it is
the engine's own code on text the worker has already bounded, and the page
formats are refused for a body longer than ``MAX_PAGED_CHARS``.
"""
from __future__ import annotations

from ...errors import Location, RenderError
from .layout import Letter as Letter
from .layout import file_stem as file_stem
from .layout import prepare as prepare
from .markdown import to_text

#: Each format, and the file extensions that choose it.
FORMATS = {"md": (".md", ".markdown"), "text": (".txt", ".text"), "html": (".html", ".htm"),
           "pdf": (".pdf",), "docx": (".docx",)}
#: The formats written as bytes.
BINARY = frozenset({"pdf", "docx"})
#: Longest body the paged formats lay out (about 25 pages): WeasyPrint's time grows with it.
MAX_PAGED_CHARS = 60_000


def format_for(path: str | None) -> str | None:
    """The format a file name's extension chooses, or None."""
    lower = (path or "").lower()
    return next((fmt for fmt, endings in FORMATS.items() if lower.endswith(endings)), None)


def write_letter(letter: Letter, fmt: str) -> str | bytes:
    """The laid-out document in ``fmt`` (a key of ``FORMATS``): text, or bytes for pdf and docx."""
    if fmt == "md":
        return _drafted(letter, letter.source)
    if fmt in ("text", "docx") and letter.body_html is not None:
        raise RenderError(f"`{letter.title}` is written by an HTML template: it can be rendered as html, pdf or md, "
                          f"not as {fmt}", letter.origin or Location(None))
    if fmt == "text":
        return _drafted(letter, text_document(letter))
    from .html import html_document

    if fmt == "html":
        return html_document(letter)
    if len(letter.body) + len(letter.body_html or "") > MAX_PAGED_CHARS:
        raise RenderError(f"`{letter.title}` is longer than {MAX_PAGED_CHARS:,} characters: too long to lay "
                          f"out as {fmt.upper()}", letter.origin or Location(None))
    if fmt == "pdf":
        from .pdf import pdf_bytes

        return pdf_bytes(letter)
    if fmt == "docx":
        from .word import docx_bytes

        return docx_bytes(letter)
    raise ValueError(f"unknown format {fmt!r}")


def text_document(letter: Letter) -> str:
    """Plain text: a note's body as it pastes into a case system; a letter with its
    letterhead, address, date, reference and sign-off around it."""
    body = to_text(letter.body)
    if letter.kind != "letter":
        return body
    parts = [letter.letterhead, letter.recipient, [letter.long_date, f"Our reference: {letter.reference}"],
             [body.rstrip("\n")] if body else [], letter.sign_off]
    return "\n\n".join("\n".join(part) for part in parts if part) + "\n"


def _drafted(letter: Letter, text: str) -> str:
    return f"{letter.draft_notice}\n\n{text}" if letter.draft else text
