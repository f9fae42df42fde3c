"""Stage 4, evaluate: a case in, a :class:`Decision` out.

The compiled elements run in dependency order over one dict of values. The
explanation is built from the reasons the elements return, on first reading
(``Decision.explanation`` or ``as_dict()``), so a caller that wants only the
outcomes does not pay for text nobody reads; it covers the outcomes reported,
or every element's every output with ``explain=True``. What changes next if
nothing else does (``Decision.changes_ahead``, from ``ahead.py``) is likewise
worked out only when read, so a caseload never pays for it.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import CaseError, Location
from .dates import long_date
from .pending import SAME_WHATEVER, document_probe, failed as _failed, run_units, settle, unknown_inputs
from .constructs.base import NOT_APPLICABLE
from .english import mentions
from .unknown import UNKNOWN
from .values import for_json, short_question

if TYPE_CHECKING:
    from .compile import Rulebook

#: How many days ahead ``changes_ahead`` looks by default (a year), and at most (ten years).
HORIZON = 365
MAX_HORIZON = 3650


@dataclass(frozen=True)
class Step:
    """One outcome, its value, and why: the rule, cell or band that decided it."""

    outcome: str
    value: Any
    because: str
    source: str | None
    rule: str
    location: str
    #: The rule's expression as written, for policy owners (``--explain``'s technical line; not in JSON).
    technical: str = ""

    def as_dict(self) -> dict:
        return {"outcome": self.outcome, "value": for_json(self.value), "because": self.because,
                "source": self.source, "rule": self.rule, "location": self.location}


@dataclass
class Decision:
    """What a rulebook decided for one case on one date.

    ``as_of`` is the date the case was decided as of; ``as_of_defaulted`` is
    true when the caller gave none and it is the day :func:`evaluate` ran.
    ``explanation`` is built from ``values`` and ``reasons`` on first reading,
    and ``changes_ahead`` (within ``horizon`` days) likewise.
    """

    rulebook: Rulebook
    case_id: str
    as_of: _dt.date
    values: dict
    outcomes: dict
    documents: list[str]
    warnings: list[str]
    reasons: dict = field(repr=False, default_factory=dict)
    #: Explain every element's every output, not just the reported outcomes.
    explain_all: bool = field(default=False, repr=False)
    as_of_defaulted: bool = False
    #: How many days after ``as_of`` ``changes_ahead`` looks.
    horizon: int = HORIZON
    #: Whether ``alternatives`` (what would change the answers) was asked for.
    with_alternatives: bool = False
    #: Each pending reported outcome: the unanswered inputs that could still change it.
    pending: dict = field(default_factory=dict)
    #: Each pending output (every element's, not just the reported): the inputs it still needs.
    needs: dict = field(default_factory=dict, repr=False)
    _steps: list[Step] | None = field(default=None, init=False, repr=False, compare=False)
    _ahead: list | None = field(default=None, init=False, repr=False, compare=False)
    _alternatives: list | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def alternatives(self) -> list[dict] | None:
        """For each reported outcome with a set of values, the smallest changes of
        answer that would give it another (``{"outcome", "becomes", "if"}``), when
        asked for with ``alternatives=True``; None when not asked."""
        if not self.with_alternatives:
            return None
        if self._alternatives is None:
            find = self.rulebook._stages().alternatives
            if find is None:
                raise TypeError("this rulebook's stages have no `alternatives`: load it with "
                                "policyengine.load_rulebook")
            self._alternatives = find(self)
        return self._alternatives

    @property
    def explanation(self) -> list[Step]:
        """Each reported outcome (with ``explain``, every output) and why."""
        if self._steps is None:
            self._steps = explanation(self.rulebook, self.values, self.reasons, every=self.explain_all,
                                      needs=self.needs)
        return self._steps

    @property
    def changes_ahead(self) -> list:
        """Each reported outcome's first change within ``horizon`` days if
        nothing else about the case changes (``ahead.Change``: outcome, on,
        becomes), in reported-outcome order; pending outcomes are left out."""
        if self._ahead is None:
            ahead = self.rulebook._stages().ahead
            if ahead is None:
                raise TypeError("this rulebook's stages have no `ahead`: load it with policyengine.load_rulebook")
            self._ahead = ahead(self.rulebook, self.values, self.as_of, self.horizon, skip=tuple(self.pending))
        return self._ahead

    def as_dict(self) -> dict:
        """The stable JSON contract of ``evaluate --format json``."""
        book = self.rulebook
        return {
            "rulebook": book.meta.as_dict(),
            "case_id": self.case_id,
            "as_of": self.as_of.isoformat(),
            "outcomes": {k: for_json(v) for k, v in self.outcomes.items()},
            "pending": {k: list(v) for k, v in self.pending.items()},
            "explanation": [s.as_dict() for s in self.explanation],
            "documents": list(self.documents),
            "warnings": list(self.warnings),
            "alternatives": None if self.alternatives is None else [
                {**a, "becomes": for_json(a["becomes"]), "if": {k: for_json(v) for k, v in a["if"].items()}}
                for a in self.alternatives],
            "changes_ahead": [c.as_dict() for c in self.changes_ahead],
            "provenance": provenance(book),
        }


def explanation(book: Rulebook, values: dict, reasons: dict, *, every: bool = False,
                needs: dict | None = None) -> list[Step]:
    """The steps of a decision: the reported outcomes in order, or with
    ``every`` each element's every output. A pending output is "not known
    yet", with the questions still needed."""
    shown = [out for el in book.elements for out in el.outputs] if every else book.outcomes
    steps = []
    for out in shown:
        el = book.producers[out]
        reason = reasons[el.name]
        if needs and out in needs:
            because = "not known yet: still needed: " + "; ".join(questions(book, needs[out]))
        elif reason.label != NOT_APPLICABLE and (
                reason.because == SAME_WHATEVER or any(values.get(d) is UNKNOWN for d in el.deps)):
            because = reason.because  # the rule's own wording: its details are not all known
        else:
            because = el.explain(values, reason, book.labels)
        steps.append(Step(out, values[out], mentions(because, book.labels), reason.source,
                          reason.label, f"{reason.loc.file}:{reason.loc.line}", reason.technical))
    return steps


def questions(book: Rulebook, names: list[str]) -> list[str]:
    """Each input's question, without the explanation that may follow its question
    mark ("What support does the person have?"), or its name where it has none."""
    return [short_question(book.inputs[name].question or name) for name in names]


def provenance(book: Rulebook) -> dict:
    return {"rulebook_id": book.meta.id, "rulebook_version": book.meta.version,
            "rulebook_sha256": book.sha256, "engine_version": __version__}


def read_case(book: Rulebook, case: Any, origin: Location | None = None, **kwargs: Any) -> dict:
    """Check a raw case against the rulebook's inputs; the values the rules read."""
    return book.reader.read(case, origin or Location(), **kwargs)


def run(book: Rulebook, values: dict, as_of: _dt.date, *, reasons: bool = True) -> dict | None:
    """Run every element over ``values`` (modified in place).

    Returns the reason of each element, or None with ``reasons=False`` (the
    caseload path, which reports outcomes only).
    """
    values["as_of"] = as_of
    why = {} if reasons else None
    element = None
    try:
        if why is None:
            for element in book.elements:
                element.run(values)
        else:
            for element in book.elements:
                why[element.name] = element.run(values)
    except Exception as exc:  # noqa: BLE001 - any fault is this case's error record, never the run's end
        raise _failed(values, element.kind, element.name, element.loc, exc) from None
    return why


def run_case(book: Rulebook, values: dict, as_of: _dt.date, *, reasons: bool = True) -> tuple[dict | None, dict]:
    """:func:`run`, or for a case with unanswered inputs, :func:`~.pending.settle`:
    the reasons and the inputs each pending output still needs ({} for a complete case)."""
    unknown = unknown_inputs(book, values) if book.reader.unknowable else None
    if not unknown:  # a complete case: today's path, at today's cost
        return run(book, values, as_of, reasons=reasons), {}
    settled = settle(book, values, as_of, unknown, reasons=reasons)
    return settled.reasons, settled.needs


def evaluate(book: Rulebook, case: Any, as_of: _dt.date | None = None, *, explain: bool = False,
             origin: Location | None = None, partial: bool = False, horizon: int = HORIZON,
             alternatives: bool = False) -> Decision:
    """Evaluate one case (a mapping, as loaded from YAML/JSON) against ``book``.

    ``as_of`` is the date to decide as of. Left out (None), it is today's
    date where the process runs, as for the command line's ``--as-of``; the
    decision records the date used and that it was defaulted. Pass it for
    results that do not change from one day to the next. ``explain`` makes
    the explanation cover every element's every output, not just the
    reported outcomes. With ``alternatives``, ``Decision.alternatives`` lists
    what would change each answer. ``horizon`` is how many days ahead (1 to 3,650)
    ``Decision.changes_ahead`` looks, when it is read. Raises
    :class:`CaseError` for a case that does not fit the inputs and
    :class:`EvaluationError` for a rule that cannot run on it.
    With ``partial`` a missing required input (other than ``case_id``) is
    not known rather than an error. An outcome that depends on an unanswered
    input is pending (None in ``outcomes``, listed in ``pending``) unless it is
    the same whatever the answers; a document whose ``when:`` is pending does
    not apply, and a warning says what it waits for.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be a whole number of days from 1 to {MAX_HORIZON:,}")
    defaulted = as_of is None
    as_of = _dt.date.today() if as_of is None else as_of
    values = read_case(book, case, origin, partial=partial)
    unknown = unknown_inputs(book, values) if partial or book.reader.unknowable else None
    if not unknown:  # a complete case: today's path, at today's cost
        reasons = run(book, values, as_of)
        docs = [d.id for d in book.documents.values() if _applies(d, values)]
        return Decision(book, values["case_id"], as_of, values, {name: values[name] for name in book.outcomes},
                        docs, warnings(book, as_of), reasons, explain_all=explain, as_of_defaulted=defaulted,
                        horizon=horizon, with_alternatives=alternatives)
    probes = tuple(document_probe(d) for d in book.documents.values() if d.when is not None)
    settled = settle(book, values, as_of, unknown, probes=probes)
    docs, waiting = _documents(book, values, settled.needs)
    needs = {out: need for out, need in settled.needs.items() if not out.startswith("document:")}
    outcomes = {name: None if values[name] is UNKNOWN else values[name] for name in book.outcomes}
    pending = {name: needs[name] for name in book.outcomes if name in needs}
    return Decision(book, values["case_id"], as_of, values, outcomes, docs,
                    warnings(book, as_of) + settled.warnings + waiting, settled.reasons or {},
                    explain_all=explain, as_of_defaulted=defaulted, pending=pending, needs=needs,
                    horizon=horizon, with_alternatives=alternatives)


def decided_on(book: Rulebook, read: dict, day: _dt.date, *, elements: list | None = None) -> dict:
    """The values of a case (its inputs as read, some perhaps not known) decided on
    ``day``: by every element, or only by ``elements`` (those one outcome needs, in order)."""
    now = dict(read)
    unknown = unknown_inputs(book, now)
    if unknown:
        settle(book, now, day, unknown, reasons=False, elements=elements)
    elif elements is None:
        run(book, now, day, reasons=False)
    else:
        now["as_of"] = day
        run_units(elements, now)
    return now


def _documents(book: Rulebook, values: dict, needs: dict) -> tuple[list[str], list[str]]:
    """The documents that apply (their ``document:<id>`` probes taken out of
    ``values``), and a warning for each that may apply once questions are answered."""
    docs, waiting = [], []
    for doc in book.documents.values():
        key = f"document:{doc.id}"
        applies = True if doc.when is None else values.pop(key)
        if key in needs:
            waiting.append(f"document `{doc.id}` may apply once these are answered: "
                           + "; ".join(questions(book, needs[key])))
        elif applies:
            docs.append(doc.id)
    return docs, waiting


def _applies(doc, values: dict) -> bool:
    if doc.when is None:
        return True
    try:
        return bool(doc.when.fn(values))
    except Exception as exc:  # noqa: BLE001 - as for elements: this case's error, not a crash
        raise _failed(values, "documents", doc.id, doc.loc, exc) from None


def warnings(book: Rulebook, as_of: _dt.date) -> list[str]:
    meta = book.meta
    found = []
    if as_of > meta.review_by:
        found.append(
            f"this rulebook (version {meta.version}) was due for review by {long_date(meta.review_by)}; "
            "check it still matches the council's current guidance before relying on this decision"
        )
    if as_of < meta.effective_from:
        found.append(
            f"the evaluation date {long_date(as_of)} is before this rulebook took effect "
            f"({long_date(meta.effective_from)})"
        )
    return found


__all__ = ["Decision", "Step", "evaluate", "explanation", "questions", "read_case", "run", "run_case", "CaseError"]
