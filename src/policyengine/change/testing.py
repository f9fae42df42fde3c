"""Running a rulebook's own tests: example cases with expected outcomes.

A rulebook's ``tests:`` section lists cases, each with the outcomes it must
produce. ``policyengine test`` and pytest both run them through here.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from ..errors import Location, PolicyEngineError
from ..engine.evaluate import evaluate, jsonable
from ..engine.load import loc_of
from ..engine.validate import plain

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


@dataclass(frozen=True)
class Point:
    """Something a rulebook's tests should reach: a rule, cell, band, item or due date."""

    key: tuple
    label: str
    location: Location


def coverage_points(book) -> list[Point]:
    points = []
    for el in book.elements:
        where = f"{el.kind} `{el.name}`"
        if el.kind in ("decisions", "thresholds", "matrices", "reserved_tasks"):
            points.extend(Point(("reason", id(r)), f"{where} {r.label}", r.loc) for r in el.reasons)
        elif el.kind == "checklists":
            points.extend(Point(("item", el.name, r.because), f"{where} {r.label}", r.loc) for r in el.reasons)
        elif el.kind == "cadences":
            points.append(Point(("due", el.name), f"{where} due date", el.loc))
            if len(el.outputs) > 1:
                points.append(Point(("late", el.name, True), f"{where} overdue", el.loc))
                points.append(Point(("late", el.name, False), f"{where} not overdue", el.loc))
    return points


def reached(book, results: list[TestResult]) -> set:
    keys = set()
    for result in results:
        decision = result.decision
        if decision is None:
            continue
        for el in book.elements:
            reason = decision.reasons.get(el.name)
            keys.add(("reason", id(reason)))
            value = decision.values.get(el.name)
            if el.kind == "checklists":
                keys.update(("item", el.name, text) for text in value or ())
            elif el.kind == "cadences" and value is not None:
                keys.add(("due", el.name))
                if len(el.outputs) > 1:
                    keys.add(("late", el.name, bool(decision.values[el.outputs[1]])))
    return keys


def unreached(book, results: list[TestResult]) -> tuple[list[Point], int]:
    """The points no test reaches, and how many points there are."""
    points = coverage_points(book)
    hit = reached(book, results)
    missing = [p for p in points if p.key not in hit]
    missing.sort(key=lambda p: (p.location.file or "", p.location.line or 0, p.location.column or 0))
    return missing, len(points)
