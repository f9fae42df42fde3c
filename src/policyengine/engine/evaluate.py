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
from ..errors import CaseError, EvaluationError, Location
from .expressions import ExprFault
from .values import for_json

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
    _steps: list[Step] | None = field(default=None, init=False, repr=False, compare=False)
    _ahead: list | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def explanation(self) -> list[Step]:
        """Each reported outcome (with ``explain``, every output) and why."""
        if self._steps is None:
            self._steps = explanation(self.rulebook, self.values, self.reasons, every=self.explain_all)
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
            pending = getattr(self, "pending", None) or {}
            self._ahead = ahead(self.rulebook, self.values, self.as_of, self.horizon, skip=tuple(pending))
        return self._ahead

    def as_dict(self) -> dict:
        """The stable JSON contract of ``evaluate --format json``."""
        book = self.rulebook
        return {
            "rulebook": book.meta.as_dict(),
            "case_id": self.case_id,
            "as_of": self.as_of.isoformat(),
            "outcomes": {k: for_json(v) for k, v in self.outcomes.items()},
            "explanation": [s.as_dict() for s in self.explanation],
            "documents": list(self.documents),
            "warnings": list(self.warnings),
            "changes_ahead": [c.as_dict() for c in self.changes_ahead],
            "provenance": provenance(book),
        }


def explanation(book: Rulebook, values: dict, reasons: dict, *, every: bool = False) -> list[Step]:
    """The steps of a decision: the reported outcomes in order, or with
    ``every`` each element's every output."""
    shown = [out for el in book.elements for out in el.outputs] if every else book.outcomes
    steps = []
    for out in shown:
        el = book.producers[out]
        reason = reasons[el.name]
        steps.append(Step(out, values[out], el.explain(values, reason), reason.source,
                          reason.label, f"{reason.loc.file}:{reason.loc.line}"))
    return steps


def provenance(book: Rulebook) -> dict:
    return {"rulebook_id": book.meta.id, "rulebook_version": book.meta.version,
            "rulebook_sha256": book.sha256, "engine_version": __version__}


def read_case(book: Rulebook, case: Any, origin: Location | None = None, **kwargs) -> dict:
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


def _failed(values: dict, kind: str, name: str, loc: Location, exc: Exception) -> EvaluationError:
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


def evaluate(book: Rulebook, case: Any, as_of: _dt.date | None = None, *, explain: bool = False,
             origin: Location | None = None, horizon: int = HORIZON) -> Decision:
    """Evaluate one case (a mapping, as loaded from YAML/JSON) against ``book``.

    ``as_of`` is the date to decide as of. Left out (None), it is today's
    date where the process runs, as for the command line's ``--as-of``; the
    decision records the date used and that it was defaulted. Pass it for
    results that do not change from one day to the next. ``explain`` makes
    the explanation cover every element's every output, not just the
    reported outcomes. ``horizon`` is how many days ahead (1 to 3,650)
    ``Decision.changes_ahead`` looks, when it is read. Raises
    :class:`CaseError` for a case that does not fit the inputs and
    :class:`EvaluationError` for a rule that cannot run on it.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX_HORIZON:
        raise ValueError(f"horizon must be a whole number of days from 1 to {MAX_HORIZON:,}")
    defaulted = as_of is None
    as_of = _dt.date.today() if as_of is None else as_of
    values = read_case(book, case, origin)
    reasons = run(book, values, as_of)
    outcomes = {name: values[name] for name in book.outcomes}
    docs = [d.id for d in book.documents.values() if _applies(d, values)]
    return Decision(book, values["case_id"], as_of, values, outcomes, docs, warnings(book, as_of), reasons,
                    explain_all=explain, as_of_defaulted=defaulted, horizon=horizon)


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
            f"rulebook `{meta.id}` {meta.version} was due for review by {meta.review_by.isoformat()}; "
            "check it still matches the council's current guidance before relying on this decision"
        )
    if as_of < meta.effective_from:
        found.append(
            f"the evaluation date {as_of.isoformat()} is before rulebook `{meta.id}` took effect "
            f"({meta.effective_from.isoformat()})"
        )
    return found


__all__ = ["Decision", "Step", "evaluate", "explanation", "read_case", "run", "CaseError"]
