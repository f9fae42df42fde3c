"""Numbers with a fractional part are worked as written: 3 × 0.1 is 0.3, never 0.30000000000000004.

A rulebook's 0.1 or 12.50 is decimal; in binary floating point ``3 * 0.1 <= 0.3`` is false, so a
case on the boundary would be decided the other way, silently. These pin the exact behaviour in
expressions, thresholds, decision tables and what is written out."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyengine import load_rulebook_text, run_caseload
from policyengine.engine.dates import calendar
from policyengine.engine.expressions import compile_expression, functions
from policyengine.engine.values import for_csv, for_json
from policyengine.errors import Location

FUNCS = functions(calendar())
ROOT = Path(__file__).resolve().parents[2]


def run(source, **values):
    return compile_expression(source, Location("r.yaml", 1, 1), {"n", "w", "x"}, FUNCS)(values)


@pytest.mark.parametrize("source, values, expected", [
    ("n * 0.1 <= 0.3", {"n": 3}, True),
    ("n * 0.1 == 0.3", {"n": 3}, True),
    ("0.1 + 0.2 == 0.3", {}, True),
    ("0.1 + 0.2 != 0.3", {}, False),
    ("0.3 - 0.1 >= 0.2", {}, True),
    ("n * 0.1 in [0.3, 0.6]", {"n": 6}, True),
    ("w * 3 == 1.5", {"w": Decimal("0.5")}, True),
    ("w >= 1", {"w": Decimal("1.5")}, True),
    ("w <= 0.3", {"w": Decimal("0.3")}, True),
    ("w == 0.3", {"w": Decimal("0.3")}, True),
    ("n * 12.50", {"n": 4}, 50),
    ("n * 12.55", {"n": 3}, Decimal("37.65")),
    ("n + 2 * 3", {"n": 1}, 7),
])
def test_arithmetic_and_comparison_work_on_the_decimals_as_written(source, values, expected):
    got = run(source, **values)
    assert got == expected and type(got) is type(expected)


def test_a_whole_result_is_a_whole_number_and_a_fraction_is_written_with_its_own_digits():
    assert run("n * 0.5", n=4) == 2 and type(run("n * 0.5", n=4)) is int
    assert for_json(run("n * 0.1", n=3)) == 0.3
    assert for_csv(run("0.25 * 2", n=0)) == "0.5"
    assert for_csv(run("n * 12.55", n=3)) == "37.65"


def test_a_result_is_held_to_34_significant_digits():
    assert run("x * x * x", x=Decimal("0.1234567890123")) == Decimal("0.001881676372351569116835132557725291")
    assert run("x * x", x=Decimal("0.1234567890123")) == Decimal("0.01524157875322755800955129")


@given(st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
       st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False))
def test_any_sum_of_two_written_decimals_equals_their_exact_sum_written_out(a, b):
    source = f"{float(a)!r} + {float(b)!r} == {float(a + b)!r}"
    assert run(source) is True


RULEBOOK = (ROOT / "bench" / "leics_minimal.yaml").read_text().split("matrices:")[0] + """
thresholds:
  enough:
    of: "days_on_tray * 0.1"
    at_least: 0.3
    source: jdm rag_table
    because: three tenths
decisions:
  weighted:
    source: jdm review.escalate
    rules:
      - {when: "days_on_tray * 0.1 <= 0.3", value: 0.5, because: low}
    otherwise: {value: 1.5, because: high}
outcomes: [enough, weighted]
"""


def test_a_case_on_a_fractional_boundary_is_decided_as_the_guidance_reads_in_every_format():
    book = load_rulebook_text(RULEBOOK)
    out = io.StringIO()
    run_caseload(book, b"case_id,support,risk,days_on_tray\nA,none,high,3\nB,none,high,4\nC,none,high,2\n",
                 as_of=dt.date(2026, 11, 23), output=out, format="csv", name="c.csv")
    rows = [line.split(",")[:3] for line in out.getvalue().splitlines()[1:]]
    assert rows == [["A", "true", "0.5"], ["B", "true", "1.5"], ["C", "false", "0.5"]]
