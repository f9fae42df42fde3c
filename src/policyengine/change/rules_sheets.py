"""A rulebook file's tables, matrices and thresholds laid out as sheets, cell by cell.

The layout is worked out from the file's own YAML nodes (not the merged
rulebook: a fork's sheets hold what the fork itself writes), so every cell
that can be edited is one scalar of the file, with its exact place in the
text. Export writes these cells; import works out the same layout again and
compares the workbook with it cell by cell. Each sheet is laid out as the
guidance lays it out:

- first, each element-wide value beside its label (``source``, ``because``,
  ``hit``, ``when``, ``of``, ``at_least``, ``otherwise``), then a blank row;
- a table: a header (one column per input and per output, then ``because``
  and ``source``) and one row per table row;
- a matrix: its first axis down and its last across (more axes: one column
  each before the grid);
- a threshold: its bands, ``from``, ``to``, ``value``, ``because``, ``source``.

Headers, labels and a matrix's axis values are fixed: renaming them is a
structural change, made in the YAML.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, ScalarNode, SequenceNode

#: The sections laid out, and what one element of each is called.
SECTIONS = {"tables": "table", "matrices": "matrix", "thresholds": "threshold"}
#: The sheet that says what may be edited; it is always first.
READ_ME = "Read me"
#: Why a cell cannot be edited here.
HEADER = "a column's name is changed in the rulebook's YAML"
LABEL = "a label is fixed"
AXIS = "a matrix's row and column values are changed in the rulebook's YAML"
ABSENT = "the rulebook has no value here, and one is added in its YAML"
LIST = "the value is a YAML list, changed in the rulebook's YAML"


@dataclass
class Cell:
    """What one cell shows and, if it can be edited, the scalar it writes to."""

    text: str
    node: ScalarNode | None = None
    flow: bool = False
    fixed: str = ""          # why it cannot be edited (for a cell with no node)
    kind: str = "value"      # header, label, axis or value: how it is styled
    column: str = ""         # the name its drop-down's values are found by


@dataclass
class SheetPlan:
    """One sheet: the element it shows and its cells by (row, column), 0-based."""

    name: str
    section: str
    element: str
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    header: int | None = None   # the row of the grid's header
    fixed_columns: int = 0      # columns left of the grid's values (frozen with the header)
    lines: tuple[int, int] = (0, 0)  # the element's first and last line in the file

    @property
    def title(self) -> str:
        return f"{SECTIONS[self.section]} {self.element}"


def plan(root: Any) -> tuple[list[SheetPlan], list[str]]:
    """The sheets of a rulebook file's node tree, and the elements left out (with why)."""
    sheets: list[SheetPlan] = []
    left: list[str] = []
    names = {READ_ME.lower()}
    for section, noun in SECTIONS.items():
        elements = _get(root, section)
        if not isinstance(elements, MappingNode):
            continue
        for key, node in elements.value:
            sheet = SheetPlan(_sheet_name(str(key.value), names), section, str(key.value),
                              lines=(key.start_mark.line + 1, node.end_mark.line + 1))
            try:
                LAYOUTS[section](sheet, node)
            except _Unlaid as why:
                left.append(f"{noun} {key.value} ({why})")
                continue
            names.add(sheet.name.lower())
            sheets.append(sheet)
    return sheets, left


class _Unlaid(Exception):
    """An element whose YAML does not have the shape a sheet can show."""


def _table(sheet: SheetPlan, node: Any) -> None:
    row = _fields(sheet, node, {"inputs", "outputs", "values", "rows"})
    inputs = [_text(n) for n in _items(_get(node, "inputs"), "its inputs are not a list")]
    outputs = _get(node, "outputs")
    names = ([_text(n) for n in outputs.value] if isinstance(outputs, SequenceNode) else
             [_text(k) for k, _ in outputs.value] if isinstance(outputs, MappingNode) else [sheet.element])
    header = [*inputs, *names, "because", "source"]
    sheet.header, sheet.fixed_columns = row, 0
    for col, name in enumerate(header):
        sheet.cells[row, col] = Cell(name, fixed=HEADER, kind="header")
    becauses = _get(node, "because")
    for i, item in enumerate(_items(_get(node, "rows"), "its rows are not a list"), start=1):
        because, source, notes = None, None, becauses
        if isinstance(item, MappingNode):
            because, source, notes, item = _get(item, "because"), _get(item, "source"), item, _get(item, "row")
        elif isinstance(becauses, SequenceNode) and i <= len(becauses.value):
            because = becauses.value[i - 1]
        cells = _items(item, f"its row {i} is not a list of cells")
        if len(cells) != len(inputs) + len(names):
            raise _Unlaid(f"its row {i} has {len(cells)} cells for {len(inputs) + len(names)} columns")
        for col, (cell, column) in enumerate(zip(cells, [*(f"in:{n}" for n in inputs), *names])):
            sheet.cells[row + i, col] = _value(cell, _flow(item), column)
        sheet.cells[row + i, len(cells)] = _value(because, _flow(notes))
        sheet.cells[row + i, len(cells) + 1] = _value(source, _flow(notes))


def _matrix(sheet: SheetPlan, node: Any) -> None:
    row = _fields(sheet, node, {"by", "cells"})
    by = [_text(n) for n in _items(_get(node, "by"), "its axes (`by`) are not a list")]
    cells = _get(node, "cells")
    if not by or not isinstance(cells, MappingNode):
        raise _Unlaid("its cells are not a mapping")
    sheet.header, sheet.fixed_columns = row, max(len(by) - 1, 1)
    if len(by) == 1:
        lines = [((key,), {"": value}, _flow(cells)) for key, value in cells.value]
        across, names = [""], [by[0], sheet.element]
    else:
        lines = [(keys, {_text(k): v for k, v in leaf.value}, _flow(leaf))
                 for keys, leaf in _leaves(cells, len(by) - 1)]
        across = list(dict.fromkeys(name for _, leaf, _ in lines for name in leaf))
        names = [*by[:-2], f"{by[-2]} ↓  {by[-1]} →"]
    for col, name in enumerate(names):
        sheet.cells[row, col] = Cell(name, fixed=HEADER, kind="header")
    lead = len(by) - 1 or 1
    if len(by) > 1:
        for col, name in enumerate(across):
            sheet.cells[row, lead + col] = Cell(name, fixed=AXIS, kind="header")
    for i, (keys, leaf, flow) in enumerate(lines, start=1):
        for col, key in enumerate(keys):
            sheet.cells[row + i, col] = Cell(_text(key), fixed=AXIS, kind="axis")
        for col, name in enumerate(across):
            sheet.cells[row + i, lead + col] = _value(leaf.get(name), flow, sheet.element)


def _leaves(node: Any, depth: int, keys: tuple = ()):
    """The mappings ``depth`` levels down, each with the keys on the way to it."""
    if not isinstance(node, MappingNode):
        raise _Unlaid("its cells do not have one level per axis")
    if depth == 0:
        yield keys, node
        return
    for key, below in node.value:
        yield from _leaves(below, depth - 1, (*keys, key))


def _threshold(sheet: SheetPlan, node: Any) -> None:
    row = _fields(sheet, node, {"bands"})
    bands = _get(node, "bands")
    if bands is None:
        return
    header = ["from", "to", "value", "because", "source"]
    sheet.header = row
    for col, name in enumerate(header):
        sheet.cells[row, col] = Cell(name, fixed=HEADER, kind="header")
    for i, band in enumerate(_items(bands, "its bands are not a list"), start=1):
        if not isinstance(band, MappingNode):
            raise _Unlaid(f"its band {i} is not a mapping")
        for col, key in enumerate(header):
            sheet.cells[row + i, col] = _value(_get(band, key), band.flow_style,
                                               sheet.element if key == "value" else "")


LAYOUTS = {"tables": _table, "matrices": _matrix, "thresholds": _threshold}
#: Values beside their labels above the grid, in the file's order; `otherwise:` may be a mapping.
_FIELD_PARTS = ("value", "because", "source")


def _fields(sheet: SheetPlan, node: Any, grid: set[str]) -> int:
    """The element-wide scalars, label and value, one row each; the row the grid's header goes on."""
    if not isinstance(node, MappingNode):
        raise _Unlaid("it is not a mapping")
    row = 0
    for key, value in node.value:
        name = _text(key)
        if name in grid:
            continue
        if isinstance(value, MappingNode) and name == "otherwise":
            parts = [(f"otherwise {part}", _get(value, part)) for part in _FIELD_PARTS if _get(value, part)]
        elif isinstance(value, ScalarNode):
            parts = [(name, value)]
        else:
            continue  # a table's list of becauses is shown row by row
        for label, scalar in parts:
            sheet.cells[row, 0] = Cell(label, fixed=LABEL, kind="label")
            column = {"hit": "hit", "aggregate": "aggregate", "otherwise": sheet.element,
                      "otherwise value": sheet.element}.get(label, "")
            sheet.cells[row, 1] = _value(scalar, _flow(node) or _flow(value), column)
            row += 1
    return row + 1 if row else 0


def _value(node: Any, flow: bool, column: str = "") -> Cell:
    if node is None:
        return Cell("", fixed=ABSENT)
    if isinstance(node, ScalarNode):
        return Cell(node.value, node, bool(flow), column=column)
    if isinstance(node, SequenceNode) and all(isinstance(n, ScalarNode) for n in node.value):
        return Cell(", ".join(n.value for n in node.value), fixed=LIST)
    raise _Unlaid("a cell holds a mapping or a nested list")


def _get(node: Any, key: str) -> Any:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return v
    return None


def _items(node: Any, why: str) -> list:
    if not isinstance(node, SequenceNode):
        raise _Unlaid(why)
    return node.value


def _text(node: Any) -> str:
    if not isinstance(node, ScalarNode):
        raise _Unlaid("a name is not plain text")
    return str(node.value)


def _flow(node: Any) -> bool:
    return bool(getattr(node, "flow_style", False))


def _sheet_name(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (at most 31 characters, unique whatever the case)."""
    base = "".join(c for c in name if c not in "[]:*?/\\'")[:31] or "element"
    out, n = base, 1
    while out.lower() in taken:
        n += 1
        out = f"{base[:31 - len(str(n)) - 1]}~{n}"
    return out


def reference(row: int, col: int) -> str:
    """A cell's A1 reference: (3, 2) → C4."""
    letters, col = "", col + 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"
