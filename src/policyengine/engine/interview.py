"""Which question to ask next: the one decision an interview needs from the engine.

An interview (``policyengine interview``, the web app's ``/interview``) asks
only questions whose answer can still change a reported outcome, most decisive
first, and shows the decision once none is left. Every question not yet asked
counts as not known here, even one the rulebook gives a ``default:``: the
interview asks it whenever it matters, and only an answer of "not known" lets
the rulebook's default stand. The answers arrive as text, as a form or a
terminal sends them, and are read exactly as a caseload's cells are.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ..errors import Location
from .pending import settle, unknown_inputs
from .unknown import UNKNOWN

if TYPE_CHECKING:
    from .compile import Rulebook

#: Where an interview's answers come from, in messages about them.
ORIGIN = Location("interview")


def next_questions(book: Rulebook, answers: Mapping[str, str], as_of: _dt.date, *,
                   not_known: Iterable[str] = ()) -> list[str]:
    """The inputs still worth asking, most decisive first: each can change a
    reported outcome that is not decided yet. [] when nothing more can change one.

    ``answers`` are the answers given so far, as text (``case_id`` may be left
    out); ``not_known`` the questions answered "not known", which are not asked
    again (their default, if the rulebook gives one, stands). The most decisive
    question is the one the most undecided outcomes wait on; ties keep the
    rulebook's question order. Raises :class:`CaseError` for an answer the
    rulebook refuses.
    """
    skipped = set(not_known)
    case = {"case_id": "interview", **{k: v for k, v in answers.items() if k not in skipped}}
    values = book.reader.read(case, ORIGIN, text=True, partial=True)
    for name in book.inputs:
        if name != "case_id" and name not in answers and name not in skipped:
            values[name] = UNKNOWN  # not asked yet: not known, whatever its default
    unknown = unknown_inputs(book, values)
    if not unknown:
        return []
    needs = settle(book, values, as_of, unknown, reasons=False).needs
    waiting = Counter(name for outcome in book.outcomes for name in needs.get(outcome, ()))
    order = {name: i for i, name in enumerate(book.inputs)}
    askable = [name for name in waiting if name not in answers and name not in skipped]
    return sorted(askable, key=lambda name: (-waiting[name], order[name]))


def answered(book: Rulebook, answers: Mapping[str, str]) -> dict:
    """The case the answers make, each read as the rulebook reads a caseload's cell:
    only what was answered (a question left not known stays out, so it stays not known)."""
    values = book.reader.read(answers, ORIGIN, text=True, partial=True)
    return {name: value for name, value in values.items() if name in answers and value is not UNKNOWN}


__all__ = ["answered", "next_questions"]
