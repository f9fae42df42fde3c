"""Rulebooks built to make validation slow or exhaust memory, and expressions
built to crash at run time. Each finishes in a few seconds with clean,
located errors; a case that breaks an expression is that case's error record,
which never repeats the case's value."""
import json
import os
import subprocess
import sys

import pytest

from ..conftest import MINIMAL
from .conftest import assert_clean_failure

ONE_RULE = "      - {when: a, value: yes_a, because: a holds}\n"
WHEN_INPUT = "  when: {type: date, question: 'When?'}\n"


def with_inputs(text: str, extra: str) -> str:
    return text.replace(WHEN_INPUT, WHEN_INPUT + extra)


def run_cli(*args, timeout=60):
    """The CLI in a subprocess, so an attack that hangs the old code cannot hang the suite."""
    return subprocess.run([sys.executable, "-c", "from policyengine.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def errors_after(err: str, path) -> list[str]:
    return [line.removeprefix(f"{path}:") for line in err.splitlines()]


# -- the unreachable-rule check is bounded ----------------------------------------
def test_a_decision_of_a_thousand_rules_over_fourteen_booleans_is_not_enumerated_and_a_note_says_so(
        cli, hostile):
    booleans = "".join(f"  x{i}: {{type: boolean, required: true, question: 'X?'}}\n" for i in range(14))
    rules = "".join(f"      - {{when: 'x{i % 14} and x{(i * 7 + 3) % 14} and not x{(i * 3 + 1) % 14}', "
                    f"value: v{i}, because: b}}\n" for i in range(1000))
    path = hostile("reach.yaml", with_inputs(MINIMAL, booleans).replace(ONE_RULE, rules))
    result = cli("validate", path)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: ok\n"
    assert result.stderr == (
        f"{path}:30:3: note: `out` was not checked for rules that can never fire: its conditions need "
        "16,384,000 evaluations (combinations of values × rules), over the limit of 100,000\n")


# -- a matrix with cells missing ----------------------------------------------------
def test_a_matrix_of_eight_axes_of_ten_values_with_cells_missing_names_ten_and_counts_the_rest(hostile):
    enums = "".join(f"  m{i}: {{type: enum, values: [{', '.join(f'v{j}' for j in range(10))}], "
                    f"required: true, question: 'M?'}}\n" for i in range(8))
    path = hostile("matrix.yaml", with_inputs(MINIMAL, enums) + (
        "matrices:\n  mm:\n    by: [m0, m1, m2, m3, m4, m5, m6, m7]\n    source: guide\n    cells: {}\n"))
    result = run_cli("validate", path)
    assert result.returncode == 1
    lines = errors_after(result.stderr, path)
    assert lines[0] == "34:5: matrix `mm` has no cell for m0 v0 × m1 v0 × m2 v0 × m3 v0 × m4 v0 × m5 v0 × m6 v0 × m7 v0"
    assert lines[9] == "34:5: matrix `mm` has no cell for m0 v0 × m1 v0 × m2 v0 × m3 v0 × m4 v0 × m5 v0 × m6 v0 × m7 v9"
    assert lines[10:] == ["34:5: matrix `mm`: … and 99,999,990 more missing cells"]


# -- expressions nested deeply or chained long --------------------------------------
@pytest.mark.parametrize("attack, expression, message", [
    ("80 nested parentheses", "(" * 80 + "a" + ")" * 80, "the expression is nested more than 32 levels deep"),
    ("1,000 `not`", "not " * 1000 + "a", "the expression is nested more than 32 levels deep"),
    ("40 chained `+`", " + ".join(["1"] * 40) + " > 1", "the expression is nested more than 32 levels deep"),
    ("100,000 `and`", " and ".join(["a"] * 100_000), "the expression is longer than 10,000 characters"),
])
def test_an_expression_nested_too_deep_or_too_long_is_a_located_error_not_a_recursion_error(
        cli, mini_rulebook, attack, expression, message):
    path = mini_rulebook()
    path.write_text(path.read_text().replace("{when: a,", f"{{when: \"{expression}\","))
    err = assert_clean_failure(cli("validate", path), mentions=message)
    assert err.startswith(f"{path}:19:16: ") and err.endswith(f"{message}\n") and err.count("\n") == 1


def test_an_or_chain_of_five_hundred_terms_compiles_without_nesting_and_decides(cli, mini_rulebook, write):
    path = mini_rulebook()
    chain = " or ".join(["b"] * 500) + " or a"
    path.write_text(path.read_text().replace("{when: a,", f"{{when: \"{chain}\","))
    case = write("case.yaml", "case_id: C1\nlevel: low\na: true\n")
    result = cli("evaluate", "-r", path, case, "--format", "json", "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcomes"] == {"out": "yes_a"}


# -- thousands of errors ----------------------------------------------------------
def test_three_thousand_unknown_names_list_a_thousand_errors_and_count_the_rest(cli, hostile):
    rules = "".join(f"      - {{when: 'nope{i}', value: v{i}, because: b}}\n" for i in range(3000))
    path = hostile("unknown.yaml", MINIMAL.replace(ONE_RULE, rules))
    result = cli("validate", path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1001
    assert lines[0] == f"{path}:19:16: in expression `nope0`: unknown name `nope0`"
    assert lines[-1] == f"{path}: … and 2,000 more errors"


# -- extends: only a regular rulebook file --------------------------------------------
def test_extends_etc_passwd_is_refused_at_the_extends_line(cli, hostile):
    path = hostile("fork.yaml", "extends: /etc/passwd\n")
    err = assert_clean_failure(cli("validate", path), mentions="is not a rulebook")
    assert err == f"{path}:1:10: the base rulebook `/etc/passwd` is not a rulebook (a YAML mapping of sections)\n"


def test_extends_a_case_file_is_refused_without_repeating_anything_in_it(cli, hostile, tmp_path):
    # Review round 2: a fork extending a case file had its keys and values validated
    # as a rulebook, and the errors (on the web app's public index too) repeated them.
    (tmp_path / "case.yaml").write_text("case_id: C1\nperson_name: Zelda Quartermaine\nZelda_secret_value: 1\n")
    path = hostile("fork.yaml", "extends: case.yaml\n")
    err = assert_clean_failure(cli("validate", path), mentions="not a rulebook")
    assert err == f"{path}:1:10: the base rulebook `case.yaml` is not a rulebook (a YAML mapping of sections)\n"


def test_extends_a_case_file_with_a_repeated_key_repeats_nothing_in_it(cli, hostile, tmp_path):
    # Review round 3: the parser's own message about the case file ("duplicate key
    # `Zelda Quartermaine HIV+`") was shown, on the web app's index too.
    (tmp_path / "dup.yaml").write_text("case_id: C1\nZelda Quartermaine HIV+: 1\nZelda Quartermaine HIV+: 2\n")
    path = hostile("fork.yaml", "extends: dup.yaml\nrulebook: {id: f}\n")
    err = assert_clean_failure(cli("validate", path), mentions="not a rulebook")
    assert err == f"{path}:1:10: the base rulebook `dup.yaml` is not a rulebook (a YAML mapping of sections)\n"


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_extends_a_directory_or_a_fifo_is_refused_without_reading_it(hostile, tmp_path, kind):
    base = tmp_path / "base.yaml"
    base.mkdir() if kind == "directory" else os.mkfifo(base)
    path = hostile("fork.yaml", "extends: base.yaml\n")
    result = run_cli("validate", path, timeout=30)  # the old code blocked forever reading a FIFO
    assert (result.returncode, result.stderr) == (
        1, f"{path}:1:10: the base rulebook `base.yaml` is not a regular file\n")


def test_extends_a_file_over_the_size_limit_is_refused_at_the_extends_line(cli, hostile, tmp_path):
    with open(tmp_path / "huge.yaml", "wb") as fh:
        fh.truncate(6 * 1024 * 1024)
    path = hostile("fork.yaml", "extends: huge.yaml\n")
    err = assert_clean_failure(cli("validate", path), mentions="the limit is")
    assert err == f"{path}:1:10: the base rulebook `huge.yaml` is 6,291,456 bytes; the limit is 1,048,576 bytes\n"


# -- runtime faults are the row's error record, never the run's end -------------------
def fault_book(mini_rulebook, expr: str, inputs: str):
    path = mini_rulebook()
    text = with_inputs(path.read_text(), inputs)
    path.write_text(text.replace("{value: no_a, because:", f"{{expr: \"{expr}\", because:"))
    return path


@pytest.mark.parametrize("attack, expr, inputs, cell, problem", [
    ("days_between on integers", "days_between(first(n), first(n))",
     "  n: {type: integer, question: 'N?'}\n", "31337", "`days_between` needs a date, got int"),
    ("is_working_day on text", "is_working_day(first(t))",
     "  t: {type: string, question: 'T?'}\n", "Zelda Quartermaine", "`is_working_day` needs a date, got str"),
])
def test_a_row_whose_expression_raises_is_an_error_record_and_every_other_row_is_decided(
        cli, mini_rulebook, write, attack, expr, inputs, cell, problem):
    # `first(...)` hides the input's type from validate, which refuses the plain input (below).
    name = inputs.split(":")[0].strip()
    path = fault_book(mini_rulebook, expr, inputs)
    csv = write("rows.csv", f"case_id,level,a,{name}\nR1,low,yes,{cell}\nR2,low,no,{cell}\nR3,high,yes,{cell}\n")
    result = cli("batch", "-r", path, csv, "--as-of", "2026-11-22")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["case_id"] for r in records] == ["R1", "R2", "R3"]
    assert records[0]["outcomes"] == {"out": "yes_a"} and records[2]["outcomes"] == {"out": "yes_a"}
    assert records[1]["error"] == f"decisions `out` could not be evaluated: {problem}"
    assert cell not in result.stderr
    case = write("case.yaml", f"case_id: R2\nlevel: low\n{name}: {cell}\n")
    one = cli("evaluate", "-r", path, case, "--as-of", "2026-11-22")
    assert (one.exit_code, one.stdout) == (1, "")
    assert one.stderr == f"{path}:17:3: case R2: decisions `out` could not be evaluated: {problem}\n"


@pytest.mark.parametrize("attack, expr, message", [
    ("days_between on an integer input", "days_between(n, as_of)", "`days_between` needs a date as argument 1, not a number"),
    ("is_working_day on a text input", "is_working_day(t)", "`is_working_day` needs a date as argument 1, not text"),
    ("add with a number for an interval", "add(as_of, n)", "`add` needs an interval as argument 2, not a number"),
    ("add with a bad interval", "add(as_of, '2 fortnights')", "`2 fortnights` is not an interval; write a whole "
     "number and a unit, e.g. '14 days', '2 weeks', '1 month', '25 years', '1 working day'"),
    ("days_between with one argument", "days_between(as_of)", "`days_between` takes 2 arguments, not 1"),
])
def test_a_function_given_an_input_of_the_wrong_type_is_refused_at_validate(cli, mini_rulebook, attack, expr, message):
    path = fault_book(mini_rulebook, expr, "  n: {type: integer, question: 'N?'}\n  t: {type: string, question: 'T?'}\n")
    err = assert_clean_failure(cli("validate", path), mentions=message)
    assert err == f"{path}:22:23: in expression `{expr}`: {message}\n"


def test_a_document_condition_that_raises_is_an_evaluation_error_not_a_crash(cli, mini_rulebook, write):
    path = mini_rulebook("""
    documents:
      note: {title: Note, audience: record, template: note.md.j2, when: "days_between(first(level), as_of) > 1"}
    """)
    folder = path.parent / "templates" / "mini"
    folder.mkdir(parents=True)
    (folder / "note.md.j2").write_text("Note\n")
    case = write("case.yaml", "case_id: D1\nlevel: low\n")
    result = cli("evaluate", "-r", path, case, "--as-of", "2026-11-22")
    assert (result.exit_code, result.stderr) == (
        1, f"{path}:24:51: case D1: documents `note` could not be evaluated: `days_between` needs a date, got str\n")


# -- values are never repeated in messages --------------------------------------------
def test_case_text_that_is_not_an_interval_is_not_repeated_in_the_error(cli, mini_rulebook, write):
    path = mini_rulebook()
    text = with_inputs(path.read_text(), "  every: {type: string, question: 'Every?'}\n")
    text = text.replace("  out:\n", "  out:\n    type: interval\n").replace(
        "{value: no_a, because:", "{expr: every, because:").replace("value: yes_a", "value: 2 weeks")
    path.write_text(text)
    secret = "Zelda Quartermaine (HIV+) weekly"
    csv = write("rows.csv", f"case_id,level,every\nR1,low,{secret}\nR2,low,3 days\n")
    result = cli("batch", "-r", path, csv, "--as-of", "2026-11-22")
    assert secret not in result.output and "Zelda" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["error"] == ("decisions `out` could not be evaluated: the value is not an interval; "
                                   "write a whole number and a unit, e.g. '14 days', '2 weeks', '1 month', "
                                   "'25 years', '1 working day'")
    assert records[1]["outcomes"] == {"out": "3 days"}


def test_a_value_outside_every_band_is_not_repeated_in_the_error(mini_rulebook):
    from policyengine import EvaluationError, load_rulebook

    path = mini_rulebook("""
    thresholds:
      load: {of: n, source: guide, bands: [{from: 0, to: 2, value: low}]}
    """)
    path.write_text(with_inputs(path.read_text(), "  n: {type: integer, question: 'N?'}\n"))
    with pytest.raises(EvaluationError) as info:
        load_rulebook(path).evaluate({"case_id": "C1", "level": "low", "n": 3})
    assert info.value.message == ("case C1: thresholds `load` could not be evaluated: "
                                  "the value falls outside every band of threshold `load`")


def test_a_rulebook_over_one_megabyte_is_refused_before_it_is_read(cli, tmp_path):
    path = tmp_path / "big.yaml"
    with open(path, "wb") as fh:
        fh.truncate(2 * 1024 * 1024)  # sparse: nothing to read
    err = assert_clean_failure(cli("validate", path), mentions="the limit is 1,048,576 bytes")
    assert err == f"{path}: the file is 2,097,152 bytes; the limit is 1,048,576 bytes\n"
