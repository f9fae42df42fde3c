"""Cadences: a due date every so often from a start date, and whether it is overdue.

    cadences:
      next_visit_due: {from: last_visit, every: 10 working days, overdue_as: visit_overdue}

A ``when:`` limits where the cadence applies: elsewhere the due date and the
overdue flag are null (not applicable).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from ..dates import long_date, parse_interval
from ..expressions import Expression
from ..sqlvalues import SqlValue, any_of, case, first_fault, guarded, is_null, lit, negate
from .base import Construct, Context, Element, Point, Reason, applies_when, element, reason_of, sql_applies_when, unused


def compile_cadence(name: str, spec: dict, ctx: Context) -> Element:
    start = ctx.expr(spec["from"], "from")
    every = _interval_or_expr(spec["every"], ctx, "every")
    overdue_as = spec.get("overdue_as")
    loc = ctx.loc(key=True)
    reason = reason_of(spec, {}, loc, "due date")
    missing = Reason("no start date, so nothing is due", spec.get("source"), loc, "no start date")
    add = ctx.functions["add"]

    def run(v: dict) -> Reason:
        begin = start.fn(v)
        step = every.fn(v)
        if begin is None or step is None:
            v[name] = None
            if overdue_as:
                v[overdue_as] = None
            return missing
        due = add(begin, step)
        v[name] = due
        if overdue_as:
            v[overdue_as] = v["as_of"] > due
        return reason

    def describe(v: dict, r: Reason, labels: Any = None) -> str:
        if r is missing:
            return r.because
        due = v[name]
        # "1 month after 20 October 2026 is 20 November 2026": the reason is read by people
        # (the due date itself stays ISO in JSON and CSV).
        text = f"{every.fn(v)} after {long_date(start.fn(v))} is {long_date(due)}"
        if overdue_as:
            late = long_date(due + _dt.timedelta(days=1))
            text += f"; overdue since {late}" if v[overdue_as] else f"; overdue from {late}"
        return f"{r.because}: {text}" if r.because else text

    deps = (start.names | every.names) if start and every else frozenset()
    outputs = (name, overdue_as) if overdue_as else (name,)
    return applies_when(element("cadences", name, spec, outputs, deps | {"as_of"}, loc,
                                run if start and every else unused, (reason,), describe=describe), spec, ctx)


def _interval_or_expr(source: Any, ctx: Context, *path: Any) -> Expression | None:
    """``every:`` is a plain interval ("14 days") or an expression giving one."""
    if isinstance(source, str) and source.strip()[:1].isdigit():
        try:
            step = parse_interval(source)
        except ValueError as exc:
            ctx.fail(f"`{source}` {exc}", *path)
            return None
        return Expression(source, frozenset(), lambda v: step, ctx.loc(*path))
    return ctx.expr(source, *path)


def sql_cadence(name: str, spec: dict, ctx) -> dict:
    """The SQL facet: the due date (none without a start), and whether ``as_of`` is past it."""
    start = ctx.expr(spec["from"], "from")
    every = spec["every"]
    if isinstance(every, str) and every.strip()[:1].isdigit():
        words = str(parse_interval(every))
        step = SqlValue("interval", lit(words), nullable=False, choices=(words,))
    else:
        step = ctx.expr(every, "every")
    if start.kind not in ("date", "null"):
        raise ctx.refuse(f"a cadence from {start.kind} has no SQL form", "from")
    missing = any_of([is_null(start), is_null(step)])
    due = ctx.add(start, step, "add")
    fault = first_fault(start.fault, step.fault, guarded(negate(missing), due.fault))
    out = {name: SqlValue("date", case([(missing, lit(None))], due.sql), fault)}
    if spec.get("overdue_as"):
        late = case([(missing, lit(None))], ctx.as_of.copy() > due.sql.copy())
        out[spec["overdue_as"]] = SqlValue("boolean", late, fault, choices=(True, False))
    return sql_applies_when(spec, ctx, out)


def points(el: Element) -> Iterable[Point]:
    """A due date, and both overdue and not, when the cadence says which."""
    out = [(("due", el.name), "due date", el.loc)]
    if len(el.outputs) > 1:
        out += [(("late", el.name, True), "overdue", el.loc), (("late", el.name, False), "not overdue", el.loc)]
    return out


def reached(el: Element, values: dict, reason: Reason | None) -> Iterable[tuple]:
    if values.get(el.name) is None:
        return ()
    if len(el.outputs) > 1:
        return (("due", el.name), ("late", el.name, bool(values[el.outputs[1]])))
    return (("due", el.name),)


def fork_example(name: str, spec: dict) -> list[str]:
    return ["cadences:", f"  {name}: {{every: 14 days}}   # a cadence interval"]


SUMMARY_MD = r'''
## Due dates

{% for name, c in data.cadences.items() %}
- **{{ name | label }}**: due {{ c.every if (c.every | string)[:1].isdigit() else (c.every | phrase | replace("the ", "", 1)) }} after {{ c["from"] | phrase }}{% if c.get("overdue_as") %}; {{ c.overdue_as | label }} is yes from the day after it is due{% endif %}{% if c.get("when") %}; only when {{ c.when | english }}, otherwise not applicable{% endif %}. {{ c.get("because", "") | mentions }} [{{ c.source }}]{{ mark("cadences", name) }}
{% endfor %}
'''

SUMMARY_HTML = r'''<h2>Due dates</h2>
<ul>
{% for name, c in data.cadences.items() %}
<li><strong>{{ name | label }}</strong>: due {{ c.every if (c.every | string)[:1].isdigit() else (c.every | phrase | replace("the ", "", 1)) }} after {{ c["from"] | phrase }}{% if c.get("overdue_as") %}; {{ c.overdue_as | label }} is yes from the day after it is due{% endif %}{% if c.get("when") %}; only when {{ c.when | english }}, otherwise not applicable{% endif %}. {{ c.get("because", "") | mentions }}{{ cite(c.source) }}{{ mark("cadences", name) }}</li>
{% endfor %}
</ul>
'''

CONSTRUCT = Construct(
    section="cadences", noun="cadence", schema="#/$defs/cadence", compile=compile_cadence, sql=sql_cadence,
    summary_md=SUMMARY_MD, summary_html=SUMMARY_HTML, points=points, reached=reached,
    also_defines=("overdue_as",), fork_example=fork_example, guide_rank=3,
)
