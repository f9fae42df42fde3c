"""A rendered Markdown document read as blocks of styled text.

markdown-it-py (CommonMark, raw HTML off) parses it; the HTML writer uses its
own renderer, and the Word and plain-text writers walk the blocks made here.
Every line break in the source is kept as a line break (``breaks``): a
letter's lines are written one per line, as its author laid them out.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt

#: Deepest the parser nests blocks and inline markup (its own guard against deep nesting).
MAX_NESTING = 20


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "maxNesting": MAX_NESTING})
    return md


def to_html(source: str) -> str:
    """The Markdown as an HTML fragment (no raw HTML passes through)."""
    return parser().render(source)


@dataclass
class Run:
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False


@dataclass
class Block:
    """A paragraph (``p``), heading (``h``, ``level`` 1-6), list item (``li``, ``level`` its
    depth, ``number`` in an ordered list), quoted paragraph (``quote``), code or rule (``hr``)."""

    kind: str
    runs: list[Run] = field(default_factory=list)
    level: int = 0
    number: int | None = None
    first: bool = False  # the first item of a list that is not inside another

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


def blocks(source: str) -> list[Block]:
    """The document's blocks, in order."""
    out: list[Block] = []
    lists: list[list] = []  # for each open list: [ordered, next number]
    quoted = 0
    item: tuple | None = None  # (depth, number, first) of the list item whose first paragraph is next
    for token in parser().parse(source):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            lists.append([kind == "ordered_list_open", int(token.attrGet("start") or 1), True])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open":
            ordered, number, _ = lists[-1]
            item = (len(lists), number if ordered else None, len(lists) == 1 and lists[-1][2])
            lists[-1][1] += 1
            lists[-1][2] = False
        elif kind == "blockquote_open":
            quoted += 1
        elif kind == "blockquote_close":
            quoted -= 1
        elif kind == "heading_open":
            out.append(Block("h", level=int(token.tag[1])))
        elif kind == "paragraph_open":
            if item is not None:
                out.append(Block("li", level=item[0], number=item[1], first=item[2]))
                item = None
            else:
                out.append(Block("quote" if quoted else "p", level=len(lists)))
        elif kind in ("fence", "code_block"):
            out.append(Block("code", [Run(token.content.rstrip("\n"), code=True)], level=len(lists)))
        elif kind == "hr":
            out.append(Block("hr"))
        elif kind == "inline" and out:
            out[-1].runs.extend(_runs(token.children or []))
    return out


def _runs(children) -> list[Run]:
    runs: list[Run] = []
    bold = italic = 0
    href: list[tuple[str, int]] = []
    for child in children:
        kind = child.type
        if kind == "text" and child.content:
            runs.append(Run(child.content, bool(bold), bool(italic)))
        elif kind in ("softbreak", "hardbreak"):
            runs.append(Run("\n"))
        elif kind == "code_inline":
            runs.append(Run(child.content, bool(bold), bool(italic), code=True))
        elif kind in ("strong_open", "strong_close"):
            bold += 1 if kind == "strong_open" else -1
        elif kind in ("em_open", "em_close"):
            italic += 1 if kind == "em_open" else -1
        elif kind == "link_open":  # the template's own link: its text, then where it goes
            href.append((str(child.attrGet("href") or ""), len(runs)))
        elif kind == "link_close" and href:
            url, start = href.pop()
            shown = "".join(run.text for run in runs[start:])
            if url and url not in (shown, f"mailto:{shown}"):
                runs.append(Run(f" ({url})", bool(bold), bool(italic)))
        elif kind == "image":
            runs.append(Run(child.content or "", bool(bold), bool(italic)))
    return runs


def to_text(source: str) -> str:
    """The Markdown as plain text that pastes cleanly into a case system: no Markdown
    syntax, lines kept, paragraphs apart, list items as "•" or "1." lines."""
    lines: list[str] = []
    previous = None
    for block in blocks(source):
        if previous is not None and not (block.kind == previous == "li" and not block.first):
            lines.append("")
        indent = "  " * max(block.level - 1, 0)
        if block.kind == "li":
            marker = "•" if block.number is None else f"{block.number}."
            text = block.text.replace("\n", "\n" + indent + " " * (len(marker) + 1))
            lines.append(f"{indent}{marker} {text}")
        elif block.kind != "hr":
            lines.append(block.text)
        previous = block.kind
    return "\n".join(lines) + "\n" if lines else ""
