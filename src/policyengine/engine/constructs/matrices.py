"""Matrices: a value looked up by a combination of other values.

    matrices:
      rag:
        by: [support, risk]
        cells: {none: {high: red, low: amber}, full: {high: amber, low: green}}

Each axis is an enum or boolean input, or an element with a fixed set of
values; every combination must have its cell. A ``when:`` limits where the
matrix applies: elsewhere it is null (not applicable).
"""
from __future__ import annotations

import itertools
import operator
from typing import Any

from .. import english
from ..labels import Labels
from ..sqlvalues import SqlValue, all_of, case, const, first_fault, is_null, lit, negate
from .base import Construct, Context, Element, Reason, applies_when, element, reason_of, reason_points, \
    reason_reached, sql_applies_when, unused, word

#: Most axes a matrix may have (its cells nest one level per axis).
MAX_MATRIX_AXES = 16
#: Missing cells of one matrix named one by one; the rest are counted.
MAX_CELLS_SHOWN = 10


def compile_matrix(name: str, spec: dict, ctx: Context) -> Element:
    by = list(spec["by"])
    axes = _axes(name, by, ctx)
    if axes is None:
        return element("matrices", name, spec, (name,), by, ctx.loc(key=True), unused)
    cells = _Cells(name, spec, by, axes, ctx)
    cells.walk(spec["cells"], (), ["cells"])
    cells.count_the_rest()
    _extra_keys(spec["cells"], axes, by, ctx.at("cells"), [])
    table = cells.table
    missing = Reason("not known: an axis of the matrix is missing", spec.get("source"), ctx.loc(key=True), "null")
    key_of = operator.itemgetter(*by) if len(by) > 1 else (lambda v, _a=by[0]: (v[_a],))

    def run(v: dict) -> Reason:
        hit = table.get(key_of(v))
        if hit is None:
            v[name] = None
            return missing
        v[name] = hit[0]
        return hit[1]

    def describe(v: dict, r: Reason, labels: Labels) -> str:
        if r is missing:
            return r.because
        axes = english.either([_axis(labels, a, v[a]) for a in by], "and")
        said = f"{axes}, so {english.name(labels, name)} is {english.value(labels, name, v[name])}"
        return f"{said}: {r.because}" if r.because else said

    values = tuple(dict.fromkeys(x[0] for x in table.values()))
    return applies_when(element("matrices", name, spec, (name,), by, ctx.loc(key=True), run if cells.ok else unused,
                                tuple(r for _, r in table.values()), domain=values, describe=describe), spec, ctx)


def _axis(labels: Labels, axis: str, value: Any) -> str:
    """One axis's value in words: "the risk of harm is High", or a yes/no axis by its label."""
    if isinstance(value, bool):
        said = english.in_sentence(labels.of(axis))
        return said if value else f"not {said}"
    return f"{english.name(labels, axis)} is {english.value(labels, axis, value)}"
def sql_matrix(name: str, spec: dict, ctx) -> dict:
    """The SQL facet: the cell the axes' values name, null when an axis is null."""
    axes = [ctx.value(a) for a in spec["by"]]
    whens, kinds, seen = [], set(), []
    for combo, cell in _leaves(spec["cells"], len(axes)):
        tests = [negate(is_null(axis)) if axis.nullable else None for axis in axes]
        match = [a.sql.copy().eq(lit(k)) for a, k in zip(axes, combo)]
        whens.append((all_of([t for t in tests if t is not None] + match), lit(cell)))
        kinds.add(const(cell).kind)
        seen.append(cell)
    if len(kinds - {"null"}) > 1:
        raise ctx.refuse("cells of different kinds have no SQL form", "cells")
    kind = (kinds - {"null"} or {"null"}).pop()
    value = SqlValue(kind, case(whens), first_fault(*(a.fault for a in axes)), choices=tuple(dict.fromkeys(seen)))
    return sql_applies_when(spec, ctx, {name: value})


def _leaves(node: Any, depth: int, combo: tuple = ()):
    """Each cell as (its combination of axis keys, its value)."""
    if depth == 0:
        yield combo, node
        return
    for key, below in node.items():
        yield from _leaves(below, depth - 1, combo + (key,))


def _axes(name: str, by: list, ctx: Context) -> list[tuple] | None:
    """Each axis's values (without none), or None when the matrix cannot be compiled."""
    axes = []
    for i, axis in enumerate(by):
        domain = ctx.domains.get(axis)
        if domain is None:
            ctx.fail(f"matrix axis `{axis}` must be an enum or boolean input, or an element with "
                     f"a fixed set of values{ctx.suggest(axis, ctx.domains)}", "by", i)
            return None
        axes.append(tuple(d for d in domain if d is not None))
    if len(by) > MAX_MATRIX_AXES:
        ctx.fail(f"matrix `{name}` has {len(by)} axes; the limit is {MAX_MATRIX_AXES}", "by")
        return None
    return axes


class _Cells:
    """Every cell of the matrix by its combination of axis values, and whether all are there.

    Walks the cells as written rather than every combination of the axes, so
    the work is bounded by the file: 8 axes of 10 values with a row missing
    counts its 10⁷ missing cells without listing them (the first few are named).
    """

    def __init__(self, name: str, spec: dict, by: list, axes: list[tuple], ctx: Context) -> None:
        self.name, self.spec, self.by, self.axes, self.ctx = name, spec, by, axes, ctx
        self.table: dict[tuple, tuple[Any, Reason]] = {}
        self.index = [{value: i for i, value in enumerate(axis)} for axis in axes]
        self.below = [1] * (len(axes) + 1)  # how many cells lie under one key at each depth
        for depth in range(len(axes) - 1, -1, -1):
            self.below[depth] = self.below[depth + 1] * len(axes[depth])
        self.missing = self.shown = 0
        self.ok = True

    def walk(self, node: Any, combo: tuple, path: list) -> None:
        depth = len(combo)
        if depth == len(self.axes):
            self._cell(node, combo, path)
            return
        if not isinstance(node, dict):
            self.ctx.fail(f"matrix `{self.name}`: expected a row of cells for "
                          f"{' × '.join(map(str, combo))}", *path)
            self.ok = False
            return
        axis = self.axes[depth]
        present = sorted({self.index[depth][k] for k in node if k in self.index[depth]})
        gaps = len(axis) - len(present)
        if gaps:
            self.ok = False
            self.missing += gaps * self.below[depth + 1]
            for key in axis:  # only while there is room to name one more
                if self.shown >= MAX_CELLS_SHOWN:
                    break
                if key not in node:
                    self._name_missing(combo + (key,), path)
        for i in present:
            key = axis[i]
            self.walk(node[key], combo + (key,), path + [key])

    def _cell(self, node: Any, combo: tuple, path: list) -> None:
        if isinstance(node, dict):
            self.ctx.fail(f"matrix `{self.name}`: the cell for {_cell_label(self.by, combo)} must be a single "
                          "value", *path)
            self.ok = False
            return
        reason = reason_of({"because": self.spec.get("because")}, self.spec, self.ctx.loc(*path),
                           f"cell {_cell_label(self.by, combo)}")
        self.table[combo] = (node, reason)

    def _name_missing(self, combo: tuple, path: list) -> None:
        # The first few missing cells under ``combo``, by their full combination.
        room = MAX_CELLS_SHOWN - self.shown
        for rest in itertools.islice(itertools.product(*self.axes[len(combo):]), room):
            self.ctx.fail(f"matrix `{self.name}` has no cell for {_cell_label(self.by, combo + rest)}",
                          *path, key=True)
            self.shown += 1

    def count_the_rest(self) -> None:
        if self.missing > self.shown:
            self.ctx.fail(f"matrix `{self.name}`: … and {self.missing - self.shown:,} more missing cells",
                          "cells", key=True)


def _cell_label(by: list, combo: tuple) -> str:
    return " × ".join(f"{a} {word(k)}" for a, k in zip(by, combo))


def _extra_keys(node: Any, axes: list, by: list, ctx: Context, path: list) -> None:
    if not axes or not isinstance(node, dict):
        return
    for key in node:
        if key not in axes[0]:
            ctx.fail(f"`{key}` is not a value of `{by[0]}`{ctx.suggest(str(key), map(str, axes[0]))}",
                     *path, key, key=True)
        else:
            _extra_keys(node[key], axes[1:], by[1:], ctx, path + [key])


def tables(spec: dict) -> list[dict]:
    """A matrix as tables of rows × columns, one per value of any further axes (for the policy document)."""
    by = spec["by"]
    cells = spec["cells"]
    if len(by) == 1:
        return [{"caption": "", "given": [], "row_axis": by[0], "col_axis": "", "columns": [""],
                 "rows": [(k, [v]) for k, v in cells.items()]}]
    rest = by[2:]

    def descend(node: Any, keys: tuple) -> Any:
        for key in keys:
            node = node[key]
        return node

    first_row = next(iter(cells.values()))
    columns = list(first_row)
    rest_values = []
    node = first_row[columns[0]]
    for _ in rest:
        rest_values.append(list(node))
        node = node[rest_values[-1][0]]
    out = []
    for combo in itertools.product(*rest_values) if rest else [()]:
        caption = " × ".join(f"{axis} {word(k)}" for axis, k in zip(rest, combo))
        rows = [(r, [descend(cells[r][c], combo) for c in columns]) for r in cells]
        out.append({"caption": caption, "given": list(zip(rest, combo)), "row_axis": by[0], "col_axis": by[1],
                    "columns": columns, "rows": rows})
    return out


def fork_example(name: str, spec: dict) -> list[str]:
    row = next(iter(spec["cells"]))
    col = next(iter(spec["cells"][row])) if isinstance(spec["cells"][row], dict) else None
    cell = f"{{{row}: {{{col}: ...}}}}" if col is not None else f"{{{row}: ...}}"
    return ["matrices:", f"  {name}: {{cells: {cell}}}        # one matrix cell"]


SUMMARY_MD = r'''
## Matrices

{% for name, m in data.matrices.items() %}
### {{ name | label }}{{ mark("matrices", name) }}

{{ m.get("because", "") | mentions }} [{{ m.source }}]{% if m.get("when") %} Applies only when {{ m.when | english }}; otherwise not applicable.{% endif %}


{% for table in construct.details(m) %}
{% if table.given %}*{% for axis, key in table.given %}{{ axis | label }}: {{ key | value(axis) }}{{ ", " if not loop.last }}{% endfor %}*

{% endif %}
| {{ table.row_axis | label }}{% if table.col_axis %} \ {{ table.col_axis | label }}{% endif %} |{% for c in table.columns %} {{ c | value(table.col_axis) if table.col_axis else "" }} |{% endfor %}

|---|{% for c in table.columns %}---|{% endfor %}

{% for row, values in table.rows %}
| **{{ row | value(table.row_axis) }}** |{% for v in values %} {{ v | value(name) }} |{% endfor %}

{% endfor %}

{% endfor %}
{% endfor %}
'''

SUMMARY_HTML = r'''<h2>Matrices</h2>
{% for name, m in data.matrices.items() %}
<h3>{{ name | label }}{{ mark("matrices", name) }}</h3>
<p>{{ m.get("because", "") | mentions }}{{ cite(m.source) }}{% if m.get("when") %} Applies only when {{ m.when | english }}; otherwise not applicable.{% endif %}</p>
{% for table in construct.details(m) %}
<table>
{% if table.given %}<caption>{% for axis, key in table.given %}{{ axis | label }}: {{ key | value(axis) }}{{ ", " if not loop.last }}{% endfor %}</caption>{% endif %}
<thead><tr><th>{{ table.row_axis | label }}{% if table.col_axis %} \ {{ table.col_axis | label }}{% endif %}</th>{% for c in table.columns %}<th>{{ c | value(table.col_axis) if table.col_axis else "" }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row, values in table.rows %}<tr><th>{{ row | value(table.row_axis) }}</th>{% for v in values %}<td>{{ v | value(name) }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
{% endfor %}
'''

CONSTRUCT = Construct(
    section="matrices", noun="matrix", schema="#/$defs/matrix", compile=compile_matrix, sql=sql_matrix,
    summary_md=SUMMARY_MD, summary_html=SUMMARY_HTML, points=reason_points, reached=reason_reached,
    compiles_late=True, fork_example=fork_example, guide_rank=2, details=tables,
)
