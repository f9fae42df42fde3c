"""The DMN TCK's decision-table cases, run through `import_dmn` and `evaluate`.

`python -m tests.conformance.tck` prints the figure CI reports; the tests in
test_dmn_tck.py fail on any case that passed before (see EXPECTED_FAILURES).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from defusedxml import ElementTree

from policyengine import PolicyEngineError, load_rulebook_text
from policyengine.change.dmn import import_dmn, snake

ROOT = Path(__file__).resolve().parents[2]
TCK = ROOT.parent / "shared" / "conformance" / "dmn-tck"
TC = "{http://www.omg.org/spec/DMN/20160719/testcase}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}type"
AS_OF = dt.date(2026, 11, 24)


@dataclass
class Case:
    model: str
    id: str
    inputs: dict
    expected: dict


def models(level: str = "compliance-level-2") -> list[Path]:
    return sorted((TCK / level).glob("*/*.dmn")) if TCK.exists() else []


def cases(model: Path) -> list[Case]:
    found = []
    for file in sorted(model.parent.glob("*-test-*.xml")):
        root = ElementTree.parse(file).getroot()
        for test in root.iter(f"{TC}testCase"):
            inputs = {snake(n.get("name")): _value(n) for n in test.findall(f"{TC}inputNode")}
            expected = {snake(n.get("name")): _value(n.find(f"{TC}expected")) for n in test.findall(f"{TC}resultNode")}
            found.append(Case(model.parent.name, test.get("id"), inputs, expected))
    return found


def _value(node: Any) -> Any:
    """A TCK value: a typed value, a list of items, or components (a mapping)."""
    value = node.find(f"{TC}value")
    if value is not None:
        return _typed(value)
    listed = node.find(f"{TC}list")
    if listed is not None:
        return [_value(item) for item in listed.findall(f"{TC}item")]
    components = node.findall(f"{TC}component")
    if components:
        return {snake(c.get("name")): _value(c) for c in components}
    return None


def _typed(value: Any) -> Any:
    if value.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true":
        return None
    kind, text = value.get(XSI, "xsd:string"), value.text or ""
    if kind == "xsd:decimal":
        number = Decimal(text)
        return int(number) if number == number.to_integral_value() else number
    if kind == "xsd:boolean":
        return text == "true"
    if kind == "xsd:date":
        return dt.date.fromisoformat(text)
    return text


def run(model: Path) -> list[tuple[Case, bool, str]]:
    """Each case of ``model``: whether it passed, and why not."""
    try:
        text = yaml.safe_dump(import_dmn(str(model)), sort_keys=False, allow_unicode=True)
        book = load_rulebook_text(text, name=f"{model.stem}.yaml")
    except PolicyEngineError as exc:
        return [(case, False, f"import: {exc}") for case in cases(model)]
    results = []
    for case in cases(model):
        try:
            decision = book.evaluate({"case_id": case.id, **case.inputs}, AS_OF, partial=True)
        except PolicyEngineError as exc:
            results.append((case, False, f"evaluate: {exc}"))
            continue
        wrong = [f"{k}: expected {v!r}, got {decision.values.get(k)!r}" for k, v in case.expected.items()
                 if not _same(decision.values.get(k), v)]
        results.append((case, not wrong, "; ".join(wrong)))
    return results


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(_same, got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(_same(got[k], want[k]) for k in want)
    if isinstance(want, (int, Decimal)) and not isinstance(want, bool):
        return isinstance(got, (int, Decimal, float)) and not isinstance(got, bool) and Decimal(str(got)) == want
    return type(got) is type(want) and got == want


def main() -> None:
    results = [r for model in models() for r in run(model)]
    passed = sum(1 for _, ok, _ in results if ok)
    for case, ok, why in results:
        if not ok:
            print(f"  failed: {case.model} #{case.id}: {why}")
    print(f"{passed}/{len(results)} DMN TCK cases pass")


if __name__ == "__main__":
    main()
