"""Factor groups: how many of a set of yes/no inputs apply, or the sum of scores.

    factors:
      factor_count: {items: [family_dynamics, neglect, ...], source: guide §2}
"""
from __future__ import annotations

from ..expressions import MAX_NUMBER, ExprFault
from .. import english
from ..labels import Labels
from ..sqlvalues import SqlValue, any_of, case, fault_if, first_fault, is_null, lit, total, truthy
from .base import Construct, Context, Element, Reason, element, reason_of


def compile_factor_group(name: str, spec: dict, ctx: Context) -> Element:
    measure = spec.get("measure", "count")
    items = tuple(spec["items"])
    want = "boolean" if measure == "count" else "integer"
    for i, item in enumerate(items):
        field_ = ctx.inputs.get(item)
        if field_ is None:
            ctx.fail(f"factor `{item}` is not a declared input{ctx.suggest(item, ctx.inputs)}", "items", i)
        elif field_.type != want:
            ctx.fail(f"factor `{item}` must be a {want} input to {measure} it", "items", i)
    reason = reason_of(spec, {}, ctx.loc(key=True), measure)

    if measure == "count":
        def run(v: dict) -> Reason:
            v[name] = sum(1 for i in items if v[i])
            return reason
    else:
        def run(v: dict) -> Reason:
            total = sum(v[i] for i in items)
            if not -MAX_NUMBER <= total <= MAX_NUMBER:
                raise ExprFault(f"the sum is outside the limit of ±{MAX_NUMBER:,}")
            v[name] = total
            return reason

    def describe(v: dict, r: Reason, labels: Labels) -> str:
        if measure == "count":
            present = [labels.of(i) for i in items if v[i]]
            listing = f"{len(present)} of the {len(items)} present: {english.either(present, 'and')}" if present \
                else f"none of the {len(items)} present"
        else:
            listing = "scored " + english.either([f"{labels.of(i)} {v[i]}" for i in items], "and")
        return f"{r.because} ({listing})" if r.because else listing

    return element("factors", name, spec, (name,), items, reason.loc, run, (reason,), describe=describe,
                   value_kind="count")  # a whole number, never missing


def sql_factor_group(name: str, spec: dict, ctx) -> dict:
    """The SQL facet: the count of items that hold, or the sum of their scores."""
    items = [ctx.value(i) for i in spec["items"]]
    faults = first_fault(*(v.fault for v in items))
    if spec.get("measure", "count") == "count":
        terms = [case([(truthy(v), lit(1))], lit(0)) for v in items]
        return {name: SqlValue("integer", total(terms), faults, nullable=False)}
    summed = total([v.sql for v in items])
    missing = any_of([is_null(v) for v in items])
    outside = fault_if(summed.copy().between(lit(-MAX_NUMBER), lit(MAX_NUMBER)).not_(),
                       f"the sum is outside the limit of ±{MAX_NUMBER:,}")
    fault = case([(missing, lit("a value is of the wrong type for this operation"))], outside)
    return {name: SqlValue("integer", summed, first_fault(faults, fault))}


SUMMARY_MD = r'''
## Factors

{% for name, f in data.factors.items() %}
- **{{ name | label }}**: {{ "the number of these that apply" if f.get("measure", "count") == "count" else "the sum of these scores" }}: {% for item in f["items"] %}{{ item | label }}{{ ", " if not loop.last }}{% endfor %}. {{ f.get("because", "") | mentions }} [{{ f.source }}]{{ mark("factors", name) }}
{% endfor %}
'''

SUMMARY_HTML = r'''<h2>Factors</h2>
<ul>
{% for name, f in data.factors.items() %}
<li><strong>{{ name | label }}</strong>: {{ "the number of these that apply" if f.get("measure", "count") == "count" else "the sum of these scores" }}: {% for item in f["items"] %}{{ item | label }}{{ ", " if not loop.last }}{% endfor %}. {{ f.get("because", "") | mentions }}{{ cite(f.source) }}{{ mark("factors", name) }}</li>
{% endfor %}
</ul>
'''

CONSTRUCT = Construct(
    section="factors", noun="factor group", schema="#/$defs/factor_group", compile=compile_factor_group,
    sql=sql_factor_group,
    summary_md=SUMMARY_MD, summary_html=SUMMARY_HTML,
)
