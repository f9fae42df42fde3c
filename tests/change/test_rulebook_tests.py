"""Every test written inside a shipped rulebook passes under pytest too."""
import pytest

from policyengine import load_rulebook
from policyengine.change.testing import run_tests

from ..conftest import RULEBOOKS


def _cases():
    for path in sorted(RULEBOOKS.glob("*.yaml")):
        book = load_rulebook(path)
        for i, test in enumerate(book.data.get("tests") or []):
            yield pytest.param(path, i, id=f"{path.stem}: {test['name']}")


@pytest.mark.parametrize("path, index", list(_cases()))
def test_rulebook_example_passes(path, index):
    result = run_tests(load_rulebook(path))[index]
    assert result.error is None
    assert result.mismatches == []


def test_every_shipped_rulebook_has_tests(books):
    for name, book in books.items():
        assert book.data.get("tests"), f"{name} has no tests"


def test_test_command_reports_passed_and_failed_counts(cli):
    result = cli("test")
    assert result.exit_code == 0
    assert result.output.splitlines()[-1].endswith(" passed, 0 failed")


def test_test_command_shows_expected_against_actual_and_the_rule(cli, minimal):
    path = minimal(extra="""
    tests:
      - name: a gives yes
        case: {case_id: X, a: true, level: low}
        expect: {out: no_a}
    """)
    result = cli("test", path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("FAIL ") and lines[0].endswith(": a gives yes")
    assert lines[1] == '  out: expected "no_a", got "yes_a" (rule 1 at line 19)'
    assert lines[-1] == "0 passed, 1 failed"


def test_a_test_case_that_does_not_fit_shows_every_problem_indented_under_the_test(cli, minimal):
    path = minimal(extra="""
    tests:
      - name: two problems
        case: {case_id: T1, levl: low, when: someday}
        expect: {out: no_a}
    """)
    result = cli("test", path)
    assert (result.exit_code, result.output) == (1, (
        f"FAIL {path}:24:5: two problems\n"
        f"  {path}:25:25: unknown field `levl` (did you mean `level`?)\n"
        f"  {path}:25:42: field `when` must be a real date written YYYY-MM-DD\n"
        f"  {path}:24:5: missing required field `level`\n"
        "0 passed, 1 failed\n"))


def test_coverage_lists_what_no_test_reaches_and_fails(cli, minimal):
    path = minimal(extra="""
    thresholds:
      big: {of: 5, at_least: 3, source: guide}
    tests:
      - name: a holds
        case: {case_id: X, a: true, level: low}
        expect: {out: yes_a}
    """)
    result = cli("test", "--coverage", path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"coverage {path}: 2 of 4 rules, cells, bands, items and due dates reached"
    assert lines[1] == f"  not reached: {path}:20:5: decisions `out` otherwise"
    assert lines[2] == f"  not reached: {path}:24:3: thresholds `big` 5 < 3"
    assert lines[-1] == "1 passed, 0 failed"


def test_coverage_of_a_test_that_leaves_a_checklist_and_a_cadence_pending_reaches_none_of_them(cli, minimal):
    path = minimal(replace={"b: {type: boolean, default: false,": "b: {type: boolean,"}, extra="""
    cadences:
      next_visit: {from: "when if b else none", every: 14 days, overdue_as: visit_overdue, source: guide}
    checklists:
      todo:
        source: guide
        items:
          - {when: b, item: Visit the person}
    tests:
      - name: b not known
        case: {case_id: X, level: low, when: 2026-11-01}
        expect: {out: no_a}
    """)
    result = cli("test", "--coverage", path)
    assert "internal error" not in result.output + result.stderr
    assert result.exit_code == 1  # nothing of the cadence or the checklist was reached
    assert "not reached" in result.output and "checklists `todo`" in result.output


def test_every_shipped_rulebook_reaches_full_coverage(cli):
    result = cli("test", "--coverage")
    assert result.exit_code == 0, result.output
    assert "not reached" not in result.output


def test_a_fork_with_no_tests_says_it_has_none_and_fails_coverage(cli, tmp_path):
    fork = tmp_path / "northwick.yaml"
    assert cli("fork", "rulebooks/knowsley.yaml", "--id", "northwick", "-o", fork).exit_code == 0
    result = cli("test", fork)
    assert (result.exit_code, result.stdout) == (0, (
        f"{fork}: no tests: write this rulebook's own under `tests:` (a fork does not inherit its base's tests)\n"
        "0 passed, 0 failed\n"))
    covered = cli("test", "--coverage", fork)
    assert covered.exit_code == 1
    assert covered.stdout.startswith(
        f"{fork}: no tests: write this rulebook's own under `tests:` (a fork does not inherit its base's tests), "
        f"so nothing below is reached\ncoverage {fork}: 0 of 20 rules, cells, bands, items and due dates reached\n")
