"""Stage 4, evaluate: a case in, a :class:`Decision` out.

The compiled elements run in dependency order over one dict of values. The
explanation is built from the reasons the elements return, only for the
outcomes reported (or for every element with ``explain=True``).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from .._version import __version__
from ..errors import CaseError, EvaluationError, Location
from .expressions import ExprFault
from .values import for_json

#: The old name of :func:`values.for_json`, for callers outside the engine.
jsonable = for_json


@dataclass(frozen=True)
class Step:
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
    rulebook: Any
    case_id: str
    as_of: _dt.date
    values: dict
    outcomes: dict
    explanation: list[Step]
    documents: list[str]
    warnings: list[str]
    reasons: dict = field(repr=False, default_factory=dict)

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
            "provenance": provenance(book),
        }


def provenance(book) -> dict:
    return {"rulebook_id": book.meta.id, "rulebook_version": book.meta.version,
            "rulebook_sha256": book.sha256, "engine_version": __version__}


def read_case(book, case: Any, origin: Location | None = None, **kwargs) -> dict:
    """Check a raw case against the rulebook's inputs; the values the rules read."""
    return book.reader.read(case, origin or Location(), **kwargs)


def run(book, values: dict, as_of: _dt.date, *, reasons: bool = True) -> dict | None:
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


def evaluate(book, case: Any, as_of: _dt.date | None = None, *, explain: bool = False,
             origin: Location | None = None) -> Decision:
    """Evaluate one case (a mapping, as loaded from YAML/JSON) against ``book``."""
    as_of = as_of or _dt.date.today()
    values = read_case(book, case, origin)
    reasons = run(book, values, as_of)
    outcomes = {name: values[name] for name in book.outcomes}
    # The reported outcomes, in order; with explain, every element's every output.
    shown = [out for el in book.elements for out in el.outputs] if explain else book.outcomes
    steps = []
    for out in shown:
        el = book.producers[out]
        reason = reasons[el.name]
        steps.append(Step(out, values[out], el.explain(values, reason), reason.source,
                          reason.label, f"{reason.loc.file}:{reason.loc.line}"))
    docs = [d.id for d in book.documents.values() if _applies(d, values)]
    return Decision(book, values["case_id"], as_of, values, outcomes, steps, docs,
                    warnings(book, as_of), reasons)


def _applies(doc, values: dict) -> bool:
    if doc.when is None:
        return True
    try:
        return bool(doc.when.fn(values))
    except Exception as exc:  # noqa: BLE001 - as for elements: this case's error, not a crash
        raise _failed(values, "documents", doc.id, doc.loc, exc) from None


def warnings(book, as_of: _dt.date) -> list[str]:
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


__all__ = ["Decision", "Step", "evaluate", "read_case", "run", "CaseError"]
