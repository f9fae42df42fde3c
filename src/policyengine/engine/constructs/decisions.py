"""Decisions: rules in order, the first whose condition holds giving the value.

    decisions:
      route:
        rules:
          - {when: complex, value: review_tray, because: ..., source: guide §3}
        otherwise: {value: allocate, because: ...}

A rule gives a ``value`` or an ``expr``; ``type`` and ``values`` fix what it
may give. A ``when:`` on the decision itself limits where it applies:
elsewhere it is null (not applicable). The compiler checks afterwards that every rule can fire.
"""
from __future__ import annotations

from typing import Any, Callable

from ..dates import Interval, parse_interval
from ..expressions import ExprFault
from ..sqlvalues import SqlValue, all_of, case, const, first_fault, guarded, is_null, lit, negate, true, truthy
from .base import Construct, Context, Element, Reason, applies_when, element, reason_of, reason_points, \
    reason_reached, sql_applies_when, unused


def compile_decision(name: str, spec: dict, ctx: Context) -> Element:
    kind, allowed = spec.get("type"), spec.get("values")
    rules, literals, deps = _rules(spec, ctx)
    if any(r[0] is None for r in rules[:-1]) or any(r[2] and r[1] is None for r in rules):
        run = unused
    else:
        run = _runner(name, rules, _converter(kind))
    exprs = any(r[2] for r in rules)
    domain = None if exprs else tuple(dict.fromkeys(_hashable(x) for x in literals))
    if allowed is not None:
        domain = tuple(allowed)
    return applies_when(element("decisions", name, spec, (name,), deps, ctx.loc(key=True), run,
                                tuple(r[3] for r in rules),
                                domain=domain if domain and all(_is_hashable(d) for d in domain) else None,
                                rules=tuple(rules)), spec, ctx)


def _rules(spec: dict, ctx: Context) -> tuple[list[tuple], list, set]:
    """Each rule, then otherwise, as (when, value, is_expr, reason); the literal values; the names read."""
    kind, allowed = spec.get("type"), spec.get("values")
    count = len(spec.get("rules", ()))
    rules, literals, deps = [], [], set()
    for i, rule in enumerate([*spec.get("rules", ()), spec["otherwise"]]):
        last = i == count
        here = ctx.at("otherwise") if last else ctx.at("rules", i)
        when = None if last else here.expr(rule["when"], "when")
        if "expr" in rule:
            value, is_expr = here.expr(rule["expr"], "expr"), True
        else:
            value, is_expr = _literal(rule["value"], kind, allowed, here), False
            literals.append(value)
        for e in (when, value if is_expr else None):
            if e is not None:
                deps |= e.names
        reason = reason_of(rule, spec, here.loc(key=True), "otherwise" if last else f"rule {i + 1}",
                           "" if last else f"when {rule['when']}")
        rules.append((when, value, is_expr, reason))
    return rules, literals, deps


def _runner(name: str, rules: list[tuple], convert: Callable) -> Callable[[dict], Reason]:
    guarded = tuple(rules[:-1])
    _, final_value, final_expr, final_reason = rules[-1]

    def run(v: dict) -> Reason:
        for when, value, is_expr, reason in guarded:
            if when.fn(v):
                v[name] = convert(value.fn(v)) if is_expr else value
                return reason
        v[name] = convert(final_value.fn(v)) if final_expr else final_value
        return final_reason

    return run


def _hashable(x: Any) -> Any:
    return tuple(x) if isinstance(x, list) else x


def _is_hashable(x: Any) -> bool:
    try:
        hash(x)
        return True
    except TypeError:
        return False


def _literal(value: Any, kind: str | None, allowed: list | None, ctx: Context) -> Any:
    if allowed is not None and value not in allowed:
        ctx.fail(f"value `{value}` is not one of this decision's values: "
                 f"{', '.join(map(str, allowed))}", "value")
    if kind == "interval" and value is not None:
        try:
            return parse_interval(value)
        except ValueError as exc:
            ctx.fail(f"`{value}` {exc}", "value")
    return value


def _to_interval(x: Any) -> Interval | None:
    if x is None or isinstance(x, Interval):
        return x
    try:
        return parse_interval(x)
    except ValueError as exc:
        raise ExprFault(f"the value {exc}") from None  # never the value: it may be a case's


def _converter(kind: str | None) -> Callable[[Any], Any]:
    if kind == "interval":
        return _to_interval
    if kind == "boolean":
        return lambda x: None if x is None else bool(x)
    return lambda x: x


def sql_decision(name: str, spec: dict, ctx) -> dict:
    """The SQL facet: the first rule whose condition holds, else ``otherwise``."""
    kind = spec.get("type")
    rules = [*spec.get("rules", ()), spec["otherwise"]]
    whens, faults, values, taken = [], [], [], []
    for i, rule in enumerate(rules):
        path = ("otherwise",) if i == len(rules) - 1 else ("rules", i)
        value = _sql_value(rule, kind, ctx, *path)
        if i < len(rules) - 1:
            cond = ctx.expr(rule["when"], *path, "when")
            holds = truthy(cond)
            faults += [guarded(_none(taken), cond.fault), guarded(all_of([_none(taken), holds]), value.fault)]
            whens.append((holds, value.sql))
            taken.append(holds)
        else:
            faults.append(guarded(_none(taken), value.fault))
        values.append(value)
    kinds = {v.kind for v in values} - {"null"}
    if len(kinds) > 1 or "list" in kinds:
        raise ctx.refuse(f"a decision giving {' and '.join(sorted(kinds))} has no SQL form")
    choices = tuple(dict.fromkeys(c for v in values for c in v.choices)) if all(
        v.choices is not None for v in values) else None
    out = SqlValue((kinds or {"null"}).pop(), case(whens, values[-1].sql) if whens else values[-1].sql,
                   first_fault(*faults), choices=choices)
    return sql_applies_when(spec, ctx, {name: out})


def _none(conditions: list):
    """That none of ``conditions`` held (each never null)."""
    return all_of([negate(c) for c in conditions]) if conditions else true()


def _sql_value(rule: dict, kind: str | None, ctx, *path: Any) -> SqlValue:
    """A rule's value as SQL, converted as :func:`_converter` converts it."""
    if "expr" not in rule:
        value = rule["value"]
        if kind == "interval" and value is not None:
            value = str(parse_interval(value))
            return SqlValue("interval", lit(value), nullable=False, choices=(value,))
        return SqlValue(const(value).kind, lit(value), nullable=value is None, choices=(value,))
    got = ctx.expr(rule["expr"], *path, "expr")
    if kind == "interval":
        if got.kind not in ("string", "interval", "null") or got.choices is None:
            raise ctx.refuse("an interval worked out from a case's text has no SQL form", *path, "expr")
        return SqlValue("interval", got.sql, got.fault, choices=got.choices)
    if kind == "boolean" and got.kind != "boolean":
        return SqlValue("boolean", case([(is_null(got), lit(None))], truthy(got)), got.fault)
    return got


def fork_example(name: str, spec: dict) -> list[str]:
    return ["decisions:", f"  {name}:",
            "    rules: {1: {when: \"...\"}}      # rule 1's condition (rules change by number)"]


SUMMARY_MD = r'''
## Decisions

{% for name, d in data.decisions.items() %}
### {{ name | label }}{{ mark("decisions", name) }}

{% if d.get("when") %}Applies only when {{ d.when | english }}; otherwise not applicable.

{% endif %}
{% for r in d.get("rules", []) %}
{{ loop.index }}. When {{ r.when | english }}: **{{ (r.expr | phrase) if "expr" in r else (r.value | value(name)) }}**, because {{ r.because | mentions }} [{{ r.get("source") or d.source }}]
{% endfor %}
{{ (d.get("rules", []) | length) + 1 }}. Otherwise: **{{ (d.otherwise.expr | phrase) if "expr" in d.otherwise else (d.otherwise.value | value(name)) }}**, because {{ d.otherwise.because | mentions }} [{{ d.otherwise.get("source") or d.source }}]

{% endfor %}
'''

SUMMARY_HTML = r'''<h2>Decisions</h2>
{% for name, d in data.decisions.items() %}
<h3>{{ name | label }}{{ mark("decisions", name) }}</h3>
{% if d.get("when") %}<p>Applies only when {{ d.when | english }}; otherwise not applicable.</p>{% endif %}
<ol>
{% for r in d.get("rules", []) %}
<li>When {{ r.when | english }}: <strong>{% if "expr" in r %}{{ r.expr | phrase }}{% else %}{{ r.value | value(name) }}{% endif %}</strong>, because {{ r.because | mentions }}{{ cite(r.get("source") or d.source) }}</li>
{% endfor %}
<li>Otherwise: <strong>{% if "expr" in d.otherwise %}{{ d.otherwise.expr | phrase }}{% else %}{{ d.otherwise.value | value(name) }}{% endif %}</strong>, because {{ d.otherwise.because | mentions }}{{ cite(d.otherwise.get("source") or d.source) }}</li>
</ol>
{% endfor %}
'''

CONSTRUCT = Construct(
    section="decisions", noun="decision", schema="#/$defs/decision", compile=compile_decision, sql=sql_decision,
    summary_md=SUMMARY_MD, summary_html=SUMMARY_HTML, points=reason_points, reached=reason_reached,
    fork_example=fork_example, guide_rank=5,
)
