"""One way to write any report: every report has as_dict/text/rows, and each
format is one writer over that shape, giving what the commands print."""
import datetime as dt
from pathlib import Path

import pytest

from policyengine import evaluate, load_rulebook
from policyengine.caseload import build_worklist
from policyengine.change.diff import diff_rulebooks
from policyengine.change.testing import run_rulebook_tests
from policyengine.engine.cases import read_case_file
from policyengine.formats import WRITERS, DecisionReport, write

ROOT = Path(__file__).resolve().parents[2]
KNOWSLEY = ROOT / "rulebooks/knowsley.yaml"
LEICS = ROOT / "rulebooks/leicestershire.yaml"
CASE = ROOT / "examples/knowsley/complex-case.yaml"
FORK = ROOT / "examples/forks/northfield.yaml"


def decide(explain=False):
    raw, origin = read_case_file(str(CASE))
    return evaluate(load_rulebook(str(KNOWSLEY)), raw, dt.date(2026, 11, 23), explain=explain, origin=origin)


@pytest.fixture(scope="module")
def decision():
    return decide()


@pytest.mark.parametrize("fmt", ["text", "json", "yaml"])
@pytest.mark.parametrize("explain", [False, True])
def test_a_decision_is_written_as_evaluate_prints_it(cli, fmt, explain):
    flags = ["--explain"] if explain else []
    expected = cli("evaluate", "-r", KNOWSLEY, CASE, "--as-of", "2026-11-23", "--format", fmt, *flags).stdout
    assert write(DecisionReport(decide(explain), explain), fmt) == expected


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_diff_is_written_as_diff_prints_it(cli, fmt):
    expected = cli("diff", KNOWSLEY, FORK, "--format", fmt).stdout
    assert write(diff_rulebooks(load_rulebook(str(KNOWSLEY)), load_rulebook(str(FORK))), fmt) == expected


def test_a_rulebooks_test_run_reads_as_test_prints_it(cli):
    run = run_rulebook_tests(load_rulebook(str(KNOWSLEY)), coverage=True)
    expected = cli("test", KNOWSLEY, "--coverage").stdout
    assert expected == run.text() + f"{run.passed} passed, {run.failed} failed\n"
    assert run.as_dict()["passed"] == run.passed and run.rows()[0] == ["test", "location", "passed", "error"]


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_report_can_be_written_in_every_format(decision, fmt):
    worklist = build_worklist(load_rulebook(str(LEICS)), str(ROOT / "examples/leicestershire/caseload.csv"),
                              as_of=dt.date(2026, 11, 23), ignore=["worker_name", "team", "notes"])
    diff = diff_rulebooks(load_rulebook(str(KNOWSLEY)), load_rulebook(str(FORK)))
    tests = run_rulebook_tests(load_rulebook(str(KNOWSLEY)))
    for report in (DecisionReport(decision), worklist, diff, tests):
        text = write(report, fmt)
        assert text.endswith("\n") or (text == "" and report is tests)  # every test passes: nothing to say


def test_a_new_format_is_one_function(monkeypatch, decision):
    monkeypatch.setitem(WRITERS, "tsv", lambda report: "".join("\t".join(row) + "\n" for row in report.rows()))
    assert write(DecisionReport(decision), "tsv").startswith("case_id\toutcome\tvalue\tbecause\tsource\n")


def test_an_unknown_format_is_named_with_those_there_are(decision):
    with pytest.raises(ValueError, match="unknown format 'xml': one of text, json, yaml, csv, jsonl"):
        write(DecisionReport(decision), "xml")
