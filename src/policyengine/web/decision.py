"""What a decision page says beyond each outcome: what is still needed, what
would change the answer, and what happens next if nothing changes; and how a
page writes a name or a value: by the rulebook's labels, as the text report does."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..caseload.worklist import change_words
from ..engine import english
from ..engine.evaluate import questions
from ..engine.unknown import UNKNOWN
from ..engine.values import for_page
from ..formats.decision import shown_value

if TYPE_CHECKING:
    from ..engine.evaluate import Decision
    from ..engine.labels import Labels


@dataclass
class Sections:
    #: (outcome's label, [questions it waits on])
    still_needed: list[tuple[str, list[str]]]
    #: (outcome's label, what it would be, [(question, answer)])
    would_change: list[tuple[str, str, list[tuple[str, str]]]]
    #: (outcome's label, date, what happens to it)
    next: list[tuple[str, Any, str]]


def sections(decision: Decision) -> Sections:
    book = decision.rulebook
    labels = book.labels
    needed = [(labels.of(outcome), questions(book, names)) for outcome, names in decision.pending.items()]
    would = [(labels.of(alt["outcome"]), page_value(labels, alt["outcome"], alt["becomes"]),
              [(question, page_value(labels, name, answer))
               for question, (name, answer) in zip(questions(book, list(alt["if"])), alt["if"].items())])
             for alt in decision.alternatives or ()]
    ahead = [(labels.of(c.outcome), c.on,
              "; ".join(change_words(decision.outcomes.get(c.outcome), c.becomes,
                                     lambda v, o=c.outcome: in_sentence(labels, o, v))))
             for c in decision.changes_ahead]
    return Sections(needed, would, ahead)


def citation(sources: dict, source: str | None) -> str:
    """Where in the guidance an answer comes from, as a practitioner reads it: the place
    ("Reviewing the PWT"), with the source's key only when the rulebook cites several
    (the page lists each source's title once, under the table)."""
    if not source:
        return ""
    key, _, place = source.partition(" ")
    if key.rstrip(",;:.") not in sources or len(sources) > 1:
        return source
    return place.lstrip(",;: ") or source


def cited_sources(book: Any, steps: list) -> list[tuple[str, str]]:
    """Each source the page's answers cite, once, as (key, its title and date)."""
    cited = {str(step.source).split()[0].rstrip(",;:.") for step in steps if step.source}
    shown = []
    for key, spec in book.meta.sources.items():
        if key in cited:
            title = spec.get("title", key)
            shown.append((key, f"{title} ({spec['date']})" if spec.get("date") else title))
    return shown


def in_sentence(labels: Labels, name: str, value: Any) -> str:
    """A value inside a sentence ("becomes yes"): as a page shows it, but yes and no in lower case."""
    return english.value(labels, name, value) if isinstance(value, bool) else page_value(labels, name, value)


def page_value(labels: Labels, name: str, value: Any) -> str:
    """A value as a page shows it: a named value (or a list of them) by its label
    ("Planned Work Tray", not `pwt`), as the text report does; yes or no, a date the
    British way, "Not applicable" and "Not known yet" as the page has always said them."""
    if value is None or value is UNKNOWN or isinstance(value, bool) or value == []:
        return for_page(value)
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list) and not all(isinstance(v, str) for v in value):
        return ", ".join(page_value(labels, name, v) for v in value)
    return shown_value(labels, name, value) if isinstance(value, (str, list)) else for_page(value)
