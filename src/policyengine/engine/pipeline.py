"""The whole pipeline: load → validate → compile, and the stages after it.

The one module of the engine that sees every stage, so that compile need not
import evaluate or render: each rulebook loaded here is given them as
:class:`Stages`, which ``Rulebook.evaluate`` and ``Rulebook.render`` call.

A rulebook is loaded from a file, from YAML text, or from a mapping already
parsed (JSON, say). Text is read exactly as a file is, so an error points at
its line. An ``extends:`` is found in the rulebook's own folder: for text or a
mapping, ``base_dir`` (without one, ``extends`` is refused); ``base_dir`` is
also where its ``templates/<id>/`` folder is looked for (without one, in the
current folder, as for a rulebook file named without a folder).
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from ..errors import Location, RulebookError, RulebookInvalid, YamlError
from .ahead import changes_ahead
from .alternatives import alternatives
from .compile import Rulebook, Stages, compile_rulebook
from .evaluate import evaluate
from .load import MAX_DEPTH, MAX_RULEBOOK_BYTES, YList, YMap, parse_yaml
from .merge import Effective, effective, load_effective
from .render import render
from .validate import plain, schema_errors

#: What a loaded rulebook does after compile.
STAGES = Stages(evaluate=evaluate, render=render, ahead=changes_ahead, alternatives=alternatives)


def load_rulebook(path: str | os.PathLike) -> Rulebook:
    """The rulebook file at ``path`` (merged over any base it extends), validated and compiled."""
    path = os.fspath(path)
    return _compiled(load_effective(path), path)


def load_rulebook_text(text: str, *, name: str = "<text>", base_dir: str | os.PathLike | None = None) -> Rulebook:
    """A rulebook from YAML (or JSON) text; ``name`` stands for the file in messages."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_RULEBOOK_BYTES:
        raise YamlError(f"the text is {size:,} bytes; the limit is {MAX_RULEBOOK_BYTES:,} bytes", Location(name))
    text = text.removeprefix("\ufeff")  # as a file's byte-order mark is
    data = parse_yaml(text, name)
    folder = None if base_dir is None else os.fspath(base_dir)
    return _compiled(effective(data, name, folder), name, {name: text.encode("utf-8", "surrogatepass")})


def load_rulebook_mapping(data: Mapping, *, name: str = "<mapping>",
                          base_dir: str | os.PathLike | None = None) -> Rulebook:
    """A rulebook from an already parsed mapping (its sections, as YAML or JSON would give them).

    Nothing in it has a line, so an error names ``name`` and the path within it."""
    located = _located(data, Location(name), 0)
    folder = None if base_dir is None else os.fspath(base_dir)
    written = json.dumps(plain(located), ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    return _compiled(effective(located, name, folder), name, {name: written})


def _compiled(found: Effective, path: str, sources: dict[str, bytes] | None = None) -> Rulebook:
    errors = schema_errors(found.data, path)
    if errors:
        raise RulebookInvalid(errors)
    book = compile_rulebook(found.data, path, found.template_dirs, found.files, stages=STAGES, sources=sources)
    book.effective = found
    return book


def _located(node: Any, where: Location, depth: int) -> Any:
    """``node`` as the YAML loader gives it (mappings and lists that know where they are),
    copied, so the caller's data is never changed."""
    if depth > MAX_DEPTH:
        raise RulebookError(f"nesting deeper than {MAX_DEPTH} levels is not allowed", where)
    if isinstance(node, Mapping):
        out = YMap((k, _located(v, where, depth + 1)) for k, v in node.items())
        out.loc, out.key_locs, out.value_locs = where, {}, {}
        return out
    if isinstance(node, (list, tuple)):
        items = YList(_located(v, where, depth + 1) for v in node)
        items.loc, items.item_locs = where, []
        return items
    return node


def blueprint(book: Rulebook) -> tuple:
    """What rebuilds ``book`` in another process exactly, reading no file again:
    a rulebook loaded from text or a mapping has no file to reload, and a file
    edited during a caseload run must not change the rules half way through."""
    return (book.data, book.path, book.template_dirs, book.files, (book.sha256, book.template_hashes))


def rebuild(plan: tuple) -> Rulebook:
    """The rulebook ``blueprint`` describes (its data compiled again, its hashes kept)."""
    data, path, template_dirs, files, hashed = plan
    return compile_rulebook(data, path, template_dirs, files, stages=STAGES, hashed=hashed)

