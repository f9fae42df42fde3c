"""Stage 5, render: decision letters and case notes from Jinja templates.

Templates live in ``rulebooks/templates/<rulebook-id>/`` and run in Jinja's
immutable sandbox with StrictUndefined, so a misspelt name is an error rather
than a blank in a letter sent to a family. Every name a template reads is
checked when the rulebook compiles, and reported at the template's own line.
"""
from __future__ import annotations

import os
import traceback

from jinja2 import FileSystemLoader, StrictUndefined, meta, nodes, select_autoescape
from jinja2.exceptions import SecurityError, TemplateError, TemplateNotFound, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .dates import long_date
from .errors import Location, RenderError, RulebookError, suggest

#: Template names that are HTML or XML, so every value put into them is escaped.
HTML_SUFFIXES = ("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2", "html.jinja", "xml.jinja")
#: Longest document the engine will produce.
MAX_OUTPUT_CHARS = 200_000
#: Names every template may use besides the rulebook's inputs and outcomes.
CONTEXT_NAMES = ("case", "settings", "rulebook", "as_of", "explanation", "because", "sources",
                 "documents", "document", "warnings")


#: Most items `range()` may make in a template, and longest text `*` may build.
MAX_RANGE = 10_000
MAX_REPEAT_CHARS = 10_000
#: Longest a document may take to render, in seconds (CLI and main thread only).
RENDER_SECONDS = 5


def _small_range(*args) -> range:
    """`range()` for templates: a template has no business making huge lists."""
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE:,} items in a template")
    return items


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with caps on the ways a template can blow up."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise SecurityError("`**` is not allowed in a template")
        for text, times in ((left, right), (right, left)):
            if isinstance(text, (str, list, tuple)) and isinstance(times, int) \
                    and len(text) * times > MAX_REPEAT_CHARS:
                raise SecurityError(f"repeating text with `*` is limited to {MAX_REPEAT_CHARS:,} characters")
        return super().call_binop(context, operator, left, right)


def environment(book) -> _Sandbox:
    """The rulebook's template environment, made once per compiled rulebook."""
    env = book.__dict__.get("_template_env")
    if env is not None:
        return env
    env = _Sandbox(
        loader=FileSystemLoader(book.template_dirs, followlinks=False),
        undefined=StrictUndefined,
        # "letter.html.j2" must be escaped too: select_autoescape matches the last suffix only.
        autoescape=select_autoescape(HTML_SUFFIXES, default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["range"] = _small_range
    env.filters["long_date"] = long_date
    # Jinja's `capitalize` lowercases the rest ("Northfield" → "northfield").
    env.filters["sentence"] = lambda text: str(text)[:1].upper() + str(text)[1:]
    env.globals.update(book.functions)
    book.__dict__["_template_env"] = env
    return env


def template_path(book, name: str) -> str:
    """The file a template name resolves to: the fork's own folder first, then its bases'."""
    for folder in book.template_dirs:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return os.path.join(book.template_dirs[0], name)


def check_templates(book) -> list[RulebookError]:
    """Every document's template exists, parses, and reads only declared names."""
    problems: list[RulebookError] = []
    env = environment(book)
    allowed = set(book.inputs) | {o for el in book.elements for o in el.outputs}
    allowed |= set(CONTEXT_NAMES) | set(env.globals)
    for doc in book.documents.values():
        path = template_path(book, doc.template)
        if not any(_inside(folder, path) for folder in book.template_dirs):
            problems.append(RulebookError(
                f"template `{doc.template}` is outside the templates folder {book.template_dirs[0]}", doc.loc))
            continue
        try:
            source = env.loader.get_source(env, doc.template)[0]
        except TemplateNotFound:
            problems.append(RulebookError(
                f"template `{doc.template}` not found in {os.path.relpath(book.template_dirs[0])}", doc.loc))
            continue
        try:
            tree = env.parse(source, doc.template, path)
        except TemplateSyntaxError as exc:
            problems.append(RulebookError(f"template syntax: {exc.message}",
                                          Location(path, exc.lineno, None, doc.id)))
            continue
        for name in sorted(meta.find_undeclared_variables(tree) - allowed):
            line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == name), None)
            problems.append(RulebookError(
                f"template uses `{name}`, which the rulebook does not declare{suggest(name, allowed)}",
                Location(path, line, None, name)))
        for node in tree.find_all(nodes.Getattr):
            if isinstance(node.node, nodes.Name) and node.node.name == "settings" \
                    and node.attr not in book.settings:
                problems.append(RulebookError(
                    f"template uses `settings.{node.attr}`, which the rulebook's settings do not "
                    f"declare{suggest(node.attr, book.settings)}",
                    Location(path, node.lineno, None, f"settings.{node.attr}")))
    return problems


def _inside(folder: str, path: str) -> bool:
    folder, path = os.path.realpath(folder), os.path.realpath(path)
    return os.path.commonpath([folder, path]) == folder


def context(decision, document=None) -> dict:
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
                                                "audience": document.audience},
    )
    return ctx


def render(decision, document_id: str) -> str:
    """Render one of the rulebook's documents for a decision."""
    book = decision.rulebook
    doc = book.documents.get(document_id)
    if doc is None:
        raise RenderError(f"no document `{document_id}` in rulebook `{book.meta.id}`"
                          f"{suggest(document_id, book.documents)}; documents: "
                          f"{', '.join(book.documents) or 'none'}", Location(book.path, None, None, document_id))
    if document_id not in decision.documents:
        raise RenderError(f"document `{document_id}` does not apply to case {decision.case_id}",
                          doc.loc.at(document_id))
    env = environment(book)
    path = template_path(book, doc.template)
    try:
        with _time_limit(RENDER_SECONDS):
            parts, size = [], 0
            for part in env.get_template(doc.template).generate(context(decision, doc)):
                size += len(part)
                if size > MAX_OUTPUT_CHARS:
                    raise RenderError(f"the document is longer than {MAX_OUTPUT_CHARS:,} characters",
                                      Location(path, None, None, doc.id))
                parts.append(part)
    except SecurityError as exc:
        raise RenderError(f"template refused an unsafe operation: {exc}",
                          Location(path, _template_line(doc.template), None, doc.id)) from None
    except _TooSlow:
        raise RenderError(f"the document took longer than {RENDER_SECONDS} seconds to render",
                          Location(path, None, None, doc.id)) from None
    except RecursionError:
        raise RenderError("the template calls itself too deeply", Location(path, None, None, doc.id)) from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError) as exc:
        raise RenderError(f"case {decision.case_id}: cannot render: {exc}",
                          Location(path, _template_line(doc.template), None, doc.id)) from None
    return "".join(parts)


class _TooSlow(Exception):
    pass


class _time_limit:
    """Stop a render that runs too long (in the main thread, where signals work)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.armed = False

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            self.previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    @staticmethod
    def _expire(signum, frame):
        raise _TooSlow()

    def __exit__(self, *exc):
        if self.armed:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def _template_line(name: str) -> int | None:
    """The template line of the exception being handled, from Jinja's traceback."""
    import sys

    tb = sys.exc_info()[2]
    line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename.endswith(name):
            line = frame.lineno
    return line
