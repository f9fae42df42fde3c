"""Arithmetic built to run forever, overflow printing, or print JSON that is
not JSON. Every number a rulebook writes or an expression computes stays
within ±10¹² and finite; beyond that is a located error (at validate) or the
case's error record (at run time)."""
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyengine.engine.dates import calendar
from policyengine.errors import Location
from policyengine.engine.expressions import ExprFault, compile_expression, functions

from .conftest import assert_clean_failure
from .test_validation_bounds import run_cli, with_inputs

N_INPUT = "  n: {type: integer, question: 'N?'}\n"


def test_multiplication_chained_across_decisions_stops_at_the_limit_instead_of_running_forever(
        mini_rulebook, write):
    chain = "".join(f"  d{i}:\n    source: guide\n    otherwise: {{expr: \"d{i - 1} * d{i - 1}\", because: b}}\n"
                    for i in range(1, 40))
    path = mini_rulebook()
    first = "  d0:\n    source: guide\n    otherwise: {expr: \"n * n\", because: b}\n"
    path.write_text(with_inputs(path.read_text(), N_INPUT).replace(
        "outcomes: [out]\n", first + chain + "outcomes: [out, d39]\n"))
    case = write("case.yaml", "case_id: C1\nlevel: low\nn: 10\n")
    result = run_cli("evaluate", "-r", path, case, "--as-of", "2026-11-22", timeout=30)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.endswith(": case C1: decisions `d3` could not be evaluated: "
                                  "`*` gives a number outside the limit of ±1,000,000,000,000\n")


@pytest.mark.parametrize("attack, expression", [
    ("a 5,000-digit literal", "9" * 5000 + " > 1"),
    ("1e308*10", "1e308*10 > 1"),
    ("a literal one over the limit", "n > 1000000000001"),
])
def test_a_number_literal_beyond_the_limit_is_refused_at_validate(cli, mini_rulebook, attack, expression):
    path = mini_rulebook()
    path.write_text(with_inputs(path.read_text().replace("{when: a,", f"{{when: \"{expression}\","), N_INPUT))
    err = assert_clean_failure(cli("validate", path), mentions="a number is outside the limit of ±1,000,000,000,000")
    assert err.startswith(f"{path}:20:16: in expression `") and err.count("\n") == 1


@pytest.mark.parametrize("attack, value, message", [
    ("infinity", ".inf", "decisions.out.otherwise.value must be a finite number between "
                         "-1,000,000,000,000 and 1,000,000,000,000"),
    ("not a number", ".nan", "decisions.out.otherwise.value must be a finite number between "
                             "-1,000,000,000,000 and 1,000,000,000,000"),
    ("a 5,000-digit number", "9" * 5000, "a number has more than 4,300 digits"),
])
def test_a_rulebook_value_that_is_not_a_finite_bounded_number_is_refused(cli, mini_rulebook, attack, value, message):
    path = mini_rulebook()
    path.write_text(path.read_text().replace("{value: no_a,", f"{{value: {value},"))
    err = assert_clean_failure(cli("validate", path), mentions=message)
    assert err == f"{path}:20:24: {message}\n"


def test_a_product_of_case_numbers_over_the_limit_is_that_rows_error_and_the_output_is_strict_json(
        cli, mini_rulebook, write):
    path = mini_rulebook()
    path.write_text(with_inputs(path.read_text().replace("{value: no_a,", "{expr: \"n * n * 0.5\","), N_INPUT))
    rows = write("rows.csv", "case_id,level,n\nR1,low,1000000000000\nR2,low,4\n")
    result = cli("batch", "-r", path, rows, "--as-of", "2026-11-22")

    def no_constants(name):
        raise AssertionError(f"{name} is not JSON")

    records = [json.loads(line, parse_constant=no_constants) for line in result.stdout.splitlines()]
    assert records[0]["error"] == ("decisions `out` could not be evaluated: "
                                   "`*` gives a number outside the limit of ±1,000,000,000,000")
    assert records[1]["outcomes"] == {"out": 8}  # a whole result is a whole number (engine.numbers)
    assert "1000000000000" not in result.stderr



NUMBERS = st.one_of(st.integers(-10**12, 10**12), st.floats(-1e12, 1e12, allow_nan=False))


@given(st.lists(st.tuples(st.sampled_from("+-*"), NUMBERS), min_size=1, max_size=8), NUMBERS)
def test_arithmetic_on_numbers_within_the_limit_stays_within_it_or_is_a_clean_fault(steps, first):
    source = "x0" + "".join(f" {op} x{i + 1}" for i, (op, _) in enumerate(steps))
    values = {f"x{i}": v for i, v in enumerate([first] + [v for _, v in steps])}
    expr = compile_expression(source, Location("r.yaml", 1, 1), set(values), functions(calendar()))
    try:
        result = expr(values)
    except ExprFault as fault:
        assert str(fault).endswith("gives a number outside the limit of ±1,000,000,000,000")
    else:
        assert -10**12 <= result <= 10**12


def test_a_factor_sum_over_the_limit_is_the_cases_error(mini_rulebook):
    from policyengine import EvaluationError, load_rulebook

    path = mini_rulebook("""
    factors:
      score: {measure: sum, items: [r, s], source: guide}
    """)
    path.write_text(with_inputs(path.read_text(), "  r: {type: integer, question: 'R?'}\n"
                                                  "  s: {type: integer, question: 'S?'}\n"))
    book = load_rulebook(path)
    with pytest.raises(EvaluationError) as info:
        book.evaluate({"case_id": "C1", "level": "low", "r": 10**12, "s": 1})
    assert info.value.message == ("case C1: factors `score` could not be evaluated: "
                                  "the sum is outside the limit of ±1,000,000,000,000")
