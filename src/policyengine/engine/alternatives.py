"""What would change the answer: the smallest changes to a case's answers that
change one of its reported outcomes ("why is my mother amber and not red?").

For each reported outcome with a set of values (yes/no, a rating, a route), the
case is decided again with one answer changed — each other value of a yes/no
or a choice, one box of a list ticked or unticked — and every change that gives
the outcome another value is listed. A value no single change reaches is then
looked for among pairs of changes, within a bound. A date or a number is
varied over the boundary values the rulebook's own comparisons and intervals
name (``engine.candidates``), and for each value it would give an outcome only
the nearest such answer is listed ("would not be overdue if last contacted on
9 November 2026"); outcomes that are themselves dates or numbers are not
varied: they change with every answer.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import PolicyEngineError
from .candidates import candidates
from .evaluate import decided_on
from .unknown import UNKNOWN
from .values import hashable

if TYPE_CHECKING:
    from .compile import Rulebook
    from .evaluate import Decision

#: Most re-evaluations spent on one case's alternatives, singles and pairs together.
MAX_TRIES = 4_000
#: Most alternatives listed for one outcome.
MAX_PER_OUTCOME = 12


def alternatives(decision: Decision) -> list[dict]:
    """``[{"outcome", "becomes", "if": {input: answer, ...}}, ...]`` for ``decision``,
    reported outcomes in order, single changes before pairs."""
    book = decision.rulebook
    answers = {name: decision.values[name] for name in book.inputs}
    budget = [MAX_TRIES]
    found: list[dict] = []
    for outcome in book.outcomes:
        now = decision.outcomes.get(outcome)
        if not _varied(now) or outcome in getattr(decision, "pending", {}):
            continue
        behind, needed = worked_out_from(book, outcome)  # decide again only what the outcome needs
        found.extend(_for_outcome(book, decision, answers, outcome, now, behind, (budget, needed)))
    return found


def _varied(value: Any) -> bool:
    """Outcomes worth asking "what would change it": yes/no and named values."""
    return isinstance(value, (bool, str))


def worked_out_from(book: Rulebook, name: str) -> tuple[list[str], list]:
    """The inputs ``name`` is worked out from, in the rulebook's question order, and
    the elements (its own too), in the order they run: one walk of its dependencies."""
    seen, todo = set(), [name]
    while todo:
        element = book.producers.get(todo.pop())
        for dep in element.deps if element else ():
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    inputs = [n for n in book.inputs if n in seen and n != "case_id"]
    return inputs, [el for el in book.elements if (seen | {name}).intersection(el.outputs)]


def inputs_behind(book: Rulebook, name: str) -> list[str]:
    """The inputs ``name`` is worked out from, in the rulebook's question order."""
    return worked_out_from(book, name)[0]


def choices(book: Rulebook, name: str, value: Any, as_of: Any = None) -> list[Any]:
    """The other answers one question could be given: a single change of it. A date
    or number (with ``as_of``) takes each boundary value, nearest first."""
    spec = book.inputs[name]
    if spec.type == "boolean" and isinstance(value, bool):
        return [not value]
    if spec.type == "enum":
        return [v for v in spec.values if v != value]
    if spec.type == "list" and spec.values and isinstance(value, list):
        return [[v for v in value if v != item] if item in value else [*value, item] for item in spec.values]
    if spec.type in ("date", "integer") and as_of is not None and value is not UNKNOWN:
        others = [c for c in candidates(book, spec, as_of) or () if c != value]
        return sorted(others, key=lambda c: _distance(c, as_of if value is None else value))
    return []


def _distance(a: Any, b: Any) -> int:
    return abs((a - b).days) if hasattr(a, "day") else abs(a - b)


def _for_outcome(book: Rulebook, decision: Decision, answers: dict, outcome: str, now: Any,
                 behind: list[str], spend: tuple) -> Iterator[dict]:
    singles = [(name, answer) for name in behind for answer in choices(book, name, answers[name], decision.as_of)]
    listed, reached, paired = 0, set(), []
    nearest: set = set()  # (a date or number question, the value it gives): its nearest answer is listed
    for change in singles:
        becomes = _try(book, decision, answers, outcome, [change], spend)
        graded = book.inputs[change[0]].type in ("date", "integer")
        if becomes is _SAME or (graded and (change[0], hashable(becomes)) in nearest):
            continue
        if graded:
            nearest.add((change[0], hashable(becomes)))
        paired.append(change)
        reached.add(hashable(becomes))
        if listed < MAX_PER_OUTCOME:
            listed += 1
            yield _entry(outcome, becomes, [change])
    finite = [c for c in singles if book.inputs[c[0]].type not in ("date", "integer")]
    for first, second in itertools.combinations(_unique([*finite, *paired]), 2):
        if listed >= MAX_PER_OUTCOME or spend[0][0] <= 0:
            return
        if first[0] == second[0]:
            continue  # two answers to one question is not a pair of changes
        becomes = _try(book, decision, answers, outcome, [first, second], spend)
        if becomes is not _SAME and hashable(becomes) not in reached:
            reached.add(hashable(becomes))
            listed += 1
            yield _entry(outcome, becomes, [first, second])


def _unique(changes: list) -> list:
    """``changes`` in order, each once (a change may be both finite and paired)."""
    seen, out = set(), []
    for name, answer in changes:
        key = (name, hashable(answer))
        if key not in seen:
            seen.add(key)
            out.append((name, answer))
    return out


_SAME = object()


def _try(book: Rulebook, decision: Decision, answers: dict, outcome: str, changes: list, spend: tuple) -> Any:
    """The outcome's value with ``changes`` made to the answers, or ``_SAME``.
    ``spend`` is (the tries left, as a one-item list; the elements the outcome needs)."""
    budget, needed = spend
    if budget[0] <= 0:
        return _SAME
    budget[0] -= 1
    values = dict(answers)
    for name, answer in changes:
        values[name] = answer
    try:  # questions still unanswered stay so: the case is settled as evaluate settles it
        values = decided_on(book, values, decision.as_of, elements=needed)
    except PolicyEngineError:
        return _SAME  # an answer this rulebook cannot decide on is no alternative
    becomes = values[outcome]
    if becomes is UNKNOWN or becomes is None or becomes == decision.outcomes[outcome]:
        return _SAME
    return becomes


def _entry(outcome: str, becomes: Any, changes: list) -> dict:
    return {"outcome": outcome, "becomes": becomes, "if": dict(changes)}
