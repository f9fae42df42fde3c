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
import itertools

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .diff import SECTIONS, diff
from ..engine.values import words
from ..engine.validate import plain


def _env() -> Environment:
    env = Environment(loader=PackageLoader("policyengine.change", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["show"] = _show
    return env


def _show(value) -> str:
    return words(value, brackets=False)


def _matrix_tables(spec: dict) -> list[dict]:
    """A matrix as tables of rows × columns, one per value of any further axes."""
    by = spec["by"]
    cells = spec["cells"]
    if len(by) == 1:
        return [{"caption": "", "row_axis": by[0], "col_axis": "", "columns": [""],
                 "rows": [(k, [v]) for k, v in cells.items()]}]
    rest = by[2:]

    def descend(node, keys):
        for key in keys:
            node = node[key]
        return node

    first_row = next(iter(cells.values()))
    columns = list(first_row)
    tables = []
    rest_values = []
    node = first_row[columns[0]]
    for _ in rest:
        rest_values.append(list(node))
        node = node[rest_values[-1][0]]
    for combo in itertools.product(*rest_values) if rest else [()]:
        caption = " × ".join(f"{axis} {_show(k)}" for axis, k in zip(rest, combo))
        rows = [(r, [descend(cells[r][c], combo) for c in columns]) for r in cells]
        tables.append({"caption": caption, "row_axis": by[0], "col_axis": by[1],
                       "columns": columns, "rows": rows})
    return tables


def build_context(book) -> dict:
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
        "matrix_tables": {name: _matrix_tables(spec) for name, spec in (data.get("matrices") or {}).items()},
    }


def render_docs(book, fmt: str = "html") -> str:
    template = _env().get_template(f"policy.{fmt}.j2")
    return template.render(build_context(book))
