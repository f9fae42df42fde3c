"""The worklist's output, byte for byte, pinned on the shipped example export.

The golden files were first written by the worklist as it was before it was made
to stream (issue #19), then again, identical from before and after that change,
when dates and labels changed its wording (#15): a change to how it is built or
written must not change a byte.
"""
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
LEICS = "rulebooks/leicestershire.yaml"
EXPORT = "examples/leicestershire/caseload.csv"
SKIP = ["--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes"]
DAYS = ["2026-11-23", "2027-01-10"]  # the second leaves some sections empty


def golden(day: str, fmt: str) -> str:
    return (GOLDEN / f"worklist-leicestershire-{day}.{fmt}").read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["json", "text", "csv"])
@pytest.mark.parametrize("day", DAYS)
def test_the_worklist_on_standard_output_is_unchanged_byte_for_byte(cli, day, fmt):
    result = cli("worklist", "-r", LEICS, EXPORT, "--as-of", day, *SKIP, "--format", fmt)
    assert result.exit_code == 1  # one row of the example cannot be decided
    assert result.stdout == golden(day, fmt)


@pytest.mark.parametrize("fmt", ["json", "text", "csv"])
def test_the_worklist_written_to_a_file_is_unchanged_byte_for_byte(cli, tmp_path, fmt):
    out = tmp_path / f"worklist.{fmt}"
    result = cli("worklist", "-r", LEICS, EXPORT, "--as-of", DAYS[0], *SKIP, "--format", fmt, "-o", out)
    assert result.exit_code == 1
    assert result.stderr == f"wrote {out}\nworklist: 1 of 7 cases could not be decided\n"
    bom = "\ufeff" if fmt == "csv" else ""  # a CSV file opens in Excel as UTF-8
    assert out.read_bytes() == (bom + golden(DAYS[0], fmt)).encode("utf-8")


def test_the_worklist_with_two_jobs_is_the_worklist_with_one(cli):
    one = cli("worklist", "-r", LEICS, EXPORT, "--as-of", DAYS[0], *SKIP, "--format", "json")
    two = cli("worklist", "-r", LEICS, EXPORT, "--as-of", DAYS[0], *SKIP, "--format", "json", "--jobs", "2")
    assert two.stdout == one.stdout == golden(DAYS[0], "json")
