"""Checklists: the items that apply to a case, each with its own condition.

    checklists:
      actions:
        when: route == 'review_tray'
        items:
          - {id: rationale, item: Record the rationale, source: pwt Procedure}
          - {id: tell_parent, item: Tell the parent, when: parent_informed == false}

Each item has a short ``id`` (unique in its checklist), the heading of its
column in a caseload's spreadsheet results; an item without one is given one
made from its first words (``record_rationale``), the same on every load.
"""
from __future__ import annotations

import re
from typing import Iterable

from ..labels import Labels
from ..sqlvalues import SqlValue, all_of, any_of, first_fault, guarded, true, truthy
from .base import NOT_APPLICABLE, Construct, Context, Element, Point, Reason, element, not_applicable, reason_of, \
    unused

#: Words left out of an id made from an item's text.
_SMALL_WORDS = frozenset("a an and are as at be by for from has have in is it its of on or that the their "
                         "them they this to was were with".split())
#: Words of the item's text an id made from it keeps, and its longest length.
_ID_WORDS, _ID_LENGTH = 4, 40


def derived_id(text: str) -> str:
    """An item's id made from its first words: lower case, small words left out."""
    text = re.sub(r"['’]s\b", "", text.lower())  # "the child's views": child views
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in _SMALL_WORDS]
    name = "_".join(words[:_ID_WORDS])[:_ID_LENGTH].strip("_") or "item"
    return name if name[0].isalpha() else "item_" + name


def item_ids(items: list[dict]) -> list[str]:
    """Every item's id: its own, or one made from its text, made unique with
    ``_2``, ``_3`` (never taking an id another item states)."""
    taken = {item["id"] for item in items if "id" in item}
    ids = []
    for item in items:
        if "id" in item:
            ids.append(item["id"])
            continue
        base = derived_id(item["item"])
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        ids.append(name)
    return ids


def compile_checklist(name: str, spec: dict, ctx: Context) -> Element:
    gate = ctx.expr(spec["when"], "when") if "when" in spec else None
    items, deps = [], set(gate.names if gate else ())
    seen: dict[str, int] = {}
    for i, item in enumerate(spec["items"]):
        if "id" in item and item["id"] in seen:
            ctx.fail(f"item id `{item['id']}` is already the id of item {seen[item['id']] + 1}: each item's "
                     "id must be unique in its checklist", "items", i, "id")
        seen.setdefault(item.get("id"), i)
        if ";" in item["item"]:
            ctx.fail("a checklist item may not contain `;`: CSV output separates list items with it",
                     "items", i, "item")
        cond = ctx.expr(item["when"], "items", i, "when") if "when" in item else None
        if cond is not None:
            deps |= cond.names
        reason = Reason(item["item"], item.get("source") or spec.get("source"), ctx.loc("items", i), f"item {i + 1}",
                        technical=f"when {item['when']}" if "when" in item else "")
        items.append((cond, item["item"], reason, "when" in item))
    loc = ctx.loc(key=True)
    closed = Reason("does not apply to this case", spec.get("source"), loc, NOT_APPLICABLE,
                    technical=f"only when {spec.get('when')}")
    listed = reason_of(spec, {}, loc, "items")
    broken = (gate is None and "when" in spec) or any(c is None and has for c, _, _, has in items)

    def run(v: dict) -> Reason:
        if gate is not None and not gate.fn(v):
            v[name] = []
            return closed
        v[name] = [text for cond, text, _, _ in items if cond is None or cond.fn(v)]
        return listed

    def describe(v: dict, r: Reason, labels: Labels) -> str:
        if r is closed:
            return not_applicable(spec["when"], labels)
        count = len(v[name])
        return f"{count} item{'' if count == 1 else 's'}" + (f": {r.because}" if r.because else "")

    ids = item_ids(spec["items"])
    return element("checklists", name, spec, (name,), deps, loc, unused if broken else run,
                   tuple(i[2] for i in items), describe=describe,
                   items=tuple((ids[i], text) for i, (_, text, _, _) in enumerate(items)))


def sql_checklist(name: str, spec: dict, ctx) -> dict:
    """The SQL facet: one boolean per item (keyed by its text), none where the checklist's ``when:`` does not hold."""
    gate = ctx.expr(spec["when"], "when") if "when" in spec else None
    opened = truthy(gate) if gate is not None else true()
    members, faults = {}, [gate.fault if gate is not None else None]
    for i, item in enumerate(spec["items"]):
        cond = ctx.expr(item["when"], "items", i, "when") if "when" in item else None
        if cond is not None:
            faults.append(guarded(opened, cond.fault))
        holds = all_of([opened, truthy(cond) if cond is not None else true()])
        text = item["item"]  # two items of one text are one entry of the list, as in the row engine
        members[text] = any_of([members[text], holds]) if text in members else holds
    return {name: SqlValue("list", members=members, fault=first_fault(*faults), nullable=False)}


def points(el: Element) -> Iterable[Point]:
    """Every item should appear in some test's checklist."""
    return ((("item", el.name, r.because), r.label, r.loc) for r in el.reasons)


def reached(el: Element, values: dict, reason: Reason | None) -> Iterable[tuple]:
    return (("item", el.name, text) for text in values.get(el.name) or ())


SUMMARY_MD = r'''
## Checklists

{% for name, c in data.checklists.items() %}
### {{ name | label }}{{ mark("checklists", name) }}

{% if c.get("when") %}Applies when {{ c.when | english }}. {% endif %}{{ c.get("because", "") | mentions }} [{{ c.source }}]

{% for item in c["items"] %}
- {{ item["item"] }}{% if item.get("when") %} (when {{ item.when | english }}){% endif %}{% if item.get("source") %} [{{ item.source }}]{% endif %}

{% endfor %}

{% endfor %}
'''

SUMMARY_HTML = r'''<h2>Checklists</h2>
{% for name, c in data.checklists.items() %}
<h3>{{ name | label }}{{ mark("checklists", name) }}</h3>
<p>{% if c.get("when") %}Applies when {{ c.when | english }}. {% endif %}{{ c.get("because", "") | mentions }}{{ cite(c.source) }}</p>
<ul>
{% for item in c["items"] %}<li>{{ item["item"] }}{% if item.get("when") %} <span class="cite">(when {{ item.when | english }})</span>{% endif %}{{ cite(item.get("source")) }}</li>
{% endfor %}
</ul>
{% endfor %}
'''

CONSTRUCT = Construct(
    section="checklists", noun="checklist", schema="#/$defs/checklist", compile=compile_checklist, sql=sql_checklist,
    summary_md=SUMMARY_MD, summary_html=SUMMARY_HTML, points=points, reached=reached,
)
