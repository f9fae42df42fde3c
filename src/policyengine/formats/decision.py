"""One decision as a report: how it reads for people, as data and as rows."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..engine import english
from ..engine.dates import long_date
from ..engine.evaluate import questions
from ..engine.values import show, words
from .spreadsheet import csv_cell

if TYPE_CHECKING:
    from ..engine.evaluate import Decision
    from ..engine.labels import Labels


def decision_text(decision: Decision, *, explain: bool = False) -> str:
    """The text format of ``evaluate``: each outcome with its reason and source."""
    book = decision.rulebook
    meta = book.meta
    lines = [
        f"{meta.council}: {meta.title}",
        f"Version {meta.version} · case {decision.case_id} · "
        f"{as_of_words(decision.as_of, decision.as_of_defaulted)}",
        *([f"{TECHNICAL.strip()} rulebook {meta.id} {meta.version} ({book.path})"] if explain else []),
        "",
    ]
    labels = book.labels
    for step in decision.explanation:
        shown = shown_value(labels, step.outcome, step.value)
        lines.append(f"  {labels.of(step.outcome)}:{'' if shown.startswith(chr(10)) else ' '}{shown}")
        cite = f" [{step.source}]" if step.source else ""
        lines.append(f"    because {step.because}{cite}" if step.because else f"   {cite}")
        if explain:
            lines.append(technical_line(step))
    lines.extend(_still_needed(decision))
    lines.extend(_would_be(decision))
    lines.extend(_next(decision))
    lines.append("")
    lines.extend(_documents(decision, explain))
    if decision.warnings:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  ! {w}" for w in decision.warnings)
    return "\n".join(lines) + "\n"


def as_of_words(as_of: _dt.date, today: bool = False) -> str:
    """"as of 22 November 2026"; "as of today, 24 November 2026" when no date was
    given, so a reader sees that the default was taken."""
    return f"as of {'today, ' if today else ''}{long_date(as_of)}"
#: How ``--explain`` marks the line for policy owners: the rule as written and where.
TECHNICAL = "    technical: "


def technical_line(step: Any) -> str:
    """``--explain``'s line for policy owners: the outcome's name, the rule and its expression, and its line."""
    rule = f"{step.rule}: {step.technical}" if step.technical else step.rule
    return f"{TECHNICAL}{step.outcome}, {rule} ({step.location})"


def shown_value(labels: Labels, outcome: str, value: Any) -> str:
    """An outcome's value in the text report, by its label: "Planned Work Tray", not `pwt`."""
    if isinstance(value, str) and value and " " not in value:
        return english.value(labels, outcome, value)
    if isinstance(value, list) and value and all(isinstance(v, str) and " " not in v for v in value):
        return ", ".join(english.value(labels, outcome, v) for v in value)
    return show(value)


def _next(decision: Decision) -> list[str]:
    """What happens next if nothing changes: one line per outcome that will change by itself."""
    changes = decision.changes_ahead
    labels = decision.rulebook.labels
    return [""] + [_next_line(labels, decision.outcomes.get(c.outcome), c) for c in changes] if changes else []


def _next_line(labels: Labels, before: Any, change: Any) -> str:
    """One change in words; a list (a checklist's actions) by what it gains and loses."""
    on = long_date(change.on)
    what = labels.of(change.outcome)
    if not (isinstance(before, list) and isinstance(change.becomes, list)):
        return f"Next: {what} becomes {said(labels, change.outcome, change.becomes)} on {on}"
    gained, lost = list_change(before, change.becomes)
    parts = ([f"gains: {' '.join(map(str, gained))}"] if gained else []) + \
        ([f"loses: {' '.join(map(str, lost))}"] if lost else [])
    return f"Next: on {on}, {what} " + (" It ".join(parts) if parts else "changes order")


def said(labels: Labels, name: str, value: Any) -> str:
    """A value in a sentence: a named value by its label, else in a few words."""
    value = list(value) if isinstance(value, tuple) else value
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return english.value(labels, name, value)
    return words(value)


def list_change(before: list, after: list) -> tuple[list, list]:
    """What a list (a checklist's actions) gains and loses from ``before`` to ``after``."""
    return [x for x in after if x not in before], [x for x in before if x not in after]


def _would_be(decision: Decision) -> list[str]:
    """What would change each answer (when asked for), in the inputs' own questions."""
    if not decision.alternatives:
        return []
    book = decision.rulebook
    return ["", *(f"{book.labels.of(alt['outcome'])} would be {said(book.labels, alt['outcome'], alt['becomes'])} if: "
                  + "; ".join(f"{question} {said(book.labels, name, answer)}"
                              for question, (name, answer) in zip(questions(book, list(alt["if"])), alt["if"].items()))
                  for alt in decision.alternatives)]


def _still_needed(decision: Decision) -> list[str]:
    """What each pending outcome waits for, in the inputs' own questions."""
    if not decision.pending:
        return []
    book = decision.rulebook
    return ["", *(f"Still needed to decide {english.in_sentence(book.labels.of(outcome))}: "
                  f"{'; '.join(questions(book, names))}"
                  for outcome, names in decision.pending.items())]


def _documents(decision: Decision, explain: bool) -> list[str]:
    """The documents that apply by their titles; ``--explain`` adds each one's id (what ``render`` takes)."""
    if not decision.documents:
        return ["Documents that apply: none"]
    documents = decision.rulebook.documents
    lines = ["Documents that apply:"]
    for doc_id in decision.documents:
        lines.append(f"  {documents[doc_id].title} (for {documents[doc_id].audience})")
        if explain:
            lines.append(f"{TECHNICAL}document {doc_id}")
    return lines


@dataclass
class DecisionReport:
    """A decision in the shape every report has (``as_dict``, ``text``, ``rows``)."""

    decision: Decision
    explain: bool = False

    def as_dict(self) -> dict:
        return self.decision.as_dict()

    def text(self) -> str:
        return decision_text(self.decision, explain=self.explain)

    def rows(self) -> list[list[Any]]:
        return [["case_id", "outcome", "value", "because", "source"],
                *([self.decision.case_id, s.outcome, csv_cell(s.value), s.because or "", s.source or ""]
                  for s in self.decision.explanation)]
