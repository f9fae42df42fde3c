"""New values for scalars of a YAML file, written in place with nothing else touched.

Each edited scalar's own span of text (from its composed node's start and end
marks) is replaced; comments, order, layout, quoting and every other value
stay byte for byte. A value keeps its quoting: a quoted one is quoted the same
way again (so text stays text), and a plain one stays plain when YAML reads
the new text back as that same plain scalar (and, for text, as text), and is put
in double quotes when it would not (``>= 18``, ``amber, green`` in a flow list,
``red # x``, ``null`` over a word).
:func:`splice` then checks the result: the file's node tree must be the old
one with only the edited scalars changed, to the values intended.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..engine.load import compose_yaml
from ..errors import PolicyEngineError

STR = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class Edit:
    """A scalar's new value, as text, and whether it stands in a flow collection (``[...]``, ``{...}``)."""

    node: ScalarNode
    text: str
    flow: bool


@dataclass(frozen=True)
class Written:
    """Where an edit landed in the new text: its first line (1-based)."""

    edit: Edit
    line: int


class EditFailed(PolicyEngineError):
    """The rewritten file would not be the old one with only the edited values changed."""

    code = "edit.unsafe"


def replacement(node: ScalarNode, text: str, flow: bool) -> tuple[str, str, str]:
    """The YAML text to write in place of ``node``, and the tag and value YAML reads it back as."""
    if node.style == "'" and "\n" not in text and text.isprintable():
        return "'" + text.replace("'", "''") + "'", STR, text
    if node.style is None:
        plain = _plain(text, flow)
        # Text stays text: ``null``, ``true`` or ``2026-01-01`` typed over a plain word
        # would otherwise be read back as no value, a yes/no or a date.
        if plain is not None and (node.tag != STR or plain[0] == STR):
            return text, *plain
    return double_quoted(text), STR, text


def double_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar: every character YAML might not take as
    it is (a control character, a line or paragraph separator) written as an escape."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\n\t":
            out.append("\\n" if ch == "\n" else "\\t")
        elif ch.isprintable() and ch not in "\x85\u2028\u2029\ufeff":
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _plain(text: str, flow: bool) -> tuple[str, str] | None:
    """The tag and value of ``text`` written plain, if YAML reads it back whole as one plain scalar."""
    if not text or text != text.strip() or not text.isprintable():
        return None
    try:
        root = compose_yaml(f"[{text}]\n" if flow else f"k: {text}\n")
    except PolicyEngineError:
        return None
    if flow and isinstance(root, SequenceNode) and len(root.value) == 1:
        found = root.value[0]
    elif not flow and isinstance(root, MappingNode) and len(root.value) == 1:
        found = root.value[0][1]
    else:
        return None
    if not isinstance(found, ScalarNode) or found.style is not None or found.value != text:
        return None
    return found.tag, found.value


def splice(text: str, root: Any, edits: list[Edit], filename: str) -> tuple[str, list[Written]]:
    """``text`` with each edit's scalar replaced; refused (EditFailed) unless the new
    text's nodes are the old ones with exactly the edited scalars changed as intended."""
    expected: dict[int, tuple[str, str]] = {}
    pieces, last, where = [], 0, []
    for edit in sorted(edits, key=lambda e: e.node.start_mark.index):
        start, end = edit.node.start_mark.index, edit.node.end_mark.index
        new, tag, value = replacement(edit.node, edit.text, edit.flow)
        if edit.node.style in ("|", ">"):  # a block scalar's span takes in its line breaks: keep them
            old = text[start:end]
            new += old[len(old.rstrip()):]
        expected[id(edit.node)] = (tag, value)
        pieces.append(text[last:start])
        where.append((edit, sum(len(p) for p in pieces)))
        pieces.append(new)
        last = end
    pieces.append(text[last:])
    out = "".join(pieces)
    _check(root, compose_yaml(out, filename), expected, filename)
    return out, [Written(edit, out.count("\n", 0, at) + 1) for edit, at in where]


def _check(old: Any, new: Any, expected: dict[int, tuple[str, str]], filename: str) -> None:
    before, after = list(_walk(old)), list(_walk(new))
    if len(before) != len(after):
        raise EditFailed("the edits would change the rulebook's shape, not only its values; nothing was written")
    for a, b in zip(before, after):
        want = expected.get(id(a), (a.tag, a.value)) if isinstance(a, ScalarNode) else None
        if type(a) is not type(b) or (want is not None and want != (b.tag, b.value)):
            raise EditFailed(f"an edit would change more than its own value (at line {b.start_mark.line + 1} of "
                             f"{filename}); nothing was written")


def _walk(node: Any):
    yield node
    if isinstance(node, SequenceNode):
        for item in node.value:
            yield from _walk(item)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield from _walk(key)
            yield from _walk(value)
