"""Thresholds: yes when a number reaches a limit, or the band a number falls in.

    thresholds:
      complex: {of: factor_count, at_least: 3, source: guide §2}
      load: {of: score, bands: [{to: 9, value: low}, {from: 10, value: high}], source: guide}
"""
from __future__ import annotations

import re
from typing import Any

from .. import english, numbers
from ..expressions import ExprFault
from ..labels import Labels
from ..sqlvalues import SqlValue, all_of, case, const, fault_if, first_fault, is_null, lit, negate, true
from .base import Construct, Context, Element, Reason, element, reason_of, reason_points, reason_reached, unused


def compile_threshold(name: str, spec: dict, ctx: Context) -> Element:
    of = ctx.expr(spec["of"], "of")
    if "at_least" in spec:
        return _at_least(name, spec, of, ctx)
    return _banded(name, spec, of, ctx)


def _at_least(name: str, spec: dict, of: Any, ctx: Context) -> Element:
    loc = ctx.loc(key=True)
    limit = spec["at_least"]
    yes = reason_of(spec, {}, loc, f"{spec['of']} ≥ {limit}")  # the label is the rule as written
    no = Reason(f"not met: {spec.get('because', '')}".strip(), spec.get("source"), loc, f"{spec['of']} < {limit}")
    missing = Reason("not known: the value it counts is missing", spec.get("source"), loc, "null")

    def run(v: dict) -> Reason:
        x = of(v)
        if x is None:
            v[name] = None
            return missing
        v[name] = numbers.compare(">=", x, limit)  # 0.1 * 3 reaches 0.3
        return yes if v[name] else no

    def describe(v: dict, r: Reason, labels: Labels) -> str:
        if r is not yes and r is not no:
            return r.because
        count = labels.kinds.get(str(spec["of"])) == "count"
        said = f"{_counted(spec['of'], labels) if count else english.phrase(spec['of'], labels)} is {of(v)}"
        if r is yes:
            return f"{said}, and {limit} or more is enough: {r.because}" if r.because else \
                f"{said}, and {limit} or more is enough"
        return f"{said}, {'fewer' if count else 'less'} than the {limit} needed, so not met"

    return element("thresholds", name, spec, (name,), of.names if of else (), loc, run if of else unused,
                   (yes, no), domain=(True, False), describe=describe)


#: Words that make a label a number already ("Count", "Number of visits"): it is said as it is.
_A_NUMBER = re.compile(r"\b(count|number|total|score|tally|sum|points|how many)\b", re.IGNORECASE)


def _counted(of: Any, labels: Labels) -> str:
    """A count as a sentence's subject: "the number of Initial Test factors met" (its label is a heading,
    "Initial Test factors met: 3", and "the Initial Test factors met is 3" does not read)."""
    said = english.phrase(of, labels)
    if _A_NUMBER.search(said):  # "the count", "the number of visits", "the total score": already a number
        return said
    return f"the number of {said[4:] if said.lower().startswith('the ') else said}"


def _banded(name: str, spec: dict, of: Any, ctx: Context) -> Element:
    loc = ctx.loc(key=True)
    table = _bands(spec, ctx.at("bands"))
    missing = Reason("not known: the value it bands is missing", spec.get("source"), loc, "null")

    def run(v: dict) -> Reason:
        x = of(v)
        if x is None:
            v[name] = None
            return missing
        for low, high, value, reason in table:
            if (low is None or numbers.compare(">=", x, low)) and \
                    (high is None or numbers.compare("<=", x, high)):
                v[name] = value
                return reason
        # Never the value itself: it is the case's.
        raise ExprFault(f"the value falls outside every band of threshold `{name}`")

    def describe(v: dict, r: Reason, labels: Labels) -> str:
        if r is missing:
            return r.because
        band = next(f"{'up to' if low is None else f'from {low}'}{'' if high is None else f' to {high}'}"
                    if low is None or high is not None else f"{low} or more"
                    for low, high, _, reason in table if reason is r)
        said = f"{english.phrase(spec['of'], labels)} is {of(v)}, in the band {band}"
        return f"{said}: {r.because}" if r.because else said

    return element("thresholds", name, spec, (name,), of.names if of else (), loc, run if of else unused,
                   tuple(t[3] for t in table), domain=tuple(t[2] for t in table), describe=describe)


def _bands(spec: dict, ctx: Context) -> list[tuple]:
    """Each band as (from, to, value, reason), checked to run in order without gaps or overlaps."""
    bands = spec["bands"]
    table = []
    for i, band in enumerate(bands):
        low, high = band.get("from"), band.get("to")
        if low is None and i != 0:
            ctx.fail("only the first band may leave out `from`", i)
        if high is None and i != len(bands) - 1:
            ctx.fail("only the last band may leave out `to`", i)
        if low is not None and high is not None and low > high:
            ctx.fail(f"band {i + 1} runs backwards: from {low} to {high}", i)
        prev = bands[i - 1].get("to") if i else None
        if prev is not None and low is not None:
            if low <= prev:
                ctx.fail(f"band {i + 1} (from {low}) overlaps band {i} (to {prev})", i, "from")
            elif low > prev + 1:
                ctx.fail(f"gap between band {i} (to {prev}) and band {i + 1} (from {low}): "
                         f"{prev + 1}–{low - 1} falls in no band", i, "from")
        label = f"band {'' if low is None else low}–{'' if high is None else high}"
        reason = reason_of(band, spec, ctx.loc(i), label.replace("band –", "band up to "))
        table.append((low, high, band["value"], reason))
    return table


def sql_threshold(name: str, spec: dict, ctx) -> dict:
    """The SQL facet: null for a missing value, else whether it reaches the limit, or its band."""
    of = ctx.expr(spec["of"], "of")
    if of.kind not in ("integer", "number", "null"):
        raise ctx.refuse(f"a threshold of {of.kind} has no SQL form", "of")
    missing = is_null(of)
    if "at_least" in spec:
        reached = of.sql.copy() >= lit(spec["at_least"])
        return {name: SqlValue("boolean", case([(missing, lit(None))], reached), of.fault, choices=(True, False))}
    whens, kinds = [], set()
    for band in spec["bands"]:
        low, high = band.get("from"), band.get("to")
        inside = all_of([of.sql.copy() >= lit(low) if low is not None else true(),
                         of.sql.copy() <= lit(high) if high is not None else true()])
        whens.append((inside, lit(band["value"])))
        kinds.add(const(band["value"]).kind)
    if len(kinds - {"null"}) > 1:
        raise ctx.refuse("bands giving values of different kinds have no SQL form", "bands")
    outside = fault_if(all_of([negate(missing)] + [negate(w) for w, _ in whens]),
                       f"the value falls outside every band of threshold `{name}`")
    kind = (kinds - {"null"} or {"null"}).pop()
    return {name: SqlValue(kind, case([(missing, lit(None)), *whens]), first_fault(of.fault, outside),
                           choices=tuple(b["value"] for b in spec["bands"]))}


def fork_example(name: str, spec: dict) -> list[str]:
    example = "{at_least: 2}" if "at_least" in spec else "{bands: [...]}"
    return ["thresholds:", f"  {name}: {example}                # a threshold's value"]


SUMMARY_MD = r'''
## Thresholds

{% for name, t in data.thresholds.items() %}
{% if "at_least" in t %}
- **{{ name | label }}** is yes when {{ t.of | phrase }} is {{ t.at_least }} or more: {{ t.get("because", "") | mentions }} [{{ t.source }}]{{ mark("thresholds", name) }}
{% else %}
- **{{ name | label }}** from {{ t.of | phrase }}{{ mark("thresholds", name) }} [{{ t.source }}]:
{% for band in t.bands %}
  - {% if band.get("from") is none %}up to {{ band.to }}{% elif band.get("to") is none %}{{ band["from"] }} or more{% else %}{{ band["from"] }} to {{ band.to }}{% endif %}: **{{ band.value | value(name) }}**{% if band.get("because") %}, {{ band.because | mentions }}{% endif %}

{% endfor %}
{% endif %}
{% endfor %}
'''

SUMMARY_HTML = r'''<h2>Thresholds</h2>
<ul>
{% for name, t in data.thresholds.items() %}
{% if "at_least" in t %}
<li><strong>{{ name | label }}</strong> is yes when {{ t.of | phrase }} is {{ t.at_least }} or more: {{ t.get("because", "") | mentions }}{{ cite(t.source) }}{{ mark("thresholds", name) }}</li>
{% else %}
<li><strong>{{ name | label }}</strong> from {{ t.of | phrase }}{{ cite(t.source) }}{{ mark("thresholds", name) }}
<table><thead><tr><th>when it is</th><th>{{ name | label }}</th><th>why</th></tr></thead><tbody>
{% for band in t.bands %}<tr><td>{% if band.get("from") is none %}up to {{ band.to }}{% elif band.get("to") is none %}{{ band["from"] }} or more{% else %}{{ band["from"] }} to {{ band.to }}{% endif %}</td><td><strong>{{ band.value | value(name) }}</strong></td><td>{{ band.get("because", "") | mentions }}</td></tr>
{% endfor %}</tbody></table></li>
{% endif %}
{% endfor %}
</ul>
'''

CONSTRUCT = Construct(
    section="thresholds", noun="threshold", schema="#/$defs/threshold", compile=compile_threshold, sql=sql_threshold,
    summary_md=SUMMARY_MD, summary_html=SUMMARY_HTML, points=reason_points, reached=reason_reached,
    fork_example=fork_example, guide_rank=1,
)
