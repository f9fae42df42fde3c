"""What would change the answer: the smallest changes to a case's answers that
change one of its reported outcomes ("why is my mother amber and not red?").

For each reported outcome with a set of values (yes/no, a rating, a route), the
case is decided again with one answer changed — each other value of a yes/no
or a choice, one box of a list ticked or unticked — and every change that gives
the outcome another value is listed. A value no single change reaches is then
looked for among pairs of changes, within a bound. Dates and numbers are not
varied: their outcomes (due dates, counts) change with every answer.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import PolicyEngineError
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
        behind = inputs_behind(book, outcome)
        found.extend(_for_outcome(book, decision, answers, outcome, now, behind, budget))
    return found


def _varied(value: Any) -> bool:
    """Outcomes worth asking "what would change it": yes/no and named values."""
    return isinstance(value, (bool, str))


def inputs_behind(book: Rulebook, name: str) -> list[str]:
    """The inputs ``name`` is worked out from, in the rulebook's question order."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        element = book.producers.get(current)
        for dep in element.deps if element else ():
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return [n for n in book.inputs if n in seen and n != "case_id"]


def choices(book: Rulebook, name: str, value: Any) -> list[Any]:
    """The other answers one question could be given: a single change of it."""
    spec = book.inputs[name]
    if spec.type == "boolean" and isinstance(value, bool):
        return [not value]
    if spec.type == "enum":
        return [v for v in spec.values if v != value]
    if spec.type == "list" and spec.values and isinstance(value, list):
        return [[v for v in value if v != item] if item in value else [*value, item] for item in spec.values]
    return []


def _for_outcome(book: Rulebook, decision: Decision, answers: dict, outcome: str, now: Any,
                 behind: list[str], budget: list[int]) -> Iterator[dict]:
    singles = [(name, answer) for name in behind for answer in choices(book, name, answers[name])]
    listed, reached = 0, set()
    for change in singles:
        becomes = _try(book, decision, answers, outcome, [change], budget)
        if becomes is not _SAME:
            reached.add(hashable(becomes))
            if listed < MAX_PER_OUTCOME:
                listed += 1
                yield _entry(outcome, becomes, [change])
    for first, second in itertools.combinations(singles, 2):
        if listed >= MAX_PER_OUTCOME or budget[0] <= 0:
            return
        if first[0] == second[0]:
            continue  # two answers to one question is not a pair of changes
        becomes = _try(book, decision, answers, outcome, [first, second], budget)
        if becomes is not _SAME and hashable(becomes) not in reached:
            reached.add(hashable(becomes))
            listed += 1
            yield _entry(outcome, becomes, [first, second])


_SAME = object()


def _try(book: Rulebook, decision: Decision, answers: dict, outcome: str, changes: list, budget: list[int]) -> Any:
    """The outcome's value with ``changes`` made to the answers, or ``_SAME``."""
    if budget[0] <= 0:
        return _SAME
    budget[0] -= 1
    values = dict(answers)
    for name, answer in changes:
        values[name] = answer
    try:  # questions still unanswered stay so: the case is settled as evaluate settles it
        values = decided_on(book, values, decision.as_of)
    except PolicyEngineError:
        return _SAME  # an answer this rulebook cannot decide on is no alternative
    becomes = values[outcome]
    if becomes is UNKNOWN or becomes is None or becomes == decision.outcomes[outcome]:
        return _SAME
    return becomes


def _entry(outcome: str, becomes: Any, changes: list) -> dict:
    return {"outcome": outcome, "becomes": becomes, "if": dict(changes)}
