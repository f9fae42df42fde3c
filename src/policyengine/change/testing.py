"""Running a rulebook's own tests: example cases with expected outcomes.

A rulebook's ``tests:`` section lists cases, each with the outcomes it must
produce. ``policyengine test`` and pytest both run them through here.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import Location, PolicyEngineError
from ..engine.compile import Rulebook
from ..engine.constructs import BY_SECTION
from ..engine.evaluate import evaluate
from ..engine.unknown import UNKNOWN
from ..engine.dates import long_date
from ..engine.values import for_json
from ..engine.load import loc_of
from ..engine.validate import plain
from .diff import with_dates

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
    __test__ = False  # not a pytest test class, whatever its name
    name: str
    location: Location
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None
    decision: object = None

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


def run_tests(book: Rulebook) -> list[TestResult]:
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
            actual = for_json(decision.values[outcome])
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


def coverage_points(book: Rulebook) -> list[Point]:
    """What the rulebook's tests should reach, as each construct counts it."""
    points = []
    for el in book.elements:
        where = f"{el.kind} `{el.name}`"
        points.extend(Point(key, f"{where} {label}", loc) for key, label, loc in BY_SECTION[el.kind].points(el))
    return points


def reached(book: Rulebook, results: list[TestResult]) -> set:
    keys: set = set()
    for result in results:
        decision = result.decision
        if decision is None:
            continue
        for el in book.elements:
            if any(decision.values.get(out) is UNKNOWN for out in el.outputs):
                continue  # not decided yet: no rule, band or item of it was reached
            keys.update(BY_SECTION[el.kind].reached(el, decision.values, decision.reasons.get(el.name)))
    return keys


def unreached(book: Rulebook, results: list[TestResult]) -> tuple[list[Point], int]:
    """The points no test reaches, and how many points there are."""
    points = coverage_points(book)
    hit = reached(book, results)
    missing = [p for p in points if p.key not in hit]
    missing.sort(key=lambda p: (p.location.file or "", p.location.line or 0, p.location.column or 0))
    return missing, len(points)


@dataclass
class RulebookTestRun:
    """A rulebook's tests run, with its coverage when asked for, as a report
    (``as_dict``, ``text``, ``rows``). The text lists only what needs a look:
    the coverage, what no test reaches, and each failing test."""

    path: str
    results: list[TestResult]
    missing: list[Point] | None = None  # with coverage: the points no test reaches
    points: int = 0                     # with coverage: how many points there are

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    def text(self) -> str:
        lines = []
        if not self.results:  # "0 passed, 0 failed" alone reads as success
            lines.append(f"{self.path}: no tests: write this rulebook's own under `tests:` (a fork does not "
                         "inherit its base's tests)" + (", so nothing below is reached" if self.missing else ""))
        if self.missing is not None:
            lines.append(f"coverage {self.path}: {self.points - len(self.missing)} of {self.points} rules, "
                         "cells, bands, items and due dates reached")
            lines.extend(f"  not reached: {point.location}: {point.label}" for point in self.missing)
        for result in self.results:
            if not result.passed:
                lines.extend(_failure(result))
        return "".join(line + "\n" for line in lines)

    def as_dict(self) -> dict:
        data = {"rulebook": self.path, "passed": self.passed, "failed": self.failed,
                "tests": [{"name": r.name, "location": str(r.location), "passed": r.passed, "error": r.error,
                           "mismatches": [vars(m) for m in r.mismatches]} for r in self.results]}
        if self.missing is not None:
            data["coverage"] = {"points": self.points,
                                "not_reached": [{"location": str(p.location), "label": p.label}
                                                for p in self.missing]}
        return data

    def rows(self) -> list[list[Any]]:
        return [["test", "location", "passed", "error"],
                *([r.name, str(r.location), "true" if r.passed else "false", r.error or ""] for r in self.results)]


def _failure(result: TestResult) -> list[str]:
    lines = [f"FAIL {result.location}: {result.name}"]
    if result.error:  # a test case's every problem, one indented line each
        lines.extend(f"  {line}" for line in result.error.splitlines())
    lines.extend(f"  {m.outcome}: expected {_said(m.expected)}, got {_said(m.actual)} ({m.rule})"
                 for m in result.mismatches)
    return lines


def _said(value: Any) -> str:
    """An expected or actual value in a failure: as JSON (so "" and "no" read apart), but a
    date the British way ("20 November 2026"), as people read dates everywhere else."""
    day = with_dates(value)
    return long_date(day) if isinstance(day, _dt.date) else json.dumps(value)


def run_rulebook_tests(book: Rulebook, *, coverage: bool = False) -> RulebookTestRun:
    """Run a rulebook's own tests (and measure their coverage, if asked)."""
    results = run_tests(book)
    if not coverage:
        return RulebookTestRun(book.path, results)
    missing, points = unreached(book, results)
    return RulebookTestRun(book.path, results, missing, points)
