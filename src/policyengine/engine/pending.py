"""Deciding what can be decided when some questions are not answered.

An element's output is decided when it is the same in every completion of
the unanswered inputs it depends on (its cone), over each input's candidate
values (``engine.candidates``); otherwise it is pending (UNKNOWN), with the
inputs whose answer changes it in some completion. Kleene's ``true or
unknown = true`` falls out exactly. The elements are the engine's own: each
completion runs them as a complete case would, so nothing here re-implements
a rule.

Conservative, never wrong: an element whose cone has more than
:data:`MAX_COMPLETIONS` combinations of answers is tried over every value the
names it reads could hold (a superset of its completions, so an output the
same over all of them is decided); failing that it is pending and a warning
says so. A completion
in which an element cannot run (an ``EvaluationError`` for a complete case)
leaves that element's outputs pending, for it cannot be decided the same. An
element that depends on no unanswered input runs once, as for a complete case,
and a fault there is the case's error as it is today.
"""
from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass, field
from math import prod
from typing import TYPE_CHECKING, Any

from ..errors import EvaluationError, Location
from .candidates import candidates
from .constructs.base import Element, Reason
from .expressions import ExprFault
from .unknown import UNKNOWN

if TYPE_CHECKING:
    from .compile import Rulebook

#: Most completions of the unanswered inputs tried for one cone of one case.
MAX_COMPLETIONS = 4096
#: The explanation of an output decided alike by different rules.
SAME_WHATEVER = "the same whatever the unanswered questions turn out to be"
_FAULT = object()  # an output's "value" in a completion where it could not be computed


@dataclass
class Settled:
    """What :func:`settle` found: the reasons (None without ``reasons``), the
    inputs each pending output still needs, and warnings for the decision."""

    reasons: dict | None
    needs: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def unknown_inputs(book: Rulebook, values: dict) -> list[str]:
    """The unanswered inputs of a case's values, in the rulebook's input order."""
    return [name for name in book.inputs if values[name] is UNKNOWN]


def document_probe(doc: Any) -> Element:
    """A document's ``when:`` as an element with one output, ``document:<id>``."""
    key = f"document:{doc.id}"

    def run(v: dict) -> None:
        v[key] = bool(doc.when.fn(v))
    return Element("documents", key, (key,), frozenset(doc.when.names), doc.loc, None, None, run)


def settle(book: Rulebook, values: dict, as_of: _dt.date, unknown: list[str], *, reasons: bool = True,
           probes: tuple = (), elements: list | None = None) -> Settled:
    """Run ``book``'s elements (only ``elements``, in order, when given: all those one
    output is worked out from) and ``probes`` over ``values``, which hold UNKNOWN for
    the ``unknown`` inputs; decided outputs get their value, pending ones UNKNOWN."""
    values["as_of"] = as_of
    units = [*(book.elements if elements is None else elements), *probes]
    cone = _cones(units, set(unknown))
    result = Settled({} if reasons else None)
    base = [u for u in units if not cone[u.name]]
    _run_base(base, values, result.reasons)
    open_ = {u.name: u for u in units if cone[u.name]}
    groups = sorted({cone[n] for n in open_}, key=len, reverse=True)
    done: list[frozenset] = []
    for group in groups:
        if any(group <= d for d in done):
            continue
        order = [i for i in book.inputs if i in group]
        options = [candidates(book, book.inputs[i], as_of) for i in order]
        if any(o is None for o in options) or prod(len(o) for o in options) > MAX_COMPLETIONS:
            continue
        done.append(group)
        members = [u for u in units if cone[u.name] and cone[u.name] <= group]
        runs = _complete(members, values, order, options)
        for unit in members:
            if unit.name in open_:
                _conclude(open_.pop(unit.name), runs, order, values, result)
    domains = _domains(book)
    for unit in open_.values():  # cones too large to try: over what it reads, else pending and said so
        if _decided_over_its_reads(book, unit, values, domains, as_of, result):
            continue
        needs = [i for i in book.inputs if i in cone[unit.name]]
        for out in unit.outputs:
            values[out] = UNKNOWN
            result.needs[out] = needs
        if result.reasons is not None and unit.kind != "documents":
            result.reasons[unit.name] = Reason(SAME_WHATEVER, unit.source, unit.loc, "not decided")
        if unit.kind != "documents":
            result.warnings.append(f"`{unit.name}` is not decided: the {len(needs)} unanswered questions it depends "
                                   f"on have more than {MAX_COMPLETIONS:,} combinations of answers to try")
    return result


def _domains(book: Rulebook) -> dict[str, tuple]:
    """The finite set of values of each element output that surely has one, with None
    (a threshold of a missing value is None, though its set of values says
    True or False): trying a value too many only leaves more pending."""
    found = {}
    for el in book.elements:
        computed = any(rule[2] for rule in el.rules)  # a decision's `expr:` may give any value
        if el.domain is not None and not computed:  # a list is held as a tuple there: give it back as a list
            values = [list(x) if isinstance(x, tuple) else x for x in el.domain]
            found[el.outputs[0]] = tuple(values) + ((None,) if None not in values else ())
        found.update((out, (True, False, None)) for out in el.outputs[1:])  # "overdue_as" flags
    return found


def _decided_over_its_reads(book: Rulebook, unit: Element, values: dict, domains: dict, as_of: _dt.date,
                            result: Settled) -> bool:
    """Decide ``unit`` over every value each name it reads could hold (an unanswered
    input's candidates, a pending element's whole set of values): a superset of
    the real completions, so an output the same over all of them is decided.
    False when a name has no finite set of values, the combinations are too
    many, or a combination faults or gives another value."""
    names = sorted(d for d in unit.deps if values.get(d) is UNKNOWN)
    options = [candidates(book, book.inputs[n], as_of) if n in book.inputs else domains.get(n) for n in names]
    if any(o is None for o in options) or prod(len(o) for o in options) > MAX_COMPLETIONS:
        return False
    seen, reasons = None, set()
    for answers in itertools.product(*options):
        v = dict(values)
        v.update(zip(names, answers))
        try:
            reasons.add(unit.run(v))
        except Exception:  # noqa: BLE001 - a combination that faults: not decided this way
            return False
        got = tuple(_key(v[o]) for o in unit.outputs)
        if seen is not None and got != seen[0]:
            return False
        seen = seen or (got, tuple(v[o] for o in unit.outputs))
    values.update(zip(unit.outputs, seen[1]))
    if result.reasons is not None and unit.kind != "documents":
        same = reasons.pop() if len(reasons) == 1 else None
        result.reasons[unit.name] = same or Reason(SAME_WHATEVER, unit.source, unit.loc, "whatever the answers")
    return True


def _cones(units: list[Element], unknown: set) -> dict[str, frozenset]:
    """Each unit's unanswered inputs, direct or through the elements it reads."""
    of: dict[str, frozenset] = {n: frozenset((n,)) for n in unknown}
    cone = {}
    for unit in units:
        mine = frozenset().union(*(of.get(d, frozenset()) for d in unit.deps))
        cone[unit.name] = mine
        for out in unit.outputs:
            of[out] = mine
    return cone


def _run_base(units: list[Element], values: dict, why: dict | None) -> None:
    """The units that depend on no unanswered input: once, as for a complete case."""
    for unit in units:
        try:
            reason = unit.run(values)
        except Exception as exc:  # noqa: BLE001 - this case's error record, as in evaluate.run
            raise failed(values, unit.kind, unit.name.removeprefix("document:"), unit.loc, exc) from None
        if why is not None and unit.kind != "documents":
            why[unit.name] = reason


def _complete(members: list[Element], values: dict, order: list[str], options: list) -> list[tuple]:
    """Run ``members`` once per completion: (answers, {unit name: (outputs, reason)})."""
    runs = []
    for answers in itertools.product(*options):
        v = dict(values)
        v.update(zip(order, answers))
        faulted: set = set()
        got = {}
        for unit in members:
            if unit.deps & faulted:
                faulted.update(unit.outputs)
                got[unit.name] = None
                continue
            try:
                reason = unit.run(v)
            except Exception:  # noqa: BLE001 - a completion that faults leaves the output pending
                faulted.update(unit.outputs)
                got[unit.name] = None
                continue
            got[unit.name] = (tuple(v[o] for o in unit.outputs), reason)
        runs.append((answers, got))
    return runs


def _conclude(unit: Element, runs: list[tuple], order: list[str], values: dict, result: Settled) -> None:
    """Decide each of ``unit``'s outputs from its value in every completion."""
    got = [g[unit.name] for _, g in runs]
    decided_all = True
    for i, out in enumerate(unit.outputs):
        seen = [_FAULT if g is None else g[0][i] for g in got]
        keys = [_key(x) for x in seen]
        if seen[0] is not _FAULT and all(k == keys[0] for k in keys):
            values[out] = seen[0]
            continue
        decided_all = False
        values[out] = UNKNOWN
        result.needs[out] = _mattering(keys, [a for a, _ in runs], order)
    if result.reasons is None or unit.kind == "documents":
        return
    reasons = {g[1] for g in got if g is not None}
    if decided_all and len(reasons) == 1:
        result.reasons[unit.name] = reasons.pop()
    else:
        label = "whatever the answers" if decided_all else "not decided"
        result.reasons[unit.name] = Reason(SAME_WHATEVER, unit.source, unit.loc, label)


def _key(value: Any) -> Any:
    return value if value is _FAULT else repr(value)


def _mattering(keys: list, answers: list[tuple], order: list[str]) -> list[str]:
    """The inputs whose answer alone changes the output in some completion."""
    needed = []
    for i, name in enumerate(order):
        seen: dict = {}
        for key, ans in zip(keys, answers):
            rest = ans[:i] + ans[i + 1:]
            if seen.setdefault(_key(rest), key) != key:
                needed.append(name)
                break
    return needed or list(order)


def failed(values: dict, kind: str, name: str, loc: Location, exc: Exception) -> EvaluationError:
    """The error of a case an element (or a document's ``when:``) cannot be evaluated on."""
    detail = f"{kind} `{name}` could not be evaluated: {_clean(exc)}"
    return EvaluationError(f"case {values.get('case_id')}: {detail}", loc.at(name), detail=detail)


def _clean(exc: Exception) -> str:
    """What went wrong, in words that never repeat a case's value.

    Our own faults are phrased for people and name types only; Python's own
    messages may quote a value, so they are replaced by the kind of problem.
    """
    if isinstance(exc, ExprFault):
        return str(exc)
    if isinstance(exc, (OverflowError, ValueError)):
        return "a value is out of range (a date beyond the year 9999, or a number too large)"
    if isinstance(exc, (TypeError, AttributeError)):
        return "a value is of the wrong type for this operation"
    return f"an unexpected error ({type(exc).__name__})"


def run_units(units: list[Element], values: dict) -> None:
    """Run ``units`` in order over a complete case's ``values``, as :func:`settle` runs those it need not try."""
    _run_base(units, values, None)


__all__ = ["MAX_COMPLETIONS", "SAME_WHATEVER", "Settled", "document_probe", "failed", "run_units", "settle",
           "unknown_inputs"]
