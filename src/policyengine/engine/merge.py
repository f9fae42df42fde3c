"""Forks: a rulebook that ``extends`` another and overrides elements by name.

Part of the load stage. The child's sections merge into the base's, key by
key and element by element, so ``thresholds: {complex: {at_least: 2}}``
changes one number and keeps the rest. Lists are replaced whole, except that a
mapping given where the base has a list changes items by number (``rules: {2:
{when: ...}}``). ``remove: [thresholds.complex]`` deletes an element. Tests
are not inherited: a fork carries its own. Every merged value keeps the file,
line and column it was written at, so an error in an override points into the
child file.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

from ..errors import Location, RulebookError, suggest
from .load import MAX_RULEBOOK_BYTES, YList, YMap, loc_of, parse_yaml, read_text
from .validate import element_sections

#: A rulebook id, as the schema has it.
_NAME = re.compile(r"[a-z][a-z0-9_]*")
#: Longest chain of forks (a fork of a fork of ...) the engine follows.
MAX_EXTENDS_DEPTH = 8


@dataclass
class Effective:
    """A rulebook after merging its chain of bases."""

    data: YMap
    files: list[str]                      # base first, this file last
    origins: dict = field(default_factory=dict)   # (section, name) -> [files that wrote it]
    base: "Effective | None" = None
    folder: str | None = None  # where its `extends` and templates are found (None: the current folder)

    @property
    def template_dirs(self) -> list[str]:
        """Where documents' templates are looked up: this rulebook's folder first."""
        dirs = []
        node = self
        while node is not None:
            meta = node.data.get("rulebook") if isinstance(node.data, dict) else None
            rid = meta.get("id") if isinstance(meta, dict) else None
            if isinstance(rid, str) and not _NAME.fullmatch(rid):
                # A base's own id is not checked by the schema, and it names a folder:
                # `../../etc` would make /etc a templates folder.
                raise RulebookError("a rulebook id must be lowercase letters, digits and `_` (it names "
                                    "the rulebook's templates folder)",
                                    (loc_of(meta, "id") or Location(node.files[-1])).at("rulebook.id"))
            if isinstance(rid, str):
                folder = os.path.join(os.path.abspath(node.folder or ""), "templates", rid)
                if folder not in dirs:
                    dirs.append(folder)
            node = node.base
        return dirs


def load_effective(path: str, _chain: tuple = (), _extended: tuple | None = None) -> Effective:
    """The rulebook at ``path`` merged over its bases. ``_extended`` is, for a
    base, its name as the fork's `extends` gives it and where that stands."""
    text = read_text(path, limit=MAX_RULEBOOK_BYTES)
    if _extended and not _RULEBOOK_KEY.search(text):
        # Before it is parsed: the parser's own messages (a repeated key, a tag)
        # would repeat what another kind of file holds, a case's details say.
        target, where = _extended
        raise RulebookError(f"the base rulebook `{target}` is not a rulebook (a YAML mapping of sections)", where)
    return effective(parse_yaml(text, path), path, os.path.dirname(path), real=os.path.realpath(path),
                     _chain=_chain)


def effective(data: Any, name: str, folder: str | None, *, real: str | None = None,
              _chain: tuple = ()) -> Effective:
    """``data`` (a parsed rulebook, ``name`` in messages) merged over the bases
    its `extends` names, which are found in ``folder``. ``real`` is the real
    path of its own file, when it has one (so that a cycle can be seen)."""
    if not isinstance(data, YMap) or "extends" not in data:
        origins = {}
        if isinstance(data, YMap):
            for section in element_sections():
                if isinstance(data.get(section), dict):
                    origins.update({(section, n): [name] for n in data[section]})
        return Effective(data, [name], origins, folder=folder)
    here = loc_of(data, "extends") or Location(name)
    target = data["extends"]
    if not isinstance(target, str) or not target.strip():
        raise RulebookError("`extends` must be the path of the base rulebook", here)
    if folder is None:
        raise RulebookError("`extends` needs the folder the base rulebook is in: give `base_dir` when "
                            "loading a rulebook from text or a mapping", here.at("extends"))
    base = _load_base(target, folder, _chain + ((real,) if real else ()), here.at("extends"))
    merged = _merge_top(base.data, data)
    origins = {k: list(v) for k, v in base.origins.items()}
    for section in element_sections():
        for key in (data.get(section) or {}) if isinstance(data.get(section), dict) else ():
            origins.setdefault((section, key), []).append(name)
    _remove(merged, data, origins, name)
    return Effective(merged, base.files + [name], origins, base, folder)


def _load_base(target: str, folder: str, chain: tuple, where: Location) -> Effective:
    """The base rulebook a fork's `extends: target` names, itself merged over its bases."""
    base_path = os.path.normpath(os.path.join(folder, target))
    if os.path.realpath(base_path) in chain:
        names = " → ".join(os.path.basename(p) for p in chain + (os.path.realpath(base_path),))
        raise RulebookError(f"`extends` makes a cycle: {names}", where)
    if len(chain) > MAX_EXTENDS_DEPTH:
        raise RulebookError(f"`extends` chains more than {MAX_EXTENDS_DEPTH} rulebooks deep", where)
    _check_base_file(base_path, target, where)
    base = load_effective(base_path, chain, (target, where))
    if not isinstance(base.data, YMap):
        raise RulebookError(f"the base rulebook `{target}` is not a rulebook (a YAML mapping of sections)", where)
    if not isinstance(base.data.get("rulebook"), dict):
        # Checked before the merge, so that nothing of another kind of file (a case
        # file, say) is validated and repeated in an error message.
        raise RulebookError(f"the base rulebook `{target}` has no `rulebook:` section, so it is not a "
                            "rulebook", where)
    return base


#: A rulebook's `rulebook:` (or a fork's `extends:`) section, in block or flow style, or as JSON.
_RULEBOOK_KEY = re.compile(r"""(^|[{,\s])["']?(rulebook|extends)["']?[ \t]*:""", re.MULTILINE)


def _check_base_file(base_path: str, target: str, where: Location) -> None:
    """Only a regular file within the size limit is read as a base rulebook.

    A directory, a FIFO (which would block the read forever) or a device is
    refused at the ``extends`` line, before anything is opened.
    """
    try:
        info = os.stat(base_path)
    except (OSError, ValueError):  # ValueError: a NUL byte in the path
        raise RulebookError(f"the base rulebook `{target}` does not exist", where) from None
    if not stat.S_ISREG(info.st_mode):
        raise RulebookError(f"the base rulebook `{target}` is not a regular file", where)
    if info.st_size > MAX_RULEBOOK_BYTES:
        raise RulebookError(f"the base rulebook `{target}` is {info.st_size:,} bytes; "
                            f"the limit is {MAX_RULEBOOK_BYTES:,} bytes", where)


def _merge_top(base: YMap, child: YMap) -> YMap:
    out = _copy(base)
    out.loc = child.loc
    out.pop("tests", None)  # a fork carries its own tests
    for key, value in child.items():
        if key in ("extends", "remove"):
            continue
        if key == "tests":
            _put(out, key, value, child)
        elif key in out:
            _put(out, key, merge(out[key], value), child)
        else:
            _put(out, key, value, child)
    return out


def merge(base, child):
    """``child`` over ``base``: mappings key by key, lists whole (or by number)."""
    if isinstance(base, dict) and isinstance(child, dict):
        out = _copy(base)
        for key, value in child.items():
            _put(out, key, merge(out[key], value) if key in out else value, child)
        return out
    if isinstance(base, list) and isinstance(child, YMap):
        out = YList(base)
        out.loc, out.item_locs = getattr(base, "loc", child.loc), list(getattr(base, "item_locs", []))
        for key, value in child.items():
            if not isinstance(key, int) or not 1 <= key <= len(out):
                raise RulebookError(
                    f"`{key}` is not an item number of this list (1 to {len(out)})",
                    loc_of(child, key, value=False))
            out[key - 1] = merge(out[key - 1], value)
            if key - 1 < len(out.item_locs):
                out.item_locs[key - 1] = loc_of(child, key, value=False)
        return out
    return child


def _copy(node: YMap) -> YMap:
    out = YMap(node)
    out.loc = getattr(node, "loc", Location())
    out.key_locs = dict(getattr(node, "key_locs", {}))
    out.value_locs = dict(getattr(node, "value_locs", {}))
    return out


def _put(out: YMap, key, value, source: YMap) -> None:
    out[key] = value
    out.key_locs[key] = loc_of(source, key, value=False)
    out.value_locs[key] = loc_of(source, key)


def _remove(merged: YMap, child: YMap, origins: dict, path: str) -> None:
    removals = child.get("remove") or []
    if not isinstance(removals, list):
        raise RulebookError("`remove` must be a list of `section.name` entries", loc_of(child, "remove"))
    for i, entry in enumerate(removals):
        where = loc_of(removals, i) or Location(path)
        section, _, name = str(entry).partition(".")
        if section not in element_sections() or not name:
            raise RulebookError(f"`{entry}` is not `section.name` (sections: {', '.join(element_sections())})",
                                where)
        elements = merged.get(section)
        if not isinstance(elements, dict) or name not in elements:
            have = list(elements) if isinstance(elements, dict) else []
            raise RulebookError(f"cannot remove `{entry}`: no such element{suggest(name, have)}", where)
        elements = merged[section] = _copy(elements)  # never change the base's own data
        del elements[name]
        origins.pop((section, name), None)
