"""Running a rulebook's own tests: example cases with expected outcomes.

A rulebook's ``tests:`` section lists cases, each with the outcomes it must
produce. ``policyengine test`` and pytest both run them through here.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from .errors import Location, PolicyEngineError
from .evaluate import evaluate, jsonable
from .load import loc_of
from .validate import plain

#: The evaluation date of a test that does not give one, so results never
#: depend on the day the tests run.
DEFAULT_TEST_DATE = _dt.date(2026, 11, 23)


@dataclass
class Mismatch:
    outcome: str
    expected: object
    actual: object
    rule: str


@dataclass
class TestResult:
    name: str
    location: Location
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None
    decision: object = None

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


def run_tests(book) -> list[TestResult]:
    results = []
    tests = book.data.get("tests") or []
    for i, test in enumerate(tests):
        loc = loc_of(tests, i) or Location(book.path)
        result = TestResult(test["name"], loc)
        as_of = test.get("as_of") or DEFAULT_TEST_DATE
        if isinstance(as_of, str):
            as_of = _dt.date.fromisoformat(as_of)
        try:
            decision = evaluate(book, test["case"], as_of, explain=True, origin=loc.at(f"tests[{i}].case"))
        except PolicyEngineError as exc:
            result.error = str(exc)
            results.append(result)
            continue
        result.decision = decision
        for outcome, expected in test["expect"].items():
            if outcome not in decision.values or outcome in book.inputs:
                result.error = f"`{outcome}` is not an outcome of rulebook `{book.meta.id}`"
                break
            actual = jsonable(decision.values[outcome])
            if actual != plain(expected):
                reason = decision.reasons.get(book.producers[outcome].name)
                where = f"{reason.label} at line {reason.loc.line}" if reason else ""
                result.mismatches.append(Mismatch(outcome, plain(expected), actual, where))
        results.append(result)
    return results
