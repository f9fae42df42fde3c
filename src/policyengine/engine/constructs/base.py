"""What every construct shares: the compiled :class:`Element`, the
:class:`Reason` behind a value, the :class:`Context` a construct compiles in,
and the :class:`Construct` record the registry keeps for each one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ...errors import MAX_HINTED_ERRORS, Location, RulebookError, suggest
from .. import english
from ..expressions import Expression
from ..labels import Labels
from ..load import locate
from ..sqlvalues import SqlValue, case, first_fault, guarded, truthy


@dataclass(frozen=True)
class Reason:
    """Why an element has its value: the rule, cell or band that decided it."""

    because: str
    source: str | None
    loc: Location
    label: str  # e.g. "rule 2", "otherwise", "cell none × high", "band 10–13"
    #: The rule's expression as the rulebook writes it, for policy owners (``--explain``'s technical line).
    technical: str = ""


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
    #: Why, for this case, in words: ``describe(values, reason, labels)``.
    describe: Callable[[dict, Reason, Labels], str] | None = None
    rules: tuple = ()  # a decision's (when, value, is_expr, reason), for the reachability check
    items: tuple = ()  # a checklist's (id, text) per item: one spreadsheet column each
    #: The kind of value its output always holds, where no finite set says it: "count": a whole number, never None.
    value_kind: str | None = None
    #: The input whose values its output holds (a reserved-task list holds its tasks input's), if any.
    values_of: str | None = None

    def explain(self, values: dict, reason: Reason, labels: Labels | None = None) -> str:
        """Why this element has its values for this case, named as ``labels`` name things."""
        labels = Labels() if labels is None else labels
        return self.describe(values, reason, labels) if self.describe else reason.because


class Context:
    """What a construct's compile function may use: names, expressions, errors.

    Positioned at a path in the rulebook (``at`` descends, as jsonschema's
    ``descend`` does), so a construct names only the part below its own
    element: ``ctx.fail(message, "bands", 2)``. Every context made by ``at``
    shares one list of errors, the rulebook's.
    """

    def __init__(self, file: str, root: Any, *, compile_expr: Callable[[Any, Location], Expression] | None = None,
                 functions: dict | None = None, inputs: dict | None = None, domains: dict | None = None,
                 path: tuple = (), errors: list[RulebookError] | None = None,
                 notes: list[RulebookError] | None = None) -> None:
        self.file, self.root, self.path = file, root, path
        self.compile_expr = compile_expr
        self.functions = {} if functions is None else functions
        self.inputs = {} if inputs is None else inputs
        self.domains = {} if domains is None else domains  # name -> finite domain, filled as elements compile
        self.kinds: dict[str, str] = {}  # name -> the kind of value an element gives ("count"), where known
        self.errors: list[RulebookError] = [] if errors is None else errors
        #: Checks skipped as too costly: said by `validate`, never fatal.
        self.notes: list[RulebookError] = [] if notes is None else notes

    def using(self, **changes: Any) -> Context:
        """The same context with some of what it offers given (errors still shared)."""
        given = {"compile_expr": self.compile_expr, "functions": self.functions, "inputs": self.inputs,
                 "domains": self.domains, "path": self.path, "errors": self.errors, "notes": self.notes}
        made = Context(self.file, self.root, **(given | changes))
        made.kinds = self.kinds  # shared, like the domains
        return made

    def at(self, *path: Any) -> Context:
        """The same context, positioned ``path`` further down."""
        return self.using(path=(*self.path, *path))

    def loc(self, *path: Any, key: bool = False) -> Location:
        return locate(self.root, [*self.path, *path], self.file, key=key)

    def suggest(self, name: str, candidates: Iterable) -> str:
        """A "did you mean" hint, while the rulebook has few enough errors to afford one."""
        return suggest(name, candidates) if self.hints else ""

    @property
    def hints(self) -> bool:
        return len(self.errors) < MAX_HINTED_ERRORS

    def fail(self, message: str, *path: Any, key: bool = False) -> None:
        self.errors.append(RulebookError(message, self.loc(*path, key=key)))

    def expr(self, source: Any, *path: Any) -> Expression | None:
        if self.compile_expr is None:
            raise AssertionError("expressions compile once every name is known")
        try:
            return self.compile_expr(source, self.loc(*path))
        except RulebookError as exc:
            self.errors.append(exc.with_traceback(None))  # keep the message, not the compiler's frames
            return None


#: What a rulebook test can reach in an element: (key, label, location).
Point = tuple[tuple, str, Location]


@dataclass(frozen=True)
class Construct:
    """Everything about one construct, found by its section name.

    ``compile`` turns one named entry of the section into an :class:`Element`;
    ``points`` and ``reached`` are its coverage (what tests should reach, and
    what one decision reached); ``summary_md`` and ``summary_html`` are its
    part of the policy document (Jinja, rendered with that document's context
    and ``construct``); ``fork_example`` its lines in a fork's guide.
    """

    section: str           # its key at the top of a rulebook: "thresholds"
    noun: str              # one of them, for people: "threshold"
    schema: str            # its fragment in rulebook.schema.json: "#/$defs/threshold"
    compile: Callable[[str, dict, Context], Element]
    summary_md: str
    summary_html: str
    points: Callable[[Element], Iterable[Point]] = lambda el: ()
    reached: Callable[[Element, dict, Reason | None], Iterable[tuple]] = lambda el, values, reason: ()
    also_defines: tuple[str, ...] = ()  # keys of an entry naming further outputs ("overdue_as")
    compiles_late: bool = False  # after the others, whose sets of values it needs (matrix axes)
    fork_example: Callable[[str, dict], list[str]] | None = None
    guide_rank: int = 0  # where its example stands in a fork's guide: what councils change most first
    details: Callable[[dict], Any] | None = None  # what the policy document lays out (a matrix's tables)
    #: Its SQL facet: ``sql(name, spec, SqlContext) -> {output: SqlValue}`` (``policyengine.sql``).
    sql: Callable[[str, dict, Any], dict] | None = None


#: The label of the reason an element limited by ``when:`` gives where it does not apply:
#: its words read no value of the case, so they can be said even while some are not known.
NOT_APPLICABLE = "not applicable"


def reason_of(spec: dict, default: dict, loc: Location, label: str, technical: Any = "") -> Reason:
    return Reason(
        because=spec.get("because") or default.get("because") or "",
        source=spec.get("source") or default.get("source"),
        loc=loc,
        label=label,
        technical=str(technical),
    )


def unused(values: dict) -> Reason:  # placeholder for an element that failed to compile
    raise AssertionError("a rulebook with errors is never evaluated")


def element(kind: str, name: str, spec: dict, outputs: tuple, deps: Any, loc: Location,
            run: Callable[[dict], Reason], reasons: tuple = (), **extra: Any) -> Element:
    """An :class:`Element` citing the entry's own ``source`` and ``because``."""
    return Element(kind, name, outputs, frozenset(deps), loc, spec.get("source"), spec.get("because"),
                   run, reasons, **extra)


def applies_when(el: Element, spec: dict, ctx: Context) -> Element:
    """``el`` limited by the entry's ``when:``, if it has one: where the
    condition does not hold, the element does not apply and each of its
    outputs is null (the text output's "not applicable"), with that as its reason.

        matrices:
          rag: {when: "route == 'pwt'", by: [support, risk], cells: ...}
    """
    if "when" not in spec:
        return el
    gate = ctx.expr(spec["when"], "when")
    closed = Reason(f"does not apply to this case (only when {spec['when']})", spec.get("source"), ctx.loc("when"),
                    NOT_APPLICABLE, technical=f"only when {spec['when']}")
    el.reasons = (*el.reasons, closed)
    if gate is None or el.run is unused:
        el.run = unused
        return el
    run, describe, outputs = el.run, el.describe, el.outputs

    def gated(v: dict) -> Reason:
        if not gate.fn(v):
            for out in outputs:
                v[out] = None
            return closed
        return run(v)

    el.run = gated
    el.deps = el.deps | gate.names
    el.describe = lambda v, r, labels: not_applicable(spec["when"], labels) if r is closed else (
        describe(v, r, labels) if describe else r.because)
    if el.domain is not None and None not in el.domain:
        el.domain = (*el.domain, None)
    return el


def not_applicable(when: Any, labels: Labels) -> str:
    """Why an element limited by ``when:`` does not apply: "it applies only when the route is Review tray"."""
    return f"it applies only when {english.condition(when, labels)}"


def reason_points(el: Element) -> Iterable[Point]:
    """Coverage by reason: every rule, band or cell should decide some test."""
    return ((("reason", id(r)), r.label, r.loc) for r in el.reasons)


def reason_reached(el: Element, values: dict, reason: Reason | None) -> Iterable[tuple]:
    return (("reason", id(reason)),)


def word(value: Any) -> str:
    """A key or value in a label: none, yes/no, lists as ``[a, b]``, else as written."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(word(v) for v in value) + "]"
    return str(value)


def sql_applies_when(spec: dict, ctx: Any, outputs: dict) -> dict:
    """The SQL facet's :func:`applies_when`: each output null where the entry's ``when:`` does not hold."""
    if "when" not in spec:
        return outputs
    gate = ctx.expr(spec["when"], "when")
    holds = truthy(gate)
    gated = {}
    for name, v in outputs.items():
        if v.kind == "list":
            raise ctx.refuse("a list that applies only `when:` has no SQL form", "when")
        gated[name] = SqlValue(v.kind, case([(holds, v.sql)]), first_fault(gate.fault, guarded(holds, v.fault)),
                               choices=v.choices)
    return gated
