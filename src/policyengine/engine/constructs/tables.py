"""Decision tables, as DMN has them: input columns, rows of simple tests, a hit policy.

    tables:
      escalate_to_ssm:
        hit: first
        inputs: [rag, on_tray_over_a_month, increased_risk]
        rows:
          - [red, true, -, true]     # one cell per input, then one per output; "-" is any value
          - [-, -, true, true]
          - [-, -, -, false]
        because: [a red case on the tray over a month, the manager believes the risk has increased, neither]
        source: pwt When to escalate

The table's name is what it decides. Cells are DMN's simple unary tests
(``unary.py``). Hit policies, with DMN's meaning: ``unique`` (the default: one
row at most applies), ``any`` (rows that apply agree), ``priority`` (the
applying row whose output comes first in the output's ``values``), ``first``,
and those giving a list: ``rule_order``, ``output_order``, ``collect`` (with
``aggregate``: sum, min, max or count). Several ``outputs`` give a mapping of
output name to value. Single-answer tables say what holds when no row applies
(``otherwise``), unless the rulebook's own check shows a row always applies.
Gaps, overlaps and rows that can never apply are reported at the row's line
(``table_checks.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .. import english
from ..expressions import ExprFault
from ..labels import Labels
from .base import Construct, Context, Element, Reason, element, unused, word
from .table_checks import check_table
from ..sqlvalues import SqlValue, all_of, any_of, case, const, first_fault, lit, negate
from .unary import Cell, CellError, in_words, literal, number, parse_cell, sql_test

SINGLE = ("unique", "any", "priority", "first")
LISTS = ("rule_order", "output_order", "collect")


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    outputs: tuple
    reason: Reason
    texts: tuple = ()  # each input cell as written, for explanations


@dataclass(frozen=True)
class Table:
    name: str
    hit: str
    aggregate: str | None
    columns: tuple  # (label, Expression)
    outputs: tuple[str, ...]
    values: dict    # output -> its values in priority order, or None
    rows: tuple[Row, ...]
    otherwise: tuple | None  # (outputs, reason) when no row applies


def compile_table(name: str, spec: dict, ctx: Context) -> Element:
    table = _read(name, spec, ctx)
    deps = set().union(*(e.names for _, e in table.columns if e is not None))
    if any(e is None for _, e in table.columns) or any(r is None for r in table.rows):
        return element("tables", name, spec, (name,), deps, ctx.loc(key=True), unused)
    check_table(table, ctx)
    run = _runner(table)
    reasons = tuple(r.reason for r in table.rows) + ((table.otherwise[1],) if table.otherwise else ())
    el = element("tables", name, spec, (name,), deps, ctx.loc(key=True), run, reasons, domain=_domain(table),
                 describe=_describer(table))
    el.combined = run.combined  # type: ignore[attr-defined]  # coverage of rows that apply together
    return el


def sql_table(name: str, spec: dict, ctx) -> dict:
    """The SQL facet of a single-answer table with one output (``unique``, ``any``,
    ``priority``, ``first``); a table giving a list or several outputs is refused by name."""
    hit = spec.get("hit", "unique")
    if hit not in SINGLE or isinstance(spec.get("outputs"), (dict, list)) and len(spec["outputs"]) > 1:
        raise ctx.refuse(f"decision table `{name}` gives a list or several outputs (hit policy `{hit}`): only "
                         "single-answer tables with one output have a SQL form yet", "hit" if "hit" in spec else "rows")
    columns = [ctx.expr(src, "inputs", i) for i, src in enumerate(spec["inputs"])]
    width = len(columns)
    rows = []
    for i, raw in enumerate(spec["rows"]):
        cells = raw["row"] if isinstance(raw, dict) else raw
        applies = all_of([sql_test(cell, column) for cell, column in zip(cells[:width], columns)])
        out = cells[width:]
        rows.append((i, applies, _output_value(out[0] if isinstance(out, list) else out)))
    ranked = rows
    if hit == "priority":
        order = [_output_value(a) for a in (spec.get("values") or (spec.get("outputs") or {}).get(name) or ())]
        ranked = sorted(rows, key=lambda r: (order.index(r[2]) if r[2] in order else len(order), r[0]))
    otherwise = _output_value(spec["otherwise"]["value"] if isinstance(spec.get("otherwise"), dict)
                              else spec.get("otherwise"))
    kinds = {const(r[2]).kind for r in rows} | {const(otherwise).kind}
    if len(kinds - {"null"}) > 1:
        raise ctx.refuse(f"decision table `{name}` gives values of different kinds", "rows")
    value = case([(applies, lit(out)) for _, applies, out in ranked], lit(otherwise))
    fault = first_fault(*(c.fault for c in columns), _sql_overlap(hit, rows))
    kind = (kinds - {"null"} or {"null"}).pop()
    return {name: SqlValue(kind, value, fault, choices=tuple(dict.fromkeys([r[2] for r in rows] + [otherwise])))}


def _sql_overlap(hit: str, rows: list) -> Any:
    """The row engine's fault when a ``unique`` table has two rows that apply, or an
    ``any`` table two that disagree: named by the first two rows that apply."""
    if hit not in ("unique", "any"):
        return None
    whens = []
    for a, (i, first, out_i) in enumerate(rows):
        for b in range(a + 1, len(rows)):
            j, second, out_j = rows[b]
            if hit == "any" and out_i == out_j and all(out == out_i for _, _, out in rows[a:]):
                continue
            between = [negate(rows[k][1]) for k in range(a + 1, b)]
            before = [negate(rows[k][1]) for k in range(a)]
            labels = f"row {i + 1} and row {j + 1}"
            message = (f"{labels} both apply, but a `unique` table allows one" if hit == "unique" else
                       f"{labels} both apply and give different answers, which an `any` table forbids")
            if hit == "any":
                disagree = [rows[k][1] for k in range(a + 1, len(rows)) if rows[k][2] != out_i]
                whens.append((all_of([*before, first, *between, second, any_of(disagree)]), lit(message)))
            else:
                whens.append((all_of([*before, first, *between, second]), lit(message)))
    return case(whens) if whens else None


def _read(name: str, spec: dict, ctx: Context) -> Table:
    hit, aggregate = spec.get("hit", "unique"), spec.get("aggregate")
    if aggregate and hit != "collect":
        ctx.fail("`aggregate` applies only to a `collect` table", "aggregate", key=True)
    outputs, values = _outputs(name, spec)
    if aggregate and len(outputs) > 1:
        ctx.fail(f"`aggregate: {aggregate}` adds up one output, not {len(outputs)}", "aggregate", key=True)
    if hit in ("priority", "output_order") and all(values[o] is None for o in outputs):
        ctx.fail(f"a `{hit}` table ranks its rows by their outputs' `values`: give the output its values "
                 "in priority order", key=True)
    columns = tuple((str(src), ctx.expr(src, "inputs", i)) for i, src in enumerate(spec["inputs"]))
    because = spec.get("because")
    rows = tuple(_row(raw, i, len(columns), outputs, values, because, spec, ctx) for i, raw in enumerate(spec["rows"]))
    otherwise = None
    if "otherwise" in spec:
        if hit not in SINGLE:
            ctx.fail(f"a `{hit}` table gives every row that applies: `otherwise` does not apply", "otherwise",
                     key=True)
        raw = spec["otherwise"]
        given = raw if isinstance(raw, dict) else {"value": raw}
        outs = _output_cells(given.get("value"), outputs, values, ctx.at("otherwise"))
        reason = Reason(given.get("because") or "no row of the table applies", given.get("source") or
                        spec.get("source"), ctx.loc("otherwise", key=True), "otherwise")
        otherwise = (outs, reason)
    return Table(name, hit, aggregate, columns, outputs, values, rows, otherwise)


def _outputs(name: str, spec: dict) -> tuple[tuple[str, ...], dict]:
    """The output names and each one's values (None where the table gives none)."""
    given = spec.get("outputs")
    if given is None:
        return (name,), {name: spec.get("values")}
    if isinstance(given, dict):
        return tuple(given), {k: v for k, v in given.items()}
    return tuple(given), {k: None for k in given}


def _row(raw: Any, i: int, width: int, outputs: tuple, values: dict, because: Any, spec: dict,
         ctx: Context) -> Row | None:
    here = ctx.at("rows", i)
    cells_raw = raw["row"] if isinstance(raw, dict) else raw
    if len(cells_raw) != width + len(outputs):
        here.fail(f"row {i + 1} has {len(cells_raw)} cells; the table has {width} inputs and {len(outputs)} "
                  f"output{'s' if len(outputs) > 1 else ''}", key=isinstance(raw, dict))
        return None
    cells = []
    for j, text in enumerate(cells_raw[:width]):
        try:
            cells.append(parse_cell(text))
        except CellError as exc:
            (here.at("row") if isinstance(raw, dict) else here).fail(f"row {i + 1}, input `{_column(spec, j)}`: "
                                                                     f"the cell {exc}", j)
            return None
    outs = _output_cells(cells_raw[width:], outputs, values, here)
    why = raw.get("because") if isinstance(raw, dict) else None
    if why is None:
        why = because[i] if isinstance(because, list) and i < len(because) else \
            because if isinstance(because, str) else ""
    source = (raw.get("source") if isinstance(raw, dict) else None) or spec.get("source")
    texts = tuple(word(c) if not isinstance(c, list) else ", ".join(map(word, c)) for c in cells_raw[:width])
    return Row(tuple(cells), outs, Reason(why, source, here.loc(key=True), f"row {i + 1}"), texts)


def _column(spec: dict, j: int) -> str:
    return str(spec["inputs"][j])


def _output_cells(raw: Any, outputs: tuple, values: dict, ctx: Context) -> tuple:
    cells = list(raw) if isinstance(raw, (list, tuple)) and len(outputs) > 1 else [raw]
    if isinstance(raw, (list, tuple)) and len(outputs) == 1 and len(raw) == 1:
        cells = list(raw)
    out = []
    for name, cell in zip(outputs, cells):
        value = _output_value(cell)
        allowed = values.get(name)
        if allowed is not None and value is not None and value not in [_output_value(a) for a in allowed]:
            ctx.fail(f"`{word(value)}` is not one of the values of output `{name}`: "
                     f"{', '.join(map(word, allowed))}{ctx.suggest(str(value), map(str, allowed))}")
        out.append(value)
    return tuple(out)


def _output_value(cell: Any) -> Any:
    """An output cell's value: quoted text unquoted, null, numbers exact; other text as written."""
    if isinstance(cell, str):
        text = cell.strip()
        if text == "null" or (len(text) >= 2 and text[0] == text[-1] == '"') or text in ("true", "false"):
            return literal(text)
        return cell
    return number(cell)


def _runner(table: Table):
    columns = [e for _, e in table.columns]
    rows, name, many = table.rows, table.name, len(table.outputs) > 1
    shape = (lambda outs: dict(zip(table.outputs, outs))) if many else (lambda outs: outs[0])
    combined: dict[int, tuple] = {}
    cache: dict[tuple, Reason] = {}
    nothing = Reason("no row of the table applies", None, table.otherwise[1].loc if table.otherwise else
                     rows[0].reason.loc if rows else None, "no row")

    def together(found: list[Row]) -> Reason:
        key = tuple(id(r) for r in found)
        if key not in cache:
            reason = Reason("; ".join(r.reason.because for r in found if r.reason.because),
                            found[0].reason.source, found[0].reason.loc,
                            "rows " + ", ".join(r.reason.label.removeprefix("row ") for r in found))
            cache[key] = reason
            combined[id(reason)] = tuple(r.reason for r in found)
        return cache[key]

    ranks = {id(row): _rank(table, row) for row in rows}  # fixed by the rows: worked out once
    rank = lambda row: ranks[id(row)]  # noqa: E731

    def run(v: dict) -> Reason:
        got = [c.fn(v) for c in columns]
        found = [r for r in rows if all(cell.test(x) for cell, x in zip(r.cells, got))]
        if table.hit in SINGLE:
            row = _single(table, found, rank)
            if row is None:
                if table.otherwise is None:
                    v[name] = None
                    return nothing
                v[name] = shape(table.otherwise[0])
                return table.otherwise[1]
            v[name] = shape(row.outputs)
            return row.reason
        if table.hit == "output_order":
            found = sorted(found, key=rank)
        listed = [shape(r.outputs) for r in found]
        v[name] = _aggregate(table.aggregate, listed)
        if not found:
            return nothing
        return found[0].reason if len(found) == 1 else together(found)

    run.combined = combined  # type: ignore[attr-defined]
    return run


def _describer(table: Table):
    """Why a row applied, in the values it tested: "the score is 11, from 10 to 13: Tier 2 – 10–13 points"."""
    by_reason = {id(row.reason): row for row in table.rows}

    def describe(v: dict, reason: Reason, labels: Labels) -> str:
        row = by_reason.get(id(reason))
        if row is None:  # otherwise, or rows that applied together
            return f"{reason.label}: {reason.because}" if reason.because else reason.label
        tested = []
        for (label, expr), cell, text in zip(table.columns, row.cells, row.texts):
            if not cell.any:
                got = expr.fn(v)
                column = label if label in labels.kinds else None
                said = f"{english.phrase(label, labels)} is {english.value(labels, column, got)}"
                tested.append(f"{said}, {in_words(text, column, labels)}" if cell.boundaries and text != word(got)
                              else said)
        shown = english.either(tested, "and") or "every row's tests hold"
        return f"{shown}: {reason.because}" if reason.because else shown
    return describe


def _single(table: Table, found: list[Row], rank) -> Row | None:
    if not found:
        return None
    if table.hit == "first" or len(found) == 1:
        return found[0]
    labels = " and ".join(r.reason.label for r in found[:2])
    if table.hit == "unique":
        raise ExprFault(f"{labels} both apply, but a `unique` table allows one")
    if table.hit == "any":
        if any(r.outputs != found[0].outputs for r in found):
            raise ExprFault(f"{labels} both apply and give different answers, which an `any` table forbids")
        return found[0]
    return min(found, key=rank)  # priority


def _rank(table: Table, row: Row) -> tuple:
    """A row's outputs by their place in each output's values (first is highest); an
    output without values does not rank (rows it alone tells apart keep their order)."""
    ranks = []
    for name, value in zip(table.outputs, row.outputs):
        order = [_output_value(a) for a in table.values.get(name) or ()]
        if order:
            ranks.append(order.index(value) if value in order else len(order))
    return tuple(ranks)


def _aggregate(how: str | None, listed: list) -> Any:
    if how is None:
        return listed
    if how == "count":
        return len(listed)
    numbers = [number(x) for x in listed if x is not None]
    if not numbers:
        return None
    if any(not isinstance(x, (int, Decimal)) or isinstance(x, bool) for x in numbers):
        raise ExprFault(f"`{how}` needs numbers, and a row that applies gives something else")
    if how == "sum":
        return _plain(sum(numbers))
    return _plain(min(numbers) if how == "min" else max(numbers))


def _plain(value: Any) -> Any:
    """A whole Decimal as an int, so 2 + 3 reads 5, not 5.0."""
    return int(value) if isinstance(value, Decimal) and value == value.to_integral_value() else value


def _domain(table: Table) -> tuple | None:
    """The table's values when it gives one of a fixed set (single-answer, one output)."""
    if table.hit not in SINGLE or len(table.outputs) > 1:
        return None
    declared = table.values.get(table.name)
    if declared is not None:
        values = [_output_value(v) for v in declared]
    else:
        values = [r.outputs[0] for r in table.rows] + ([table.otherwise[0][0]] if table.otherwise else [])
    if table.otherwise is None:
        values.append(None)  # no row applies: null, as in DMN
    try:
        return tuple(dict.fromkeys(values))
    except TypeError:  # an unhashable value (a list): no fixed set the engine can try
        return None


def points(el: Element):
    return ((("reason", id(r)), r.label, r.loc) for r in el.reasons)


def reached(el: Element, values: dict, reason: Reason | None):
    combined = getattr(el, "combined", {})
    return (("reason", id(r)) for r in combined.get(id(reason), (reason,)))


def fork_example(name: str, spec: dict) -> list[str]:
    return ["tables:", f"  {name}: {{rows: {{1: [...]}}}}        # row 1 (rows change by number)"]


def details(spec: dict) -> dict:
    """The table as the policy document lays it out: a header and a line per row."""
    outputs = list(spec.get("outputs") or ["answer"])
    because = spec.get("because")
    rows = []
    for i, raw in enumerate(spec["rows"]):
        cells = raw["row"] if isinstance(raw, dict) else raw
        why = (raw.get("because") if isinstance(raw, dict) else None) or \
            (because[i] if isinstance(because, list) and i < len(because) else because if isinstance(because, str)
             else "")
        rows.append({"cells": [word(c) for c in cells], "because": why or ""})
    hit = spec.get("hit", "unique")
    return {"header": [str(c) for c in spec["inputs"]] + outputs, "rows": rows,
            "hit": hit, "otherwise": spec.get("otherwise", "—"),
            "columns": [str(c) for c in spec["inputs"]], "outputs": list(spec.get("outputs") or []),
            "hit_words": HIT_WORDS[hit]}


#: Each hit policy as the policy document says it.
HIT_WORDS = {"unique": "At most one row applies", "any": "Rows that apply agree",
             "priority": "Of the rows that apply, the one whose answer comes first in its values",
             "first": "The first row that applies", "rule_order": "Every row that applies, in row order",
             "output_order": "Every row that applies, in the order of their answers' values",
             "collect": "Every row that applies"}


SUMMARY_MD = r'''
## Decision tables

{% for name, t in data.tables.items() %}
{% set d = construct.details(t) %}
{% set outs = d.outputs or [name] %}
### {{ name | label }}{{ mark("tables", name) }}

{{ d.hit_words }}. [{{ t.source }}]

| {% for h in d.columns %}{{ h | heading }} | {% endfor %}{% for h in outs %}{{ h | label }} | {% endfor %}because |
|{% for h in d.header %}---|{% endfor %}---|
{% for r in d.rows %}
| {% for c in r.cells[:d.columns | length] %}{{ c | cell(d.columns[loop.index0]) }} | {% endfor %}{% for c in r.cells[d.columns | length:] %}{{ c | value(outs[loop.index0]) }} | {% endfor %}{{ r.because | mentions }} |
{% endfor %}

{% endfor %}
'''

SUMMARY_HTML = r'''<h2>Decision tables</h2>
{% for name, t in data.tables.items() %}
{% set d = construct.details(t) %}
{% set outs = d.outputs or [name] %}
<h3>{{ name | label }}{{ mark("tables", name) }}</h3>
<p>{{ d.hit_words }}.{{ cite(t.source) }}</p>
<table>
<thead><tr>{% for h in d.columns %}<th>{{ h | heading }}</th>{% endfor %}{% for h in outs %}<th>{{ h | label }}</th>{% endfor %}<th>because</th></tr></thead>
<tbody>
{% for r in d.rows %}<tr>{% for c in r.cells[:d.columns | length] %}<td>{{ c | cell(d.columns[loop.index0]) }}</td>{% endfor %}{% for c in r.cells[d.columns | length:] %}<td>{{ c | value(outs[loop.index0]) }}</td>{% endfor %}<td>{{ r.because | mentions }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
'''

CONSTRUCT = Construct(
    section="tables", noun="table", schema="#/$defs/table", compile=compile_table, sql=sql_table,
    summary_md=SUMMARY_MD, summary_html=SUMMARY_HTML, points=points, reached=reached,
    compiles_late=True, fork_example=fork_example, guide_rank=6, details=details,
)
