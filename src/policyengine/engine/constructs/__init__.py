"""The rulebook's constructs, one small compile function each.

Every construct (factor group, threshold, matrix, decision, reserved tasks,
cadence, checklist) compiles to an :class:`Element` with the same shape: the
names it defines, the names it reads, and ``run(values)`` which stores its
outputs in ``values`` and returns the :class:`Reason` that decided them. The
interpreter finds a construct by its section name in :data:`CONSTRUCTS`, so a
new construct is a new function here and nothing else.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

from ..dates import Interval, parse_interval
from ...errors import MAX_HINTED_ERRORS, Location, RulebookError, suggest
from ..expressions import MAX_NUMBER, Expression, ExprFault
from ..values import words as _show


@dataclass(frozen=True)
class Reason:
    """Why an element has its value: the rule, cell or band that decided it."""

    because: str
    source: str | None
    loc: Location
    label: str  # e.g. "rule 2", "otherwise", "cell none × high", "band 10–13"


@dataclass
class Element:
    kind: str
    name: str
    outputs: tuple
    deps: frozenset
    loc: Location
    source: str | None
    because: str | None
    run: Callable[[dict], Reason]
    reasons: tuple = ()  # every rule, cell and band, for coverage
    domain: tuple | None = None  # finite set of values, where known
    describe: Callable[[dict, Reason], str] | None = None
    spec: Any = None
    rules: tuple = ()  # a decision's (when, value, is_expr, reason), for the reachability check

    def explain(self, values: dict, reason: Reason) -> str:
        return self.describe(values, reason) if self.describe else reason.because


class Context:
    """What a construct's compile function may use: names, expressions, errors."""

    def __init__(self, file: str, root: dict, compile_expr, functions: dict, inputs: dict,
                 domains: dict) -> None:
        self.file, self.root = file, root
        self._compile_expr = compile_expr
        self.functions = functions
        self.inputs = inputs
        self.domains = domains  # name -> finite domain, filled as elements compile
        self.errors: list[RulebookError] = []

    def loc(self, *path, key: bool = False) -> Location:
        from ..validate import locate

        return locate(self.root, list(path), self.file, key=key)

    def suggest(self, name: str, candidates) -> str:
        """A "did you mean" hint, while the rulebook has few enough errors to afford one."""
        return suggest(name, candidates) if len(self.errors) < MAX_HINTED_ERRORS else ""

    def fail(self, message: str, *path, key: bool = False) -> None:
        self.errors.append(RulebookError(message, self.loc(*path, key=key)))

    def expr(self, source: Any, *path) -> Expression | None:
        try:
            return self._compile_expr(source, self.loc(*path))
        except RulebookError as exc:
            self.errors.append(exc.with_traceback(None))  # keep the message, not the compiler's frames
            return None


def _reason(spec: dict, default: dict, loc: Location, label: str) -> Reason:
    return Reason(
        because=spec.get("because") or default.get("because") or "",
        source=spec.get("source") or default.get("source"),
        loc=loc,
        label=label,
    )


def _unused(values: dict) -> Reason:  # placeholder for an element that failed to compile
    raise AssertionError("a rulebook with errors is never evaluated")


# -- factors -----------------------------------------------------------------
def compile_factor_group(name: str, spec: dict, ctx: Context) -> Element:
    section = ("factors", name)
    measure = spec.get("measure", "count")
    items = list(spec["items"])
    want = "boolean" if measure == "count" else "integer"
    for i, item in enumerate(items):
        field_ = ctx.inputs.get(item)
        if field_ is None:
            ctx.fail(f"factor `{item}` is not a declared input{ctx.suggest(item, ctx.inputs)}",
                     *section, "items", i)
        elif field_.type != want:
            ctx.fail(f"factor `{item}` must be a {want} input to {measure} it", *section, "items", i)
    reason = _reason(spec, {}, ctx.loc(*section, key=True), measure)

    if measure == "count":
        def run(v, _items=tuple(items)):
            v[name] = sum(1 for i in _items if v[i])
            return reason
    else:
        def run(v, _items=tuple(items)):
            total = sum(v[i] for i in _items)
            if not -MAX_NUMBER <= total <= MAX_NUMBER:
                raise ExprFault(f"the sum is outside the limit of ±{MAX_NUMBER:,}")
            v[name] = total
            return reason

    def describe(v, r):
        present = [i for i in items if v[i]] if measure == "count" else \
            [f"{i} {v[i]}" for i in items]
        listing = ", ".join(present) if present else "none"
        word = "present" if measure == "count" else "scored"
        return f"{r.because} ({word}: {listing})" if r.because else f"{word}: {listing}"

    return Element("factors", name, (name,), frozenset(items), reason.loc, spec.get("source"),
                   spec.get("because"), run, (reason,), describe=describe, spec=spec)


# -- thresholds --------------------------------------------------------------
def compile_threshold(name: str, spec: dict, ctx: Context) -> Element:
    section = ("thresholds", name)
    of = ctx.expr(spec["of"], *section, "of")
    loc = ctx.loc(*section, key=True)
    if "at_least" in spec:
        limit = spec["at_least"]
        yes = _reason(spec, {}, loc, f"{spec['of']} ≥ {limit}")
        no = Reason(f"not met: {spec.get('because', '')}".strip(), spec.get("source"), loc,
                    f"{spec['of']} < {limit}")
        missing = Reason("not known: the value it counts is missing", spec.get("source"), loc, "null")

        def run(v):
            x = of(v)
            if x is None:
                v[name] = None
                return missing
            v[name] = x >= limit
            return yes if v[name] else no

        def describe(v, r):
            x = of(v)
            return f"{x} ≥ {limit}: {r.because}" if r is yes else (
                f"{x} < {limit}, so not met" if r is no else r.because)

        return Element("thresholds", name, (name,), of.names if of else frozenset(), loc,
                       spec.get("source"), spec.get("because"), run if of else _unused,
                       (yes, no), domain=(True, False), describe=describe, spec=spec)

    bands = spec["bands"]
    table = []
    for i, band in enumerate(bands):
        low, high = band.get("from"), band.get("to")
        if low is None and i != 0:
            ctx.fail("only the first band may leave out `from`", *section, "bands", i)
        if high is None and i != len(bands) - 1:
            ctx.fail("only the last band may leave out `to`", *section, "bands", i)
        if low is not None and high is not None and low > high:
            ctx.fail(f"band {i + 1} runs backwards: from {low} to {high}", *section, "bands", i)
        if i:
            prev = bands[i - 1].get("to")
            if prev is not None and low is not None:
                if low <= prev:
                    ctx.fail(f"band {i + 1} (from {low}) overlaps band {i} (to {prev})",
                             *section, "bands", i, "from")
                elif low > prev + 1:
                    ctx.fail(f"gap between band {i} (to {prev}) and band {i + 1} (from {low}): "
                             f"{prev + 1}–{low - 1} falls in no band", *section, "bands", i, "from")
        label = f"band {'' if low is None else low}–{'' if high is None else high}"
        reason = _reason(band, spec, ctx.loc(*section, "bands", i), label.replace("band –", "band up to "))
        table.append((low, high, band["value"], reason))
    missing = Reason("not known: the value it bands is missing", spec.get("source"), loc, "null")

    def run(v):
        x = of(v)
        if x is None:
            v[name] = None
            return missing
        for low, high, value, reason in table:
            if (low is None or x >= low) and (high is None or x <= high):
                v[name] = value
                return reason
        # Never the value itself: it is the case's.
        raise ExprFault(f"the value falls outside every band of threshold `{name}`")

    def describe(v, r):
        return f"{of(v)} is in {r.label}: {r.because}" if r is not missing else r.because

    return Element("thresholds", name, (name,), of.names if of else frozenset(), loc,
                   spec.get("source"), spec.get("because"), run if of else _unused,
                   tuple(t[3] for t in table), domain=tuple(t[2] for t in table),
                   describe=describe, spec=spec)


# -- matrices ----------------------------------------------------------------
#: Most axes a matrix may have (its cells nest one level per axis).
MAX_MATRIX_AXES = 16
#: Missing cells of one matrix named one by one; the rest are counted.
MAX_CELLS_SHOWN = 10

def compile_matrix(name: str, spec: dict, ctx: Context) -> Element:
    section = ("matrices", name)
    by = list(spec["by"])
    axes = []
    for i, axis in enumerate(by):
        domain = ctx.domains.get(axis)
        if domain is None:
            ctx.fail(f"matrix axis `{axis}` must be an enum or boolean input, or an element with "
                     f"a fixed set of values{ctx.suggest(axis, ctx.domains)}", *section, "by", i)
            return Element("matrices", name, (name,), frozenset(by), ctx.loc(*section, key=True),
                           spec.get("source"), spec.get("because"), _unused, spec=spec)
        axes.append(tuple(d for d in domain if d is not None))
    if len(by) > MAX_MATRIX_AXES:
        ctx.fail(f"matrix `{name}` has {len(by)} axes; the limit is {MAX_MATRIX_AXES}", *section, "by")
        return Element("matrices", name, (name,), frozenset(by), ctx.loc(*section, key=True),
                       spec.get("source"), spec.get("because"), _unused, spec=spec)
    table, ok = _matrix_cells(name, spec, by, axes, ctx, section)
    _extra_keys(spec["cells"], axes, by, ctx, [*section, "cells"])
    missing = Reason("not known: an axis of the matrix is missing", spec.get("source"),
                     ctx.loc(*section, key=True), "null")
    key_of = operator.itemgetter(*by) if len(by) > 1 else (lambda v, _a=by[0]: (v[_a],))

    def run(v):
        hit = table.get(key_of(v))
        if hit is None:
            v[name] = None
            return missing
        v[name] = hit[0]
        return hit[1]

    def describe(v, r):
        return f"{r.label.removeprefix('cell ')} → {v[name]}" + (f": {r.because}" if r.because else "")

    values = tuple(dict.fromkeys(x[0] for x in table.values()))
    return Element("matrices", name, (name,), frozenset(by), ctx.loc(*section, key=True),
                   spec.get("source"), spec.get("because"), run if ok else _unused,
                   tuple(r for _, r in table.values()), domain=values, describe=describe, spec=spec)


def _matrix_cells(name, spec, by, axes, ctx, section) -> tuple[dict, bool]:
    """Every cell of the matrix by its combination of axis values, and whether all are there.

    Walks the cells as written rather than every combination of the axes, so
    the work is bounded by the file: 8 axes of 10 values with a row missing
    counts its 10⁷ missing cells without listing them (the first few are named).
    """
    table: dict[tuple, tuple[Any, Reason]] = {}
    index = [{value: i for i, value in enumerate(axis)} for axis in axes]
    below = [1] * (len(axes) + 1)  # how many cells lie under one key at each depth
    for depth in range(len(axes) - 1, -1, -1):
        below[depth] = below[depth + 1] * len(axes[depth])
    counts = {"missing": 0, "shown": 0}
    ok = True

    def name_missing(combo, path) -> None:
        # The first few missing cells under ``combo``, by their full combination.
        room = MAX_CELLS_SHOWN - counts["shown"]
        for rest in itertools.islice(itertools.product(*axes[len(combo):]), room):
            ctx.fail(f"matrix `{name}` has no cell for {_cell_label(by, combo + rest)}",
                     *section, *path, key=True)
            counts["shown"] += 1

    def walk(node, combo, path):
        nonlocal ok
        depth = len(combo)
        if depth == len(axes):
            if isinstance(node, dict):
                ctx.fail(f"matrix `{name}`: the cell for {_cell_label(by, combo)} must be a single value",
                         *section, *path)
                ok = False
                return
            reason = _reason({"because": spec.get("because")}, spec, ctx.loc(*section, *path),
                             f"cell {_cell_label(by, combo)}")
            table[combo] = (node, reason)
            return
        if not isinstance(node, dict):
            ctx.fail(f"matrix `{name}`: expected a row of cells for "
                     f"{' × '.join(map(str, combo))}", *section, *path)
            ok = False
            return
        axis = axes[depth]
        present = sorted({index[depth][k] for k in node if k in index[depth]})
        gaps = len(axis) - len(present)
        if gaps:
            ok = False
            counts["missing"] += gaps * below[depth + 1]
            for key in axis:  # only while there is room to name one more
                if counts["shown"] >= MAX_CELLS_SHOWN:
                    break
                if key not in node:
                    name_missing(combo + (key,), path)
        for i in present:
            key = axis[i]
            walk(node[key], combo + (key,), path + [key])

    walk(spec["cells"], (), ["cells"])
    if counts["missing"] > counts["shown"]:
        ctx.fail(f"matrix `{name}`: … and {counts['missing'] - counts['shown']:,} more missing cells",
                 *section, "cells", key=True)
    return table, ok


def _cell_label(by, combo) -> str:
    return " × ".join(f"{a} {_show(k)}" for a, k in zip(by, combo))


def _extra_keys(node, axes, by, ctx, path) -> None:
    if not axes or not isinstance(node, dict):
        return
    for key in node:
        if key not in axes[0]:
            ctx.fail(f"`{key}` is not a value of `{by[0]}`{ctx.suggest(str(key), map(str, axes[0]))}",
                     *path, key, key=True)
        else:
            _extra_keys(node[key], axes[1:], by[1:], ctx, path + [key])


# -- decisions ---------------------------------------------------------------
def compile_decision(name: str, spec: dict, ctx: Context) -> Element:
    section = ("decisions", name)
    kind = spec.get("type")
    allowed = spec.get("values")
    rules = []
    deps: set = set()
    literals = []
    for i, rule in enumerate([*spec.get("rules", ()), spec["otherwise"]]):
        last = i == len(spec.get("rules", ()))
        path = (*section, "otherwise") if last else (*section, "rules", i)
        when = None if last else ctx.expr(rule["when"], *path, "when")
        if "expr" in rule:
            value = ctx.expr(rule["expr"], *path, "expr")
            is_expr = True
        else:
            value, is_expr = _literal(rule["value"], kind, allowed, ctx, path), False
            literals.append(value)
        for e in (when, value if is_expr else None):
            if e is not None:
                deps |= e.names
        reason = _reason(rule, spec, ctx.loc(*path, key=True), "otherwise" if last else f"rule {i + 1}")
        rules.append((when, value, is_expr, reason))
    if any(r[0] is None for r in rules[:-1]) or any(r[2] and r[1] is None for r in rules):
        run = _unused
    else:
        guarded = tuple(rules[:-1])
        _, final_value, final_expr, final_reason = rules[-1]
        convert = _converter(kind)

        def run(v):
            for when, value, is_expr, reason in guarded:
                if when.fn(v):
                    v[name] = convert(value.fn(v)) if is_expr else value
                    return reason
            v[name] = convert(final_value.fn(v)) if final_expr else final_value
            return final_reason

    exprs = any(r[2] for r in rules)
    domain = None if exprs else tuple(dict.fromkeys(_hashable(x) for x in literals))
    if allowed is not None:
        domain = tuple(allowed)
    return Element("decisions", name, (name,), frozenset(deps), ctx.loc(*section, key=True),
                   spec.get("source"), spec.get("because"), run, tuple(r[3] for r in rules),
                   domain=domain if domain and all(_is_hashable(d) for d in domain) else None,
                   spec=spec, rules=tuple(rules))


def _hashable(x):
    return tuple(x) if isinstance(x, list) else x


def _is_hashable(x) -> bool:
    try:
        hash(x)
        return True
    except TypeError:
        return False


def _literal(value, kind, allowed, ctx, path):
    if allowed is not None and value not in allowed:
        ctx.fail(f"value `{value}` is not one of this decision's values: "
                 f"{', '.join(map(str, allowed))}", *path, "value")
    if kind == "interval" and value is not None:
        try:
            return parse_interval(value)
        except ValueError as exc:
            ctx.fail(f"`{value}` {exc}", *path, "value")
    return value


def _to_interval(x):
    if x is None or isinstance(x, Interval):
        return x
    try:
        return parse_interval(x)
    except ValueError as exc:
        raise ExprFault(f"the value {exc}") from None  # never the value: it may be a case's


def _converter(kind):
    if kind == "interval":
        return _to_interval
    if kind == "boolean":
        return lambda x: None if x is None else bool(x)
    return lambda x: x


# -- reserved tasks ----------------------------------------------------------
def compile_reserved(name: str, spec: dict, ctx: Context) -> Element:
    section = ("reserved_tasks", name)
    tasks_input, role_input = spec["tasks_input"], spec.get("role_input")
    field_ = ctx.inputs.get(tasks_input)
    if field_ is None or field_.type != "list":
        ctx.fail(f"`{tasks_input}` must be a declared list input{ctx.suggest(tasks_input, ctx.inputs)}",
                 *section, "tasks_input")
    else:
        for i, task in enumerate(spec["tasks"]):
            if task not in field_.values:
                ctx.fail(f"task `{task}` is not a value of `{tasks_input}`"
                         f"{ctx.suggest(task, field_.values)}", *section, "tasks", i)
    if role_input is not None:
        role = ctx.inputs.get(role_input)
        if role is None or role.type != "enum":
            ctx.fail(f"`{role_input}` must be a declared enum input{ctx.suggest(role_input, ctx.inputs)}",
                     *section, "role_input")
        else:
            for i, r in enumerate(spec["roles"]):
                if r not in role.values:
                    ctx.fail(f"role `{r}` is not a value of `{role_input}`{ctx.suggest(r, role.values)}",
                             *section, "roles", i)
    loc = ctx.loc(*section, key=True)
    some = _reason(spec, {}, loc, "reserved tasks present")
    none_ = Reason("none of the case's tasks is reserved", spec.get("source"), loc, "no reserved task")
    reserved, roles = frozenset(spec["tasks"]), frozenset(spec["roles"])
    permitted_as = spec.get("permitted_as")

    def run(v):
        present = [t for t in v[tasks_input] if t in reserved]
        v[name] = present
        if permitted_as:
            role = v[role_input]
            v[permitted_as] = None if role is None else (role in roles or not present)
        return some if present else none_

    def describe(v, r):
        present = v[name]
        who = " or ".join(spec["roles"])
        text = (f"{', '.join(present)} may only be held by {who}: {r.because}" if present else r.because)
        if permitted_as and v[role_input] is not None:
            verdict = "may" if v[permitted_as] else "may not"
            text += f"; the proposed role ({v[role_input]}) {verdict} hold them"
        return text

    outputs = (name, permitted_as) if permitted_as else (name,)
    deps = {tasks_input} | ({role_input} if role_input else set())
    return Element("reserved_tasks", name, outputs, frozenset(deps), loc, spec.get("source"),
                   spec.get("because"), run, (some, none_), describe=describe, spec=spec)


# -- cadences ----------------------------------------------------------------
def compile_cadence(name: str, spec: dict, ctx: Context) -> Element:
    section = ("cadences", name)
    start = ctx.expr(spec["from"], *section, "from")
    every = _interval_or_expr(spec["every"], ctx, *section, "every")
    overdue_as = spec.get("overdue_as")
    loc = ctx.loc(*section, key=True)
    reason = _reason(spec, {}, loc, "due date")
    missing = Reason("no start date, so nothing is due", spec.get("source"), loc, "no start date")
    add = ctx.functions["add"]

    def run(v):
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

    def describe(v, r):
        if r is missing:
            return r.because
        due = v[name]
        text = f"{start.fn(v).isoformat()} + {every.fn(v)} = {due.isoformat()}"
        if overdue_as:
            late = (due + _dt.timedelta(days=1)).isoformat()
            text += f", overdue since {late}" if v[overdue_as] else f", overdue from {late}"
        return f"{r.because}: {text}" if r.because else text

    deps = (start.names | every.names) if start and every else frozenset()
    outputs = (name, overdue_as) if overdue_as else (name,)
    return Element("cadences", name, outputs, deps | {"as_of"}, loc, spec.get("source"),
                   spec.get("because"), run if start and every else _unused, (reason,),
                   describe=describe, spec=spec)


def _interval_or_expr(source, ctx: Context, *path) -> Expression | None:
    """``every:`` is a plain interval ("14 days") or an expression giving one."""
    if isinstance(source, str) and source.strip()[:1].isdigit():
        try:
            step = parse_interval(source)
        except ValueError as exc:
            ctx.fail(f"`{source}` {exc}", *path)
            return None
        return Expression(source, frozenset(), lambda v: step, ctx.loc(*path))
    return ctx.expr(source, *path)


# -- checklists --------------------------------------------------------------
def compile_checklist(name: str, spec: dict, ctx: Context) -> Element:
    section = ("checklists", name)
    gate = ctx.expr(spec["when"], *section, "when") if "when" in spec else None
    items, deps = [], set(gate.names if gate else ())
    for i, item in enumerate(spec["items"]):
        if ";" in item["item"]:
            ctx.fail("a checklist item may not contain `;`: CSV output separates list items with it",
                     *section, "items", i, "item")
        cond = ctx.expr(item["when"], *section, "items", i, "when") if "when" in item else None
        if cond is not None:
            deps |= cond.names
        reason = Reason(item["item"], item.get("source") or spec.get("source"),
                        ctx.loc(*section, "items", i), f"item {i + 1}")
        items.append((cond, item["item"], reason, "when" in item))
    loc = ctx.loc(*section, key=True)
    closed = Reason("does not apply to this case", spec.get("source"), loc, "not applicable")
    listed = _reason(spec, {}, loc, "items")
    broken = (gate is None and "when" in spec) or any(c is None and has for c, _, _, has in items)

    def run(v):
        if gate is not None and not gate.fn(v):
            v[name] = []
            return closed
        v[name] = [text for cond, text, _, _ in items if cond is None or cond.fn(v)]
        return listed

    def describe(v, r):
        if r is closed:
            return r.because
        return f"{len(v[name])} item(s)" + (f": {r.because}" if r.because else "")

    return Element("checklists", name, (name,), frozenset(deps), loc, spec.get("source"),
                   spec.get("because"), _unused if broken else run,
                   tuple(i[2] for i in items), describe=describe, spec=spec)


CONSTRUCTS: dict[str, Callable[[str, dict, Context], Element]] = {
    "factors": compile_factor_group,
    "thresholds": compile_threshold,
    "matrices": compile_matrix,
    "decisions": compile_decision,
    "reserved_tasks": compile_reserved,
    "cadences": compile_cadence,
    "checklists": compile_checklist,
}
