"""What a decision page says beyond each outcome: what is still needed, what
would change the answer, and what happens next if nothing changes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine.evaluate import questions
from ..engine.values import for_page
from ..formats.decision import list_change

if TYPE_CHECKING:
    from ..engine.evaluate import Decision


@dataclass
class Sections:
    #: (outcome, [questions it waits on])
    still_needed: list[tuple[str, list[str]]]
    #: (outcome, what it would be, [(question, answer)])
    would_change: list[tuple[str, str, list[tuple[str, str]]]]
    #: (outcome, date, what it becomes)
    next: list[tuple[str, Any, str]]


def sections(decision: Decision) -> Sections:
    book = decision.rulebook
    needed = [(label(outcome), questions(book, names)) for outcome, names in decision.pending.items()]
    would = [(label(alt["outcome"]), for_page(alt["becomes"]),
              list(zip(questions(book, list(alt["if"])), map(for_page, alt["if"].values()))))
             for alt in decision.alternatives or ()]
    ahead = [(label(c.outcome), c.on, _becomes(decision.outcomes.get(c.outcome), c.becomes))
             for c in decision.changes_ahead]
    return Sections(needed, would, ahead)


def label(name: str) -> str:
    """An outcome's name as the decision table heads it."""
    return name.replace("_", " ").capitalize()


def _becomes(before: Any, after: Any) -> str:
    """What an outcome becomes; a list (a checklist's actions) by what it gains and loses."""
    if not (isinstance(before, list) and isinstance(after, list)):
        return for_page(after)
    gained, lost = list_change(before, after)
    return "; ".join(([f"adds: {', '.join(map(str, gained))}"] if gained else [])
                     + ([f"drops: {', '.join(map(str, lost))}"] if lost else [])) or "changes order"
