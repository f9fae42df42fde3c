"""Reserved tasks: tasks only certain roles may hold.

    reserved_tasks:
      reserved:
        tasks_input: tasks
        tasks: [section_47_enquiry]
        role_input: proposed_role
        roles: [social_worker]
        permitted_as: role_permitted
"""
from __future__ import annotations

from .. import english
from ..labels import Labels
from ..sqlvalues import SqlValue, any_of, case, false, first_fault, is_null, lit, negate
from .base import Construct, Context, Element, Reason, element, reason_of, reason_points, reason_reached


def compile_reserved(name: str, spec: dict, ctx: Context) -> Element:
    tasks_input, role_input = spec["tasks_input"], spec.get("role_input")
    _check_names(spec, ctx)
    loc = ctx.loc(key=True)
    some = reason_of(spec, {}, loc, "reserved tasks present")
    none_ = Reason("none of the case's tasks is reserved", spec.get("source"), loc, "no reserved task")
    reserved, roles = frozenset(spec["tasks"]), frozenset(spec["roles"])
    permitted_as = spec.get("permitted_as")

    def run(v: dict) -> Reason:
        present = [t for t in v[tasks_input] if t in reserved]
        v[name] = present
        if permitted_as:
            role = v[role_input]
            v[permitted_as] = None if role is None else (role in roles or not present)
        return some if present else none_

    def describe(v: dict, r: Reason, labels: Labels) -> str:
        present = v[name]
        who = english.either([english.value(labels, role_input, role) for role in spec["roles"]])
        tasks = english.either([english.value(labels, tasks_input, t) for t in present], "and")
        text = (f"{tasks} may only be held by a {who}: {r.because}" if present else r.because)
        if permitted_as and v[role_input] is not None:
            verdict = "may" if v[permitted_as] else "may not"
            text += f"; the proposed role ({english.value(labels, role_input, v[role_input])}) {verdict} hold them"
        return text

    outputs = (name, permitted_as) if permitted_as else (name,)
    deps = {tasks_input} | ({role_input} if role_input else set())
    return element("reserved_tasks", name, spec, outputs, deps, loc, run, (some, none_), describe=describe,
                   values_of=tasks_input)


def sql_reserved(name: str, spec: dict, ctx) -> dict:
    """The SQL facet: the reserved tasks present (one boolean per task), and whether the role may hold them."""
    tasks = ctx.value(spec["tasks_input"])
    present = {t: m for t, m in (tasks.members or {}).items() if t in spec["tasks"]}
    out = {name: SqlValue("list", members=present, fault=tasks.fault, nullable=False)}
    if spec.get("permitted_as"):
        role = ctx.value(spec["role_input"])
        allowed = role.sql.copy().isin(*(lit(r) for r in spec["roles"])) if spec["roles"] else false()
        may = any_of([allowed, negate(any_of(list(present.values())))])
        out[spec["permitted_as"]] = SqlValue("boolean", case([(is_null(role), lit(None))], may),
                                             first_fault(tasks.fault, role.fault), choices=(True, False))
    return out


def _check_names(spec: dict, ctx: Context) -> None:
    """The tasks are values of a list input, and the roles values of an enum input."""
    tasks_input, role_input = spec["tasks_input"], spec.get("role_input")
    field_ = ctx.inputs.get(tasks_input)
    if field_ is None or field_.type != "list":
        ctx.fail(f"`{tasks_input}` must be a declared list input{ctx.suggest(tasks_input, ctx.inputs)}",
                 "tasks_input")
    else:
        for i, task in enumerate(spec["tasks"]):
            if task not in field_.values:
                ctx.fail(f"task `{task}` is not a value of `{tasks_input}`{ctx.suggest(task, field_.values)}",
                         "tasks", i)
    if role_input is not None:
        role = ctx.inputs.get(role_input)
        if role is None or role.type != "enum":
            ctx.fail(f"`{role_input}` must be a declared enum input{ctx.suggest(role_input, ctx.inputs)}",
                     "role_input")
        else:
            for i, r in enumerate(spec["roles"]):
                if r not in role.values:
                    ctx.fail(f"role `{r}` is not a value of `{role_input}`{ctx.suggest(r, role.values)}",
                             "roles", i)


def fork_example(name: str, spec: dict) -> list[str]:
    return ["reserved_tasks:", f"  {name}: {{tasks: [...]}}   # lists are replaced whole"]


SUMMARY_MD = r'''
## Reserved tasks

{% for name, r in data.reserved_tasks.items() %}
- **{{ name | label }}**: only a {% for role in r.roles %}{{ role | value(r.get("role_input")) }}{{ " or " if not loop.last }}{% endfor %} may hold {% for task in r.tasks %}{{ task | value(r.tasks_input) }}{{ ", " if not loop.last }}{% endfor %}. {{ r.get("because", "") | mentions }} [{{ r.source }}]{{ mark("reserved_tasks", name) }}
{% endfor %}
'''

SUMMARY_HTML = r'''<h2>Reserved tasks</h2>
<ul>
{% for name, r in data.reserved_tasks.items() %}
<li><strong>{{ name | label }}</strong>: only a {% for role in r.roles %}{{ role | value(r.get("role_input")) }}{{ " or " if not loop.last }}{% endfor %} may hold {% for task in r.tasks %}{{ task | value(r.tasks_input) }}{{ ", " if not loop.last }}{% endfor %}. {{ r.get("because", "") | mentions }}{{ cite(r.source) }}{{ mark("reserved_tasks", name) }}</li>
{% endfor %}
</ul>
'''

CONSTRUCT = Construct(
    section="reserved_tasks", noun="reserved tasks", schema="#/$defs/reserved", compile=compile_reserved,
    sql=sql_reserved,
    summary_md=SUMMARY_MD, summary_html=SUMMARY_HTML, points=reason_points, reached=reason_reached,
    also_defines=("permitted_as",), fork_example=fork_example, guide_rank=4,
)
