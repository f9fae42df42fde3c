"""Stage 3, compile: a validated rulebook becomes a reusable evaluator.

Every expression is parsed and compiled once, every name is resolved, and the
elements are put in dependency order, so evaluating a case does no parsing and
no look-ups by string beyond a dict access. All problems are collected, through
one :class:`Context` positioned where each is found, and raised together as
:class:`RulebookInvalid`. Compile imports neither evaluate nor render: a
:class:`Rulebook` is given them as :class:`Stages` by whoever loads it (see
``pipeline``).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import itertools
import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from . import expressions
from .constructs import BY_SECTION, COMPILE_ORDER, Context, Element
from .dates import calendar as make_calendar, parse_date
from ..errors import Location, RulebookError, RulebookInvalid, suggest
from .inputs import CaseReader, Input, input_from_spec
from .labels import Labels, acronyms_in, compile_labels
from .load import open_regular
from .templates import check_templates, hash_templates

if TYPE_CHECKING:  # for annotations only: compile sits below the stages that use it
    from .evaluate import Decision

#: Names every expression may read besides the rulebook's own.
BUILTIN_NAMES = ("as_of",)
#: Most condition evaluations (combinations of values × rules) the
#: unreachable-rule check spends on one decision, and on a whole rulebook.
#: A decision over the limit is not checked, and a note says so.
REACHABILITY_LIMIT = 100_000
REACHABILITY_TOTAL = 500_000
#: Most such notes listed; a last one counts the rest.
MAX_NOTES = 10
#: The order constructs compile in (the registry's, matrices last: their axes
#: may be other elements whose set of values must already be known).
ORDER = tuple(c.section for c in COMPILE_ORDER)


@dataclass
class Metadata:
    id: str
    title: str
    council: str
    version: str
    effective_from: _dt.date
    review_by: _dt.date
    sources: dict
    summary: str = ""

    def as_dict(self) -> dict:
        return {"id": self.id, "version": self.version, "title": self.title, "council": self.council}


@dataclass
class Document:
    id: str
    title: str
    audience: str
    template: str
    when: Any  # Expression or None
    source: str | None
    loc: Location
    #: ``letter`` (to a person: laid out, and refused while a setting it uses is a placeholder) or ``note``.
    kind: str = "letter"
    #: The inputs holding the recipient's name, and each line of their address (or one input for all).
    recipient_name: str | None = None
    recipient_address: tuple = ()


#: ``{name}`` in a letterhead line: a setting's value.
SETTING_NAME = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Letterhead:
    """How the rulebook's letters are laid out: text lines with ``{setting}`` names."""

    lines: tuple = ()
    sign_off: tuple = ()
    word: str | None = None  # a .docx in the templates folder, that Word letters are written into

    def settings(self) -> set[str]:
        """The settings the letterhead and sign-off print."""
        return {name for line in self.lines + self.sign_off for name in SETTING_NAME.findall(line)}

    def fill(self, lines: tuple, settings: dict) -> list[str]:
        """``lines`` with each ``{setting}`` replaced by its value; a line left empty is dropped."""
        filled = [SETTING_NAME.sub(lambda m: str(settings.get(m[1], "")), line).strip() for line in lines]
        return [line for line in filled if line]


@dataclass(frozen=True)
class Stages:
    """The stages after compile, as a loaded rulebook runs them: ``evaluate(book,
    case, as_of, **options)``, ``render(decision, document_id, **options)`` and
    ``ahead(book, values, as_of, horizon, skip=...)`` (what changes next, read
    lazily by a decision). Given by the pipeline, which sits above compile,
    evaluate and render alike."""

    evaluate: Callable[..., Any]
    render: Callable[..., str]
    ahead: Callable[..., list] | None = None
    alternatives: Callable[..., list] | None = None  # (decision): what would change its answers


@dataclass
class Rulebook:
    """A compiled rulebook: evaluate it against as many cases as you like."""

    path: str
    meta: Metadata
    inputs: dict[str, Input]
    elements: list[Element]
    outcomes: list[str]
    documents: dict[str, Document]
    settings: dict
    calendar: Any
    functions: dict
    template_dirs: list
    tests: list
    worklist: dict
    data: Any
    files: list = field(default_factory=list)  # the rulebook and the bases it extends
    notes: list = field(default_factory=list)  # checks that were skipped: RulebookErrors, not fatal
    effective: Any = None
    sha256: str = ""
    template_hashes: dict = field(default_factory=dict)  # real path -> SHA-256, as hashed into sha256
    stages: Stages | None = None
    #: Every (name, constant, membership) an expression compares a name with: candidate values of inputs.
    literals: tuple = ()
    #: Every expression the rulebook compiled, in the order compiled (each with its source and place).
    expressions: tuple = ()
    #: The settings whose value is a placeholder a council must replace (``{placeholder: ...}``).
    placeholders: frozenset = frozenset()
    letterhead: Letterhead = Letterhead()
    #: What people call the rulebook's names and values (``labels:``, else humanised).
    labels: Labels = Labels()
    reader: CaseReader = field(init=False)
    producers: dict = field(init=False)

    def __post_init__(self) -> None:
        self.reader = CaseReader(self.inputs)
        self.producers = {out: el for el in self.elements for out in el.outputs}

    def evaluate(self, case: Any, as_of: _dt.date | None = None, *, explain: bool = False,
                 origin: Location | None = None, partial: bool = False, horizon: int | None = None,
                 alternatives: bool = False) -> Decision:
        """The :class:`~policyengine.Decision` for one case (a mapping, as loaded from YAML
        or JSON), as :func:`policyengine.evaluate` makes it (``horizon`` None: its default)."""
        more = {} if horizon is None else {"horizon": horizon}
        return self._stages().evaluate(self, case, as_of, explain=explain, origin=origin, partial=partial,
                                       alternatives=alternatives, **more)

    def render(self, decision: Decision, document_id: str, *, deadline: float | None = None) -> str:
        """One of the rulebook's documents for a decision this rulebook made."""
        if decision.rulebook is not self:
            raise ValueError(f"the decision was made by rulebook `{decision.rulebook.meta.id}`, "
                             f"not by this one (`{self.meta.id}`)")
        return self._stages().render(decision, document_id, deadline=deadline)

    def _stages(self) -> Stages:
        if self.stages is None:
            raise TypeError("this rulebook was compiled on its own: load it with policyengine.load_rulebook "
                            "to evaluate cases")
        return self.stages

    def case_schema(self) -> dict:
        return self.reader.json_schema(f"Case file for {self.meta.title} ({self.meta.id} {self.meta.version})")


def compile_rulebook(data: dict, path: str, template_dirs: list[str] | None = None,
                     files: list[str] | None = None, *, stages: Stages | None = None,
                     sources: dict[str, bytes] | None = None,
                     hashed: tuple[str, dict[str, str]] | None = None) -> Rulebook:
    """A rulebook that has passed the schema (``validate.schema_errors``), compiled.

    ``files`` are the rulebook and the bases it extends, hashed into ``sha256``;
    ``sources`` holds the text of any that was never a file (loaded from text).
    ``hashed`` is the ``(sha256, template_hashes)`` of this same data compiled
    before (in the parent of a worker process): no file is read again."""
    top = Context(path, data)
    errors = top.errors  # one list, shared by every context made from ``top``
    meta = _metadata(data["rulebook"])
    cal, funcs = _calendar(data, top)
    inputs = _compile_inputs(data, top)
    owner = _check_names(data, inputs, top)
    known = set(owner) | set(BUILTIN_NAMES)
    ctx, compiled = _with_expressions(top, inputs, known, funcs)
    elements = _compile_elements(data, ctx)
    outcomes = _check_outcomes(data, inputs, owner, ctx)
    _check_expectations(data, inputs, owner, ctx)
    _check_worklist(data.get("worklist") or {}, known, ctx.at("worklist"))
    _check_citations(data, meta.sources, ctx)
    ordered = _order(elements, errors)
    documents = _compile_documents(data, inputs, ctx)
    _check_literals(compiled, ctx.domains, inputs, errors)
    labels = _labels(data, inputs, owner, elements, ctx)
    notes: list[RulebookError] = top.notes  # a construct's skipped checks, then reachability's
    if not errors:
        _check_reachability(elements, ctx, notes)
    template_dirs = template_dirs or [
        os.path.join(os.path.dirname(os.path.abspath(path)), "templates", meta.id)]
    settings, placeholders = _settings(data.get("settings") or {})
    letterhead = _letterhead(data.get("letterhead") or {}, settings, ctx.at("letterhead"))
    book = Rulebook(path, meta, inputs, ordered, outcomes, documents,
                    settings, cal, funcs, template_dirs,
                    list(data.get("tests") or []), dict(data.get("worklist") or {}), data,
                    files=list(files or [path]), notes=notes, stages=stages,
                    literals=tuple(lit for expr in compiled for lit in expr.literals), expressions=tuple(compiled),
                    placeholders=placeholders, letterhead=letterhead, labels=labels)
    if hashed is not None and not errors:
        book.sha256, book.template_hashes = hashed  # checked and hashed when first compiled
        return book
    if not errors:
        errors.extend(check_templates(book))
    if errors:
        raise RulebookInvalid(errors)
    book.sha256 = _digest(book, sources or {})
    return book


def _with_expressions(top: Context, inputs: dict[str, Input], known: set,
                      funcs: dict) -> tuple[Context, list[expressions.Expression]]:
    """A context that compiles expressions over the ``known`` names, and the list of those it compiled."""
    types = {n: i.type for n, i in inputs.items()} | {"as_of": "date"}
    compiled: list[expressions.Expression] = []

    def compile_expr(source: Any, loc: Location) -> expressions.Expression:
        expr = expressions.compile_expression(source, loc, known, funcs, hints=ctx.hints, types=types)
        compiled.append(expr)
        return expr

    domains = {n: i.domain for n, i in inputs.items() if i.domain is not None}
    ctx = top.using(compile_expr=compile_expr, functions=funcs, inputs=inputs, domains=domains)
    return ctx, compiled


def _metadata(spec: dict) -> Metadata:
    return Metadata(
        id=spec["id"], title=spec["title"], council=spec["council"],
        version=str(spec["version"]), sources=dict(spec["sources"]),
        effective_from=parse_date(spec["effective_from"]),
        review_by=parse_date(spec["review_by"]), summary=spec.get("summary", ""),
    )


def _calendar(data: dict, ctx: Context) -> tuple[Any, dict]:
    """The holiday calendar and the functions expressions may call, which use it."""
    cal_spec = data.get("calendar") or {}
    try:
        cal = make_calendar(cal_spec.get("country", "GB"), cal_spec.get("subdiv", "ENG"))
    except (NotImplementedError, KeyError, ValueError) as exc:
        ctx.fail(f"unknown holiday calendar: {exc}", "calendar", key=True)
        cal = make_calendar()
    return cal, expressions.functions(cal)


def _check_names(data: dict, inputs: dict[str, Input], ctx: Context) -> dict[str, tuple]:
    """Each name is defined once: by an input, or by one element (and what it also defines).
    Returns where each is defined, as (section, name)."""
    owner: dict[str, tuple] = {n: ("inputs", n) for n in inputs}
    for name in BUILTIN_NAMES:
        if name in inputs:
            ctx.fail(f"`{name}` is a reserved name; call the input something else", "inputs", name, key=True)
    for section in [s for s in data if s in BY_SECTION]:  # file order: the later one is the repeat
        also = BY_SECTION[section].also_defines
        for name, spec in (data.get(section) or {}).items():
            for out in [name] + [spec[k] for k in also if spec.get(k)]:
                if out in owner:
                    ctx.fail(f"`{out}` is already defined in {owner[out][0]}", section, name, key=True)
                owner.setdefault(out, (section, name))
    return owner


def _compile_elements(data: dict, ctx: Context) -> list[Element]:
    """Every construct's elements, each compiled in a context positioned at it."""
    elements: list[Element] = []
    for construct in COMPILE_ORDER:
        section = construct.section
        for name, spec in (data.get(section) or {}).items():
            element = construct.compile(name, spec, ctx.at(section, name))
            elements.append(element)
            if element.domain is not None:
                ctx.domains[name] = element.domain
            if element.value_kind is not None:
                ctx.kinds[name] = element.value_kind
            for out in element.outputs[1:]:
                ctx.domains[out] = (True, False, None)
    return elements


def _check_outcomes(data: dict, inputs: dict[str, Input], owner: dict, ctx: Context) -> list[str]:
    outcomes = list(data["outcomes"])
    for i, name in enumerate(outcomes):
        if name not in owner or name in inputs:
            what = "is an input, not an outcome" if name in inputs else "is not defined"
            ctx.fail(f"outcome `{name}` {what}{'' if name in inputs else suggest(name, owner)}", "outcomes", i)
    return outcomes


def _check_expectations(data: dict, inputs: dict[str, Input], owner: dict, ctx: Context) -> None:
    """Each outcome a rulebook's test expects is one the rulebook works out: a
    mistyped name there made a test that `validate` passed and `test` failed."""
    for i, test in enumerate(data.get("tests") or []):
        here = ctx.at("tests", i, "expect")
        for name in test.get("expect") or {}:
            if name in inputs:
                here.fail(f"test `{test['name']}` expects `{name}`, which is an input, not an outcome", name, key=True)
            elif name not in owner:
                here.fail(f"test `{test['name']}` expects `{name}`, which this rulebook does not work out"
                          f"{suggest(name, [n for n in owner if n not in inputs])}", name, key=True)


def _check_literals(compiled: list[expressions.Expression], domains: dict, inputs: dict[str, Input],
                    errors: list[RulebookError]) -> None:
    """Each constant an expression compares a name with is a value that name can
    take: `route == 'reveiw_tray'` or `escalate_to_ssm == 'yes'` would never be
    true, and the rule would silently never apply."""
    items = {n: i.values for n, i in inputs.items() if i.type == "list" and i.values}
    for expr in compiled:
        for name, literal, membership in expr.literals:
            values = items.get(name) if membership else domains.get(name)
            if values is None or literal is None:
                continue  # no finite set of values to check against (numbers, dates, text)
            if any(type(v) is type(literal) and v == literal for v in values):
                continue
            shown = [_word(v) for v in values if v is not None]
            hint = suggest(str(literal), [str(v) for v in values if isinstance(v, str)])
            what = f"`{name}` never holds `{_word(literal)}`" if membership else \
                f"`{name}` is never `{_word(literal)}`"
            errors.append(RulebookError(
                f"in expression `{expr.source}`: {what}; its values are {', '.join(shown)}{hint}", expr.loc))


def _labels(data: dict, inputs: dict[str, Input], owner: dict, elements: list[Element], ctx: Context) -> Labels:
    """The ``labels:`` section, checked against the names the rulebook defines and their values."""
    named = {n: (i.values if i.type in ("enum", "list") else None) for n, i in inputs.items()}
    named |= {n: ctx.domains.get(n) for n in owner if n not in inputs and n not in BUILTIN_NAMES}
    values_of = {out: el.values_of for el in elements if el.values_of for out in el.outputs[:1]}
    return compile_labels(data.get("labels") or {}, named, ctx.at("labels"), acronyms_in(data), values_of,
                          _kinds(data, inputs, elements, ctx))


def _kinds(data: dict, inputs: dict[str, Input], elements: list[Element], ctx: Context) -> dict[str, str]:
    """What each name holds, where it is known (for how a condition reads: "before" a date)."""
    kinds = {n: {"integer": "number"}.get(i.type, i.type) for n, i in inputs.items()}
    for el in elements:
        for out in el.outputs:
            domain = ctx.domains.get(out)
            if domain is not None and all(isinstance(d, bool) or d is None for d in domain):
                kinds[out] = "boolean"
        if el.kind == "cadences":
            kinds[el.name] = "date"
        elif el.kind in ("reserved_tasks", "checklists"):
            kinds[el.name] = "list"
        elif el.kind == "decisions" and (data.get("decisions") or {}).get(el.name, {}).get("type"):
            given = data["decisions"][el.name]["type"]
            kinds[el.name] = {"integer": "number"}.get(given, given)
    return kinds | ctx.kinds


def _word(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _check_citations(data: dict, sources: dict, ctx: Context) -> None:
    """Every `source:` cites a source the rulebook declares: its first word
    (`pwt Principles`, `article, workload vignette`) names it. A mistyped key
    would otherwise cite nothing while the answer looked referenced."""
    stack: list[tuple[Any, tuple]] = [(data[s], (s,)) for s in data if s not in ("rulebook", "tests")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "source" and isinstance(value, str):
                    cited = value.split()[0].rstrip(",;:.") if value.split() else ""
                    if cited not in sources:
                        ctx.fail(f"`source:` cites `{cited}`, which is not one of the rulebook's sources "
                             f"({', '.join(sorted(sources))})", *where, key)
                else:
                    stack.append((value, (*where, key)))
        elif isinstance(node, list):
            stack.extend((value, (*where, i)) for i, value in enumerate(node))


def _compile_inputs(data: dict, ctx: Context) -> dict[str, Input]:
    inputs: dict[str, Input] = {}
    for name, spec in data["inputs"].items():
        here = ctx.at("inputs", name)
        field_ = input_from_spec(name, spec, here.loc(key=True))
        if spec["type"] not in ("enum", "list") and "values" in spec:
            here.fail("`values` only applies to enum and list inputs", "values", key=True)
        if "default" in spec and spec["default"] is not None and (field_.type != "list" or spec["default"]):
            try:
                field_.default = field_.coerce(field_.default)
            except ValueError as exc:
                here.fail(f"default of `{name}` {exc}", "default")
        if field_.required and "default" in spec:
            here.fail(f"`{name}` is required, so it cannot have a default", "default", key=True)
        inputs[name] = field_
    case_id = inputs.get("case_id")
    if case_id is None or case_id.type != "string" or not case_id.required:
        ctx.fail("every rulebook declares `case_id` as a required string input", "inputs", key=True)
    return inputs


def _settings(spec: dict) -> tuple[dict, frozenset]:
    """Each setting's value, and the names of those marked ``{placeholder: value}``:
    a stand-in (a phone number nobody has filled in) that templates print as it is,
    but that a council must replace before a letter goes out."""
    values, placeholders = {}, set()
    for name, value in spec.items():
        if isinstance(value, dict):
            value = value["placeholder"]
            placeholders.add(name)
        values[name] = value
    return values, frozenset(placeholders)


def _check_worklist(spec: dict, known: set, ctx: Context) -> None:
    """Every name the worklist reads must be one the rulebook defines."""
    def check(name: str, *where: Any) -> None:
        if name not in known:
            ctx.fail(f"worklist: `{name}` is not defined{suggest(name, known)}", *where)

    for part in ("escalations", "due", "breaches"):
        for i, item in enumerate(spec.get(part, [])):
            for key in ("flag", "date"):
                if item.get(key):
                    check(item[key], part, i, key)
    if spec.get("actions"):
        check(spec["actions"], "actions")
    for i, name in enumerate(spec.get("summary", [])):
        check(name, "summary", i)


def _order(elements: list[Element], errors: list[RulebookError]) -> list[Element]:
    """Elements in dependency order; a cycle is an error at its first element."""
    producer = {out: el for el in elements for out in el.outputs}
    state: dict[str, int] = {}
    ordered: list[Element] = []

    def visit(el: Element, trail: list[str]) -> None:
        mark = state.get(el.name)
        if mark == 2:
            return
        if mark == 1:
            cycle = trail[trail.index(el.name):] + [el.name]
            errors.append(RulebookError(f"`{el.name}` depends on itself: {' → '.join(cycle)}", el.loc))
            return
        state[el.name] = 1
        for dep in sorted(el.deps):
            if dep in producer and producer[dep] is not el:
                visit(producer[dep], trail + [el.name])
        state[el.name] = 2
        ordered.append(el)

    for el in elements:
        visit(el, [])
    return ordered


def _compile_documents(data: dict, inputs: dict[str, Input], ctx: Context) -> dict[str, Document]:
    docs = {}
    for doc_id, spec in (data.get("documents") or {}).items():
        here = ctx.at("documents", doc_id)
        when = here.expr(spec["when"], "when") if "when" in spec else None
        name, address = _recipient(spec.get("recipient") or {}, inputs, here.at("recipient"))
        docs[doc_id] = Document(doc_id, spec["title"], spec["audience"], spec["template"], when,
                                spec.get("source"), here.loc("template"), kind=spec.get("kind", "letter"),
                                recipient_name=name, recipient_address=address)
    return docs


def _recipient(spec: dict, inputs: dict[str, Input], ctx: Context) -> tuple[str | None, tuple]:
    """The inputs naming a letter's recipient and their address: declared string inputs."""
    address = spec.get("address") or ()
    lines = [(("address",), address)] if isinstance(address, str) else \
        [(("address", i), name) for i, name in enumerate(address)]
    for where, name in [(("name",), spec.get("name"))] + lines:
        if name is None:
            continue
        if name not in inputs:
            ctx.fail(f"the recipient's {where[0]} must be an input of the rulebook: `{name}` is not declared"
                     f"{ctx.suggest(name, inputs)}", *where)
        elif inputs[name].type != "string":
            ctx.fail(f"the recipient's {where[0]} must be a string input: `{name}` is a {inputs[name].type}",
                     *where)
    return spec.get("name"), ((address,) if isinstance(address, str) else tuple(address))


def _letterhead(spec: dict, settings: dict, ctx: Context) -> Letterhead:
    """The letterhead and sign-off lines, each ``{name}`` in them a declared setting."""
    for part in ("lines", "sign_off"):
        for i, line in enumerate(spec.get(part) or []):
            for name in SETTING_NAME.findall(line):
                if name not in settings:
                    ctx.fail(f"letterhead: `{{{name}}}` is not one of the rulebook's settings"
                             f"{ctx.suggest(name, settings)}", part, i)
            if "{" in SETTING_NAME.sub("", line) or "}" in SETTING_NAME.sub("", line):
                ctx.fail("letterhead: a line has a `{` or `}` that does not enclose a setting's name", part, i)
    return Letterhead(tuple(spec.get("lines") or ()), tuple(spec.get("sign_off") or ()), spec.get("word"))


def _check_reachability(elements: list[Element], ctx: Context, notes: list[RulebookError]) -> None:
    """A rule that can never fire, because earlier rules always match first.

    Every name the decision's conditions read is given each value it can take,
    independently of the others. That is more combinations than real cases can
    produce, so a rule that wins in none of them can never win in a real case.
    Decisions reading a name with no finite set of values are not checked;
    nor, with a note, are those whose combinations × rules exceed
    REACHABILITY_LIMIT or the rulebook's remaining share of REACHABILITY_TOTAL
    (so no rulebook can make validation, or every run and server start, slow).
    """
    domains, budget, skipped = ctx.domains, REACHABILITY_TOTAL, 0
    for el in elements:
        rules = el.rules
        if len(rules) < 2:
            continue
        names = sorted(set().union(*(r[0].names for r in rules[:-1])))
        if any(n not in domains for n in names):
            continue
        space = [domains[n] for n in names]
        cost = len(rules) - 1
        for d in space:
            cost *= len(d)
        here = ctx.at(el.kind, el.name)
        if cost > min(REACHABILITY_LIMIT, budget):
            skipped += 1
            if skipped <= MAX_NOTES:
                notes.append(RulebookError(
                    f"note: `{el.name}` was not checked for rules that can never fire: its conditions need "
                    f"{cost:,} evaluations (combinations of values × rules), over the limit of "
                    f"{min(REACHABILITY_LIMIT, budget):,}", here.loc(key=True)))
            continue
        budget -= cost
        _unreachable_rules(el, names, space, here)
    if skipped > MAX_NOTES:
        notes.append(RulebookError(f"note: … and {skipped - MAX_NOTES:,} more decisions not checked "
                                   "for rules that can never fire", Location(ctx.file)))


def _unreachable_rules(el: Element, names: list, space: list, ctx: Context) -> None:
    """Each rule of ``el`` that wins in no combination of its names' values."""
    rules = el.rules
    fired = [False] * (len(rules) - 1)
    for combo in itertools.product(*space):
        v = dict(zip(names, combo))
        for i, (when, *_rest) in enumerate(rules[:-1]):
            try:
                hit = when.fn(v)
            except Exception:  # noqa: BLE001 - an unevaluable combination proves nothing
                break
            if hit:
                fired[i] = True
                break
    for i, ok in enumerate(fired):
        if not ok:
            ctx.fail(f"rule {i + 1} of `{el.name}` can never fire: earlier rules always match first"
                     if _satisfiable(rules[i][0], names, space) else
                     f"rule {i + 1} of `{el.name}` can never fire: its condition is never true",
                     "rules", i, key=True)


def _satisfiable(when: expressions.Expression, names: list, space: list) -> bool:
    for combo in itertools.product(*space):
        try:
            if when.fn(dict(zip(names, combo))):
                return True
        except Exception:  # noqa: BLE001
            continue
    return False


def _digest(book: Rulebook, sources: dict[str, bytes]) -> str:
    """SHA-256 over the rulebook, the bases it extends and every file in their
    templates folders (any of which a document can include)."""
    h = hashlib.sha256()
    for file in book.files:
        if file in sources:
            h.update(sources[file] + b"\0")
            continue
        with open_regular(file) as fh:  # read once already; a FIFO swapped in since must not hang
            h.update(fh.read() + b"\0")
    book.template_hashes = hash_templates(book, h)
    return h.hexdigest()
