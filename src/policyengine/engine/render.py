"""Stage 5, render: decision letters and case notes from Jinja templates.

Templates live in ``rulebooks/templates/<rulebook-id>/`` (a fork also sees its
bases' folders) and run in Jinja's immutable sandbox with StrictUndefined, so a
misspelt name is an error rather than a blank in a letter sent to a family.
Every name a document's template reads is checked when the rulebook compiles,
and reported at the template's own line.

Three walls stand between a template and the rest of the machine (the first two
are in :mod:`.templates`, which compiling a rulebook uses too):

- every template loaded, included, imported or extended is found by
  :class:`TemplateFolders`, which resolves links and refuses a file that lies
  outside the rulebook's templates folders, is not a regular file, or is larger
  than ``MAX_TEMPLATE_BYTES``; ``validate`` walks the folders for the same faults
  and the check is made again at every render;
- the sandbox refuses Python internals, changing values, huge ``range()`` and
  ``*``, and stops the output at ``MAX_OUTPUT_CHARS``;
- the template runs in a worker process (see ``_render_worker``) that the kernel
  limits to ``RENDER_MEMORY_MB`` of memory and the parent kills after
  ``RENDER_SECONDS``: a sandbox sees calls, not the C code behind ``str()`` or
  ``==`` of a list that holds itself ten thousand times over.

A render error names the template, its line and the kind of problem, never a
value from the case.
"""
from __future__ import annotations

import datetime as _dt
import sys
import time
from typing import TYPE_CHECKING

from jinja2.exceptions import SecurityError, TemplateNotFound, TemplateSyntaxError, UndefinedError

from ..errors import Location, RenderError, RulebookError, suggest
from .load import locate
from .templates import Refused, TemplateRefused, is_markdown, make_environment, settings_read, template_path

if TYPE_CHECKING:
    from .evaluate import Decision

#: Longest document the engine will produce.
MAX_OUTPUT_CHARS = 200_000
#: Longest a document may take to render, in seconds.
RENDER_SECONDS = 5
#: Most memory (address space) the process rendering a document may use, in MB.
RENDER_MEMORY_MB = 512


def context(decision, document=None, letter_date: _dt.date | None = None) -> dict:
    book = decision.rulebook
    ctx = dict(decision.values)
    ctx.update(
        case={name: decision.values[name] for name in book.inputs},
        settings=dict(book.settings),
        rulebook={**book.meta.as_dict(), "sources": book.meta.sources,
                  "review_by": book.meta.review_by, "effective_from": book.meta.effective_from},
        as_of=decision.as_of,
        explanation=[s.as_dict() for s in decision.explanation],
        because={s.outcome: s.because for s in decision.explanation},
        sources={s.outcome: s.source for s in decision.explanation},
        documents=list(decision.documents),
        warnings=list(decision.warnings),
        document=None if document is None else {"id": document.id, "title": document.title,
                                                "audience": document.audience, "kind": document.kind},
        letter_date=letter_date or _dt.date.today(),
    )
    return ctx


def render(decision: Decision, document_id: str, *, deadline: float | None = None, draft: bool = False,
           letter_date: _dt.date | None = None) -> str:
    """Render one of the rulebook's documents for a decision (in a worker process).

    ``deadline`` (a ``time.monotonic()`` time) is when the caller stops waiting: the
    web app gives every render of one request the same one, so a request that has run
    out of time renders nothing more. A letter (``kind: letter``) is refused while a
    setting it uses is a placeholder, unless it is a ``draft``; ``letter_date`` is the
    day it is dated (default today), the template's ``letter_date``."""
    book = decision.rulebook
    doc = document(book, document_id)
    if document_id not in decision.documents:
        raise RenderError(f"document `{document_id}` does not apply to case {decision.case_id}",
                          doc.loc.at(document_id))
    if not draft:
        refuse_placeholders(book, doc)
    return _rendered(decision, doc, deadline, letter_date)


def document(book, document_id: str):
    """The rulebook's document ``document_id``, or an error that lists them."""
    doc = book.documents.get(document_id)
    if doc is None:
        raise RenderError(f"no document `{document_id}` in rulebook `{book.meta.id}`"
                          f"{suggest(document_id, book.documents)}; documents: "
                          f"{', '.join(book.documents) or 'none'}", Location(book.path, None, None, document_id))
    return doc


def placeholders_used(book, doc) -> list[str]:
    """The placeholder settings a document would print: those its template (and what
    it includes) reads, every one if that cannot be told, and a letter's letterhead's."""
    if not book.placeholders:
        return []
    read = settings_read(book, doc.template)
    used = set(book.settings) if read is None else set(read)
    if doc.kind == "letter":
        used |= book.letterhead.settings()
    return sorted(used & book.placeholders)


def refuse_placeholders(book, doc) -> None:
    """A letter is never produced while a setting it uses is still a placeholder."""
    if doc.kind != "letter":
        return
    names = placeholders_used(book, doc)
    if names:
        which = f"setting `{names[0]}` is still a placeholder: set it" if len(names) == 1 else \
            f"settings {', '.join(f'`{n}`' for n in names)} are still placeholders: set them"
        raise RenderError(f"`{doc.id}` is a letter and {which} under `settings:` in this file (or render a "
                          f"draft with --draft)", Location(book.path, None, None, "settings"),
                          code="render.placeholder")


def placeholder_warnings(book) -> list[RulebookError]:
    """One warning for each setting still a placeholder, at the line that sets it,
    naming the letters it holds back."""
    warnings = []
    held = {name: [doc.id for doc in book.documents.values() if doc.kind == "letter"
                   and name in placeholders_used(book, doc)] for name in sorted(book.placeholders)}
    for name, letters in held.items():
        which = f"letters that use it ({', '.join(letters)}) are refused" if letters else \
            "a letter that uses it is refused"
        warnings.append(RulebookError(
            f"warning: setting `{name}` is still a placeholder: {which} until the council's own value is "
            f"set (render --draft to preview)", locate(book.data, ["settings", name], book.path),
            code="rulebook.placeholder"))
    return warnings


def _rendered(decision: Decision, doc, deadline: float | None, letter_date: _dt.date | None) -> str:
    from ._render_worker import PoolClosed, WorkerBusy, WorkerDied, WorkerTimeout, WorkerUnavailable, pool

    book = decision.rulebook
    where = f"case {decision.case_id}: cannot render `{doc.template}`"
    top = Location(template_path(book, doc.template), None, None, doc.id)
    seconds = RENDER_SECONDS if deadline is None else min(RENDER_SECONDS, deadline - time.monotonic())
    if seconds <= 0:
        raise RenderError(f"{where}: the time for this request ran out before it could be rendered", top)
    request = {"folders": list(book.template_dirs), "template": doc.template, "calendar": book.calendar,
               "context": context(decision, doc, letter_date), "markdown": is_markdown(doc.template),
               "seconds": RENDER_SECONDS, "max_chars": MAX_OUTPUT_CHARS,
               "hashes": getattr(book, "template_hashes", None)}
    try:
        reply = pool().run(request, seconds, RENDER_MEMORY_MB * 1024 * 1024)
    except WorkerTimeout:
        if seconds < RENDER_SECONDS:
            raise RenderError(f"{where}: the time for this request ran out while it was rendered", top) from None
        raise RenderError(f"{where}: the document took longer than {RENDER_SECONDS} seconds to render",
                          top) from None
    except WorkerBusy:
        raise RenderError(f"{where}: the server is busy rendering other documents; try again in a moment",
                          top) from None
    except PoolClosed:
        raise RenderError(f"{where}: the server is shutting down", top) from None
    except WorkerDied:
        raise RenderError(f"{where}: rendering stopped (the document may need more than "
                          f"{RENDER_MEMORY_MB} MB of memory)", top) from None
    except WorkerUnavailable:
        raise RenderError(f"{where}: no render worker could be started", top) from None
    if "text" in reply:
        return _characters(str(reply["text"]), f"{where}: the document holds text that is not a character "
                                                   "(half of a UTF-16 surrogate pair)", top)
    if reply.get("memory"):
        raise RenderError(f"{where}: the document needs more than {RENDER_MEMORY_MB} MB of memory to render",
                          top)
    name, line = reply.get("name"), reply.get("line")
    if name and name != doc.template:
        where += f" (in `{name}`{'' if line is None else f' line {line}'})"
    elif line is not None:
        where += f" (line {line})"
    file = reply.get("file") if isinstance(reply.get("file"), str) else top.file
    raise RenderError(f"{where}: {reply.get('error')}", Location(file, line, None, doc.id))


def _characters(text: str, message: str, where: Location) -> str:
    """``text``, if every code point in it can be written out as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RenderError(message, where) from None
    return text


# --- in the worker process --------------------------------------------------

def render_request(request: dict) -> dict:
    """Render in this process; the text, or the kind of problem and where (never a value)."""
    from .expressions import functions

    env = make_environment(request["folders"], functions(request["calendar"]), request.get("hashes"),
                           markdown=request.get("markdown", False))
    limit = request["max_chars"]
    try:
        parts, size = [], 0
        for part in env.get_template(request["template"]).generate(request["context"]):
            size += len(part)
            if size > limit:
                return _failed(env, f"the document is longer than {limit:,} characters")
            parts.append(part)
        return {"text": "".join(parts)}
    except MemoryError:
        return {"memory": True, "recycle": True}
    except RecursionError:
        return _failed(env, "the template calls itself too deeply", recycle=True)
    except TemplateRefused as exc:
        if exc.name == request["template"]:  # the document's own template, not one it includes
            return {"error": f"the template {exc.kind}", "name": None, "file": None, "line": None}
        return _failed(env, _kind(exc))
    except TemplateSyntaxError as exc:
        # Names the template's own text, not a case's value.
        return {"error": f"template syntax: {exc.message}", "name": exc.name, "file": exc.filename,
                "line": exc.lineno}
    except Exception as exc:  # noqa: BLE001 - every failure becomes a kind of problem, never its text
        return _failed(env, _kind(exc))


def _kind(exc: Exception) -> str:
    if isinstance(exc, Refused):
        return str(exc)
    if isinstance(exc, TemplateRefused):
        return f"includes a template that {exc.kind}"
    if isinstance(exc, TemplateNotFound):
        return "includes a template that does not exist"
    if isinstance(exc, UndefinedError):
        return "reads a name, key or attribute that has no value"
    if isinstance(exc, SecurityError):
        return "refused an unsafe operation (Python internals, or changing a value)"
    if isinstance(exc, ZeroDivisionError):
        return "divides by zero"
    if isinstance(exc, ArithmeticError):
        return "makes a number too large or not a number"
    if isinstance(exc, LookupError):
        return "reads a key or item that is not there"
    if isinstance(exc, TypeError):
        return "uses a value of the wrong type for an operation or filter"
    if isinstance(exc, ValueError):
        return "passes a value an operation or filter cannot use"
    return f"failed ({type(exc).__name__})"


def _failed(env, message: str, *, recycle: bool = False) -> dict:
    """The reply for the exception being handled: the innermost template line it came from."""
    served = env.loader.served
    name = file = line = None
    tb = sys.exc_info()[2]
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename in served:
            name, file, line = served[filename], filename, tb.tb_lineno
        tb = tb.tb_next
    return {"error": message, "name": name, "file": file, "line": line, "recycle": recycle}
