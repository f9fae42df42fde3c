"""Document templates, below both compile and render: the sandbox they run in,
the folders they are read from, and the checks and hashes made when a rulebook
compiles.

Templates live in ``rulebooks/templates/<rulebook-id>/`` (a fork also sees its
bases' folders) and run in Jinja's immutable sandbox with StrictUndefined, so a
misspelt name is an error rather than a blank in a letter sent to a family.
Every name a document's template reads is checked when the rulebook compiles,
and reported at the template's own line.

Two of the three walls around a template are here (the third, the worker
process, is ``render``'s):

- every template loaded, included, imported or extended is found by
  :class:`TemplateFolders`, which resolves links and refuses a file that lies
  outside the rulebook's templates folders, is not a regular file, or is larger
  than ``MAX_TEMPLATE_BYTES``; ``validate`` walks the folders for the same faults
  and the check is made again at every render;
- the sandbox refuses Python internals, changing values, huge ``range()`` and
  ``*``, and stops the output at the render's limit.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat

from jinja2 import BaseLoader, StrictUndefined, meta, nodes, select_autoescape
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateAssertionError, TemplateError, TemplateNotFound, \
    TemplateSyntaxError
from jinja2.lexer import TokenStream
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .dates import Interval, long_date, parse_interval
from ..errors import Location, RulebookError, suggest
from .load import locate, open_regular
from .unknown import UNKNOWN

#: Template names that are HTML or XML, so every value put into them is escaped.
HTML_SUFFIXES = ("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2", "html.jinja", "xml.jinja")
#: Names every template may use besides the rulebook's inputs and outcomes.
CONTEXT_NAMES = ("case", "settings", "rulebook", "as_of", "explanation", "because", "sources",
                 "documents", "document", "warnings", "letter_date")


#: Most items `range()` may make in a template, and longest text `*` may build.
MAX_RANGE = 10_000
MAX_REPEAT_CHARS = 10_000
#: Largest template file the engine reads, and most files a templates folder may hold.
MAX_TEMPLATE_BYTES = 1_000_000
#: Most files and folders a templates folder may hold, and deepest its folders may nest.
MAX_TEMPLATE_FILES = 1_000
MAX_FOLDER_DEPTH = 32
#: Deepest a template may nest blocks, brackets and chained operators (Jinja's parser and
#: compiler recurse on each level), and loops (Python allows 20 nested loops in compiled code).
MAX_TEMPLATE_DEPTH = 32
MAX_TEMPLATE_LOOPS = 16


class Refused(SecurityError):
    """One of the engine's own limits, in words fit to show as they are."""


def _small_range(*args) -> range:
    """`range()` for templates: a template has no business making huge lists."""
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise Refused(f"range() is limited to {MAX_RANGE:,} items in a template")
    return items


class _NoFolding:
    """Compile a template without running any of it.

    Jinja evaluates constant expressions while compiling (``{{ 'x'|indent(10**9) }}``
    becomes its value), which would run template code in the process that
    validates rulebooks, outside the render worker's limits. Only literal
    text and constants are kept as they are; every expression runs at render time.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.optimizer = None

    def _output_child_to_const(self, node, frame, finalize):
        if not isinstance(node, (nodes.TemplateData, nodes.Const)):
            raise nodes.Impossible()
        return super()._output_child_to_const(node, frame, finalize)

    def visit_EvalContextModifier(self, node, frame) -> None:
        frame.eval_ctx.volatile = True  # `{% autoescape expr %}`: evaluate expr at render time
        super().visit_EvalContextModifier(node, frame)


class _Compiler(_NoFolding, CodeGenerator):
    pass


class _Tracker(_NoFolding, meta.TrackingCodeGenerator):
    pass


def _undeclared_names(env, tree) -> set[str]:
    """``jinja2.meta.find_undeclared_variables``, without folding constants."""
    tracker = _Tracker(env)
    tracker.visit(tree)
    return set(tracker.undeclared_identifiers)


#: Tokens and words that put one node inside another (``~`` and comparisons make flat nodes).
_NESTING_TOKENS = frozenset({"add", "sub", "mul", "div", "floordiv", "mod", "pow", "pipe", "dot"})
_NESTING_WORDS = frozenset({"and", "or", "not", "if", "else", "is"})
_BLOCK_TAGS = frozenset({"for", "if", "block", "macro", "call", "filter", "with", "autoescape", "set"})
_OPENING, _CLOSING = frozenset({"lparen", "lbracket", "lbrace"}), frozenset({"rparen", "rbracket", "rbrace"})


def _nesting_checked(stream, name, filename):
    """The tokens of ``stream``, stopped by a syntax error where the template nests deeper
    than ``MAX_TEMPLATE_DEPTH`` (blocks, brackets and chained operators: an upper bound on
    how deep Jinja's parser and compiler recurse) or loops deeper than ``MAX_TEMPLATE_LOOPS``.
    Checked as the parser reads each token, so before it recurses."""
    blocks: list[str] = []  # the open block tags
    levels = [0]            # operators chained at each open bracket of the current tag
    tag, assigns = None, False
    closed = False          # the last token closed a bracket: `[`/`(` now nests what it closed
    for token in stream:
        kind = token.type
        chained, closed = closed, False
        if kind in ("block_begin", "variable_begin"):
            levels, tag, assigns = [0], kind, False
        elif tag == "block_begin" and kind == "name":  # the tag's own name
            tag = token.value
            if tag.startswith("end") and blocks:
                blocks.pop()
            yield token
            continue
        elif kind in ("block_end", "variable_end"):
            if kind == "block_end" and tag in _BLOCK_TAGS and not (tag == "set" and assigns):
                blocks.append(tag)  # `{% set x %}`, with no `=`, is a block
            levels, tag = [0], None
        elif kind in _OPENING:
            if chained:  # `x[0][0]…`, `f(1)(1)…`: each subscript or call wraps the one before
                levels[-1] += 1
            levels.append(0)
        elif kind in _CLOSING and len(levels) > 1:
            levels.pop()
            closed = True
        elif kind in ("comma", "colon"):  # the next item is a sibling, not a child
            levels[-1] = 0
        elif kind == "assign" and len(levels) == 1:
            assigns = True
        elif kind in _NESTING_TOKENS or (kind == "name" and token.value in _NESTING_WORDS):
            levels[-1] += 1
        if len(blocks) + len(levels) - 1 + sum(levels) > MAX_TEMPLATE_DEPTH:
            raise TemplateSyntaxError(f"blocks, brackets and operators are nested more than "
                                      f"{MAX_TEMPLATE_DEPTH} levels deep", token.lineno, name, filename)
        if blocks.count("for") > MAX_TEMPLATE_LOOPS:
            raise TemplateSyntaxError(f"loops are nested more than {MAX_TEMPLATE_LOOPS} deep",
                                      token.lineno, name, filename)
        yield token


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with caps on the ways a template can blow up."""

    code_generator_class = _Compiler

    def _tokenize(self, source, name, filename=None, state=None):
        stream = super()._tokenize(source, name, filename, state)
        return TokenStream(_nesting_checked(stream, name, filename), name, filename)
    # Every operator goes through call_binop, and none is folded while compiling.
    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise Refused("`**` is not allowed in a template")
        for text, times in ((left, right), (right, left)):
            if isinstance(text, (str, list, tuple)) and isinstance(times, int) \
                    and len(text) * times > MAX_REPEAT_CHARS:
                raise Refused(f"repeating text with `*` is limited to {MAX_REPEAT_CHARS:,} characters")
        return super().call_binop(context, operator, left, right)


class TemplateRefused(TemplateError):
    """A template name that leads somewhere a template may not be read from.

    Not a TemplateNotFound, so that `{% include ... ignore missing %}` cannot hide it."""

    def __init__(self, name: str, kind: str) -> None:
        super().__init__(kind)
        self.name, self.kind = name, kind


class TemplateFolders(BaseLoader):
    """Finds templates in the rulebook's folders (its own first, then its bases').

    Each name, whether a document's template or one it includes, imports or
    extends, is resolved through every link and must land on a regular file of
    at most ``MAX_TEMPLATE_BYTES`` inside one of the folders. The check is made
    on every load, and ``uptodate`` repeats it, so a file changed into a link
    after ``validate`` is refused when it is next rendered.
    """

    def __init__(self, folders, hashes: dict | None = None) -> None:
        self.folders = [os.path.abspath(f) for f in folders]
        self.hashes = hashes  # real path -> SHA-256 of each file when the rulebook was loaded
        self.served: dict[str, str] = {}  # file name -> template name, to point errors at lines

    def find(self, name: str) -> str | None:
        """The path ``name`` names (unresolved), or None when no folder has it."""
        pieces = split_template_path(name)
        for folder in self.folders:
            candidate = os.path.join(folder, *pieces)
            if pieces and os.path.lexists(candidate):
                return candidate
        return None

    def get_source(self, environment, template):
        data, path, real, info = self.read(template)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise TemplateRefused(template, "is not UTF-8 text") from None
        self.served[path] = template

        def uptodate() -> bool:
            try:
                return self.check(template, path) == real and os.stat(real).st_mtime_ns == info.st_mtime_ns
            except (TemplateError, OSError):
                return False

        return source, path, uptodate

    def read(self, template: str) -> tuple[bytes, str, str, os.stat_result]:
        """The bytes of the file ``template`` names, its path, real path and status,
        if it is one a template may read and (when hashes are given) unchanged since loading."""
        if any(folder_problem(folder) for folder in self.folders):
            raise TemplateRefused(template, "is in a templates folder that is a link")
        path = self.find(template)
        if path is None:
            raise TemplateNotFound(template)
        real = self.check(template, path)
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(real, flags)
        except OSError:
            raise TemplateRefused(template, "cannot be read") from None
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise TemplateRefused(template, "is not a regular file")
            data = fh.read(MAX_TEMPLATE_BYTES + 1)
        if len(data) > MAX_TEMPLATE_BYTES:
            raise TemplateRefused(template, f"is larger than {MAX_TEMPLATE_BYTES:,} bytes")
        if self.hashes is not None and self.hashes.get(real) != hashlib.sha256(data).hexdigest():
            # The provenance hash was made from the files as they were: render nothing else.
            raise TemplateRefused(template, "has changed since the rulebook was loaded")
        return data, path, real, info

    def check(self, name: str, path: str) -> str:
        """The real file behind ``path``, if it is one a template may read."""
        real = os.path.realpath(path)
        if not any(_inside(folder, real) for folder in self.folders):
            raise TemplateRefused(name, "leads outside the templates folder")
        try:
            info = os.stat(real)
        except OSError:
            raise TemplateNotFound(name) from None
        if not stat.S_ISREG(info.st_mode):
            raise TemplateRefused(name, "is not a regular file")
        if info.st_size > MAX_TEMPLATE_BYTES:
            raise TemplateRefused(name, f"is larger than {MAX_TEMPLATE_BYTES:,} bytes")
        return real


def folder_problem(folder: str) -> str | None:
    """Why a rulebook's templates folder ``<dir>/templates/<id>`` may not be read, or None.

    Its real path must be ``templates/<id>`` inside the real path of the rulebook's own
    directory: neither ``templates`` nor ``templates/<id>`` may be a link (which could lead
    anywhere, /etc included), so the folder holds only what sits beside the rulebook."""
    folder = os.path.abspath(folder)
    parent, rid = os.path.split(folder)
    owner, templates = os.path.split(parent)
    if templates != "templates" or os.path.realpath(folder) != os.path.join(os.path.realpath(owner),
                                                                            templates, rid):
        return f"the templates folder is a link, or is inside one: it must be a real folder `templates/{rid}` " \
               "beside the rulebook"
    return None


def _inside(folder: str, path: str) -> bool:
    folder, path = os.path.realpath(folder), os.path.realpath(path)
    return os.path.commonpath([folder, path]) == folder


def make_environment(folders: list[str], functions: dict, hashes: dict | None = None, *,
                     markdown: bool = False) -> _Sandbox:
    """The sandbox a rulebook's templates are checked and rendered in. For a
    ``markdown`` template, every value printed is escaped as Markdown text."""
    env = _Sandbox(
        finalize=markdown_text if markdown else None,
        loader=TemplateFolders(folders, hashes),
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
    env.filters["answer"] = answer
    env.filters["how_often"] = how_often
    # `{% if x is unknown %}`: a question nobody answered, which `{% if x %}` refuses to read as No.
    env.tests["unknown"] = lambda value: value is UNKNOWN
    env.globals.update(functions)
    return env


def answer(value) -> str:
    """A case's answer as a letter states it: "not recorded" for a question nobody
    answered (never an invented "no"), yes/no, dates the British way, lists as prose."""
    if value is None or value is UNKNOWN:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(answer(v) for v in value) or "none"
    if hasattr(value, "isoformat"):
        return long_date(value)
    return str(value)


def how_often(value) -> str:
    """An interval as a frequency: "monthly", "weekly", "every 14 days" (never
    "every 1 month"); anything else as ``answer`` writes it."""
    if isinstance(value, str):
        try:
            value = parse_interval(value)
        except ValueError:
            pass
    return value.how_often() if isinstance(value, Interval) else answer(value)


def template_path(book, name: str) -> str:
    """The file a template name resolves to: the fork's own folder first, then its bases'."""
    try:
        found = TemplateFolders(book.template_dirs).find(name)
    except TemplateNotFound:
        found = None
    return found or os.path.join(book.template_dirs[0], name)


def check_templates(book) -> list[RulebookError]:
    """Every document's template exists, parses, and reads only declared names and
    filters; no file in the templates folders is a link out of them, or too large to read."""
    problems: list[RulebookError] = []
    env = make_environment(book.template_dirs, book.functions)
    allowed = set(book.inputs) | {o for el in book.elements for o in el.outputs}
    allowed |= set(CONTEXT_NAMES) | set(env.globals)
    if book.documents:
        own = {template_path(book, doc.template) for doc in book.documents.values()}  # reported below
        for folder in dict.fromkeys(book.template_dirs):
            problem = folder_problem(folder)
            files, problem = ([], problem) if problem else _folder_files(folder)
            if problem:
                problems.append(RulebookError(problem, Location(folder)))
                continue
            problems.extend(_file_problems(folder, [f for f in files if f[1] not in own], book))
    if problems and any(folder_problem(f) for f in book.template_dirs):
        return problems  # nothing in a linked folder is read
    reported = {p.file for p in problems}  # said once, of the file itself
    problems.extend(_letterhead_problems(book))
    for doc in book.documents.values():
        path = template_path(book, doc.template)
        if not any(_inside(folder, path) for folder in book.template_dirs):
            problems.append(RulebookError(
                f"template `{doc.template}` is outside the templates folder {book.template_dirs[0]}", doc.loc))
            continue
        try:
            source = env.loader.get_source(env, doc.template)[0]
        except TemplateRefused as exc:
            if path not in reported:
                problems.append(RulebookError(f"template `{doc.template}` {exc.kind}", doc.loc))
            continue
        except TemplateNotFound:
            problems.append(RulebookError(
                f"template `{doc.template}` not found in {os.path.relpath(book.template_dirs[0])}", doc.loc))
            continue
        try:
            problems.extend(_template_problems(env, source, doc, path, allowed, book, reported))
        except TemplateSyntaxError as exc:
            problems.append(RulebookError(f"template syntax: {exc.message}",
                                          Location(path, exc.lineno, None, doc.id)))
        except TemplateAssertionError as exc:  # raised while compiling; names the template's own words
            problems.append(RulebookError(f"template: {exc.message}", Location(path, exc.lineno, None, doc.id)))
        except RecursionError:  # a backstop for the nesting check in `_nesting_checked`
            problems.append(RulebookError("the template is nested too deeply to read",
                                          Location(path, None, None, doc.id)))
    return problems


def _template_problems(env, source: str, doc, path: str, allowed: set, book, reported: set) -> list:
    tree = env.parse(source, doc.template, path)
    problems = _include_problems(env, tree, path, reported)
    unknown = False
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        kind, known = ("filter", env.filters) if isinstance(node, nodes.Filter) else ("test", env.tests)
        if node.name not in known:
            unknown = True
            problems.append(RulebookError(
                f"template uses {kind} `{node.name}`, which does not exist{suggest(node.name, known)}",
                Location(path, node.lineno, None, node.name)))
    if unknown:
        return problems  # Jinja cannot compile the template to find the names it reads
    for name in sorted(_undeclared_names(env, tree) - allowed):
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


def _include_problems(env, tree, path: str, reported: set) -> list[RulebookError]:
    """Each template named literally in an include, import or extends can be loaded
    (a file already ``reported`` is not reported again)."""
    problems = []
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        name = node.template.value if isinstance(node.template, nodes.Const) else None
        if not isinstance(name, str):
            continue
        try:
            env.loader.get_source(env, name)
        except TemplateRefused as exc:
            if env.loader.find(name) not in reported:
                problems.append(RulebookError(f"template `{name}` {exc.kind}", Location(path, node.lineno)))
        except TemplateNotFound:
            if not getattr(node, "ignore_missing", False):
                problems.append(RulebookError(f"template `{name}` not found", Location(path, node.lineno)))
    return problems


def _folder_files(folder: str) -> tuple[list, str | None]:
    """The folder's files and links, as sorted (relative path, full path) pairs, or the
    reason it holds too much to read. Walked without recursion, and stopped at the cap:
    every folder counts toward it as a file does, and no folder may nest too deep."""
    files, count, pending = [], 0, [(folder, 0)]
    while pending:
        here, depth = pending.pop()
        try:
            with os.scandir(here) as entries:
                for entry in entries:
                    count += 1
                    if count > MAX_TEMPLATE_FILES:
                        return [], f"the templates folder has more than {MAX_TEMPLATE_FILES:,} files and folders"
                    if entry.is_dir(follow_symlinks=False):
                        if depth + 1 > MAX_FOLDER_DEPTH:
                            return [], f"the templates folder nests folders more than {MAX_FOLDER_DEPTH} deep"
                        pending.append((entry.path, depth + 1))
                    else:  # a file, or a link (to a file or folder): checked by `_file_problems`
                        files.append((os.path.relpath(entry.path, folder).replace(os.sep, "/"), entry.path))
        except FileNotFoundError:
            continue  # no templates folder (yet): no files
        except OSError:
            return [], f"`{os.path.relpath(here, folder)}` in the templates folder cannot be read"
    return sorted(files), None


def _file_problems(folder: str, files, book) -> list[RulebookError]:
    problems = []
    for rel, full in files:
        real = os.path.realpath(full)
        if not any(_inside(f, real) for f in book.template_dirs):
            problems.append(RulebookError(f"`{rel}` is a link that leads outside the templates folder",
                                          Location(full)))
        elif os.path.isdir(real):
            continue
        elif not os.path.isfile(real):
            problems.append(RulebookError(f"`{rel}` is not a regular file", Location(full)))
        elif os.path.getsize(real) > MAX_TEMPLATE_BYTES:
            problems.append(RulebookError(f"`{rel}` is larger than {MAX_TEMPLATE_BYTES:,} bytes",
                                          Location(full)))
    return problems


def hash_templates(book, digest) -> dict[str, str]:
    """Feed ``digest`` every file a document can include: each entry of each
    templates folder, in order, as its relative path and then its bytes (a
    regular file) or where it points (a link; the file it reaches inside the
    folders is hashed at its own place). Returns each regular file's SHA-256 by
    its real path: a render reads only files that still match (see TemplateFolders)."""
    hashes = {}
    for i, folder in enumerate(dict.fromkeys(book.template_dirs)):
        digest.update(f"\0folder {i}\0".encode())
        problem = folder_problem(folder)
        files, problem = ([], problem) if problem else _folder_files(folder)
        if problem:
            digest.update(b"refused\0")  # never read: every render from it is refused
            continue
        for rel, full in files:
            digest.update(b"\0" + rel.encode("utf-8", "surrogateescape") + b"\0")
            if os.path.islink(full):
                digest.update(b"-> " + os.fsencode(os.readlink(full)))
            elif os.path.isfile(full) and os.path.getsize(full) > MAX_TEMPLATE_BYTES:
                digest.update(b"too large: %d" % os.path.getsize(full))  # refused, never read
            elif os.path.isfile(full):
                one = hashlib.sha256()
                with open_regular(full) as fh:  # never a FIFO swapped in since the check
                    for chunk in iter(lambda: fh.read(1 << 16), b""):
                        digest.update(chunk)
                        one.update(chunk)
                hashes[os.path.realpath(full)] = one.hexdigest()
    return hashes


def settings_read(book, template: str) -> frozenset | None:
    """The settings ``template`` reads, with every template it includes, imports or
    extends; None when that cannot be known (``settings`` read whole or by a computed
    key, a template named by a computed name): then it may read any of them."""
    env = make_environment(book.template_dirs, book.functions)
    names: set[str] = set()
    pending, seen = [template], set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            tree = env.parse(env.loader.get_source(env, name)[0], name)
        except (TemplateError, RecursionError):
            return None
        read = _settings_in(tree)
        if read is None:
            return None
        names |= read
        for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            if not (isinstance(node.template, nodes.Const) and isinstance(node.template.value, str)):
                return None
            pending.append(node.template.value)
    return frozenset(names)


def _settings_in(tree) -> set[str] | None:
    """The settings one parsed template reads by name (``settings.x``, ``settings['x']``), or
    None if it also reads ``settings`` some other way."""
    found, named = set(), 0
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        inner = node.node
        if isinstance(inner, nodes.Name) and inner.name == "settings":
            key = node.attr if isinstance(node, nodes.Getattr) else \
                node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else None
            if key is None:
                return None
            found.add(key)
            named += 1
    uses = sum(1 for n in tree.find_all(nodes.Name) if n.name == "settings" and n.ctx == "load")
    return found if uses == named else None


#: Largest a Word letterhead may grow when unzipped, and most parts it may hold.
MAX_WORD_UNZIPPED = 20_000_000
MAX_WORD_PARTS = 500


def read_letterhead(book) -> bytes:
    """The bytes of the rulebook's Word letterhead (``letterhead.word``), as checked when it loaded."""
    loader = TemplateFolders(book.template_dirs, book.template_hashes or None)
    return loader.read(book.letterhead.word)[0]


def letterhead_problem(data: bytes) -> str | None:
    """Why ``data`` is not a Word document a letter can be written into, or None."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            names = {part.filename for part in parts}
    except (zipfile.BadZipFile, ValueError, OSError):
        return "is not a Word document (.docx)"
    if len(parts) > MAX_WORD_PARTS or sum(p.file_size for p in parts) > MAX_WORD_UNZIPPED:
        return f"unpacks to more than {MAX_WORD_PARTS} parts or {MAX_WORD_UNZIPPED:,} bytes"
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        return "is not a Word document (.docx)"
    return None


def _letterhead_problems(book) -> list[RulebookError]:
    """The Word letterhead, if the rulebook names one, is a .docx in its templates folders."""
    word = book.letterhead.word
    if not word:
        return []
    where = locate(book.data, ["letterhead", "word"], book.path)
    try:
        data = TemplateFolders(book.template_dirs).read(word)[0]
    except TemplateNotFound:
        return [RulebookError(f"letterhead: `{word}` not found in {os.path.relpath(book.template_dirs[0])}",
                              where)]
    except TemplateRefused as exc:
        return [RulebookError(f"letterhead: `{word}` {exc.kind}", where)]
    problem = letterhead_problem(data)
    return [RulebookError(f"letterhead: `{word}` {problem}", where)] if problem else []


# --- case values as Markdown text ----------------------------------------------
# A Markdown template's own text is Markdown; the values it prints (a name, an
# answer, a setting) are text, and must never become a link, a heading, a list,
# emphasis, an HTML tag or an entity when the Markdown is converted to HTML, PDF,
# Word or plain text. Each value is escaped as it is put into the template (the
# environment's ``finalize``), so nothing downstream has to tell the template's
# Markdown from a case's text. The escaping is CommonMark's own (a backslash
# before punctuation), only where it can start markup, so Markdown output stays
# readable (``O'Brien``, ``12-14 High Street``, ``£1,000.50`` are left alone).

#: Characters that open or close markup wherever they stand: emphasis, code,
#: links and images, HTML and autolinks, headings' closing `#`s, fences.
_ANYWHERE = re.compile(r"([\\`*_\[\]<>#~|])")
#: An entity or numeric character reference (`&amp;`, `&#60;`), which CommonMark decodes.
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
#: What starts a block at the beginning of a line: a list item, a quote, a
#: setext underline or thematic break (`-`, `=`, `+`), an ordered item (`1.`, `1)`).
_LINE_START = re.compile(r"^([-+=>])|^(\d{1,9})([.)])")


def markdown_text(value: object) -> str:
    """``value`` as Markdown that reads back as exactly its text (its whitespace tidied:
    each line stripped, blank lines dropped, so a value never starts a new block)."""
    lines = [line.strip() for line in str(value).splitlines()]
    return "\n".join(_line(line) for line in lines if line)


def _line(line: str) -> str:
    line = _ENTITY.sub(r"\\&", _ANYWHERE.sub(r"\\\1", line))
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line, count=1)


#: Template names that write Markdown (the rest write HTML, see ``HTML_SUFFIXES``, or plain text).
MARKDOWN_SUFFIXES = (".md", ".md.j2", ".md.jinja", ".markdown", ".markdown.j2")


def is_markdown(template: str) -> bool:
    """Whether a template's name says it writes Markdown (``letter.md.j2``)."""
    return template.lower().endswith(MARKDOWN_SUFFIXES)


def plain_as_markdown(text: str) -> str:
    """Plain text as Markdown that reads back as the same lines and paragraphs."""
    return "\n".join(_line(line.strip()) for line in text.splitlines())
