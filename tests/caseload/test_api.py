"""Caseloads through the Python API alone: everything `batch`, `worklist` and
`impact` do, without the command line, and the same bytes out."""
import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine import load_rulebook
from policyengine.caseload import (CaseloadSummary, InputError, build_worklist, measure_impact, open_caseload,
                                   run_caseload)

ROOT = Path(__file__).resolve().parents[2]
LEICS = ROOT / "rulebooks/leicestershire.yaml"
EXPORT = ROOT / "examples/leicestershire/caseload.csv"
IGNORE = ("worker_name", "team", "notes")
SKIP = [arg for name in IGNORE for arg in ("--ignore-column", name)]
AS_OF = dt.date(2026, 11, 23)
HEADER = "case_id,support,risk,priority,complexity,date_added"


@pytest.fixture(scope="module")
def book():
    return load_rulebook(str(LEICS))


def test_run_caseload_takes_an_uploads_bytes_and_writes_what_batch_writes(cli, book, tmp_path):
    out = tmp_path / "o.csv"
    cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", out)
    buffer = io.StringIO()
    summary = run_caseload(book, EXPORT.read_bytes(), name="upload.csv", as_of=AS_OF, ignore=IGNORE,
                           format="csv", output=buffer)
    assert buffer.getvalue() == out.read_bytes().decode("utf-8")
    assert (summary.source, summary.cases, summary.decided, summary.failed) == ("upload.csv", 7, 6, 1)
    assert [r.where for r in summary.errors] == ["row 6"]


def test_run_caseload_to_a_file_says_what_batch_says(cli, book, tmp_path):
    expected = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", tmp_path / "cli.jsonl")
    out = tmp_path / "api.jsonl"
    heard = []
    summary = run_caseload(book, str(EXPORT), as_of=AS_OF, ignore=IGNORE, output=str(out),
                           on_error=heard.append)
    assert out.read_text() == (tmp_path / "cli.jsonl").read_text()
    assert isinstance(summary, CaseloadSummary) and summary.output == str(out)
    assert heard == summary.errors
    assert summary.text().replace(str(out), str(tmp_path / "cli.jsonl")) == expected.stderr
    assert summary.as_dict()["errors"] == [{"where": "row 6", "case_id": "LCC-PWT-1005", "field": "risk",
                                            "error": "field `risk` must be one of high, moderate, low"}]


def test_run_caseload_keeps_only_the_first_errors_but_counts_them_all(book):
    rows = "".join(f"A{i},full,nope,low,low,2026-11-01\n" for i in range(30))
    heard = []
    summary = run_caseload(book, f"{HEADER}\n{rows}A1,full,low,low,low,2026-11-01\n".encode(), as_of=AS_OF,
                           max_errors=5, on_error=heard.append)
    assert (summary.failed, len(summary.errors), len(heard)) == (30, 5, 5)
    assert summary.duplicates == ["row 32: the same case_id as row 3, ignoring case and spaces at either end "
                                  "(each kept as its own case, not merged)"]
    assert summary.closing_lines()[0] == "… and 25 more errors: each is in the output"


def test_run_caseload_never_writes_over_its_own_caseload(book, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(f"{HEADER}\nA1,full,low,low,low,2026-11-01\n")
    with pytest.raises(InputError, match="the output is the caseload itself"):
        run_caseload(book, str(path), as_of=AS_OF, output=str(tmp_path / "." / "in.csv"))
    assert path.read_text() == f"{HEADER}\nA1,full,low,low,low,2026-11-01\n"


def test_a_caseload_that_cannot_be_read_leaves_no_output_file(book, tmp_path):
    with pytest.raises(InputError, match="unknown columns"):
        run_caseload(book, str(EXPORT), as_of=AS_OF, output=str(tmp_path / "o.csv"), format="csv")
    assert list(tmp_path.iterdir()) == []


def test_notes_on_how_a_caseload_was_read_come_before_any_case_is_decided(book):
    raw = f"{HEADER}\nA1,full,low,low,low,2026-11-01\n".encode() + "A2,full,low,low,low,2026-11-01\n".encode("cp1252")
    raw += b'A\xe93,full,low,low,low,2026-11-01\n'
    heard = []
    summary = run_caseload(book, raw, as_of=AS_OF, on_note=heard.append)
    assert heard == summary.notes and "Windows-1252" in heard[0]
    assert open_caseload(book, raw).notes == heard


def test_build_worklist_takes_an_uploads_bytes_and_gives_what_worklist_prints(cli, book):
    expected = cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "--format", "json").stdout
    wl = build_worklist(book, EXPORT.read_bytes(), name="upload.csv", as_of=AS_OF, ignore=IGNORE)
    assert json.dumps(wl.as_dict(), indent=2, ensure_ascii=False) + "\n" == expected
    assert wl.text() == cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP).stdout
    assert wl.notes == []


def test_measure_impact_gives_what_impact_prints(cli, book):
    variant = load_rulebook(str(ROOT / "rulebooks/leicestershire.yaml"))
    expected = cli("impact", "--base", LEICS, "--variant", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP)
    impact = measure_impact(book, variant, [str(EXPORT)], as_of=AS_OF, ignore=IGNORE)
    assert impact.text() == expected.stdout
    assert impact.rows() == [["case_id", "outcome", "base", "variant"]]


def test_importing_the_package_leaves_the_csv_field_size_limit_as_it_was():
    code = ("import csv; csv.field_size_limit(1234)\n"
            "import policyengine, policyengine.cli, policyengine.caseload, policyengine.formats, policyengine.web\n"
            "import policyengine.caseload.run, policyengine.change.testing\n"
            "print(csv.field_size_limit())")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == "1234\n"


def test_a_note_longer_than_csvs_own_limit_is_read_and_the_limit_put_back(book):
    limit = csv.field_size_limit()
    note = '"' + "word, " * 40_000 + '"'  # 240,000 characters in one quoted cell
    raw = f"{HEADER},notes\nA1,full,low,low,low,2026-11-01,{note}\n".encode()
    summary = run_caseload(book, raw, as_of=AS_OF, ignore=["notes"])
    assert (summary.decided, summary.failed) == (1, 0)
    assert csv.field_size_limit() == limit


def test_parallel_workers_decide_by_the_parents_rules_whatever_the_files_hold_now(tmp_path):
    """Review of #12: workers reloaded the rulebook from its path, so one loaded
    from text crashed every worker, and a file edited mid-run changed the rules."""
    from policyengine import load_rulebook_mapping, load_rulebook_text
    from policyengine.engine.load import parse_yaml

    text = LEICS.read_text(encoding="utf-8")
    import shutil

    copy = tmp_path / "leicestershire.yaml"
    copy.write_text(text, encoding="utf-8")
    shutil.copytree(LEICS.parent / "templates" / "leicestershire", tmp_path / "templates" / "leicestershire")
    books = [load_rulebook_text(text, base_dir=LEICS.parent),
             load_rulebook_mapping(parse_yaml(text), base_dir=LEICS.parent), load_rulebook(str(copy))]
    copy.write_text(text.replace("at_least", "at_most"), encoding="utf-8")  # edited (broken) after loading
    expected = io.StringIO()
    run_caseload(books[0], EXPORT, as_of=AS_OF, ignore=IGNORE, format="csv", output=expected)
    for book in books:
        out = io.StringIO()
        summary = run_caseload(book, EXPORT, as_of=AS_OF, ignore=IGNORE, format="csv", output=out, jobs=2)
        assert (summary.decided, summary.failed) == (6, 1)
        assert out.getvalue().splitlines()[1:] == [
            line.replace(books[0].sha256, book.sha256) for line in expected.getvalue().splitlines()[1:]]
        worklist = build_worklist(book, EXPORT, as_of=AS_OF, ignore=IGNORE, jobs=2)
        assert worklist.as_dict()["cases"] == 7


def test_impact_takes_paths_and_uploads_and_refuses_a_bare_path_not_in_a_list(book):
    """Review of #12: a bare string was read letter by letter, a Path raised AttributeError."""
    as_text = measure_impact(book, book, [str(EXPORT)], as_of=AS_OF, ignore=IGNORE)
    for sources in ([EXPORT], [EXPORT.read_bytes()]):
        impact = measure_impact(book, book, sources, as_of=AS_OF, ignore=IGNORE)
        assert (impact.cases, impact.as_dict()["outcomes"]) == (as_text.cases, as_text.as_dict()["outcomes"])
    with pytest.raises(TypeError, match="a list of caseloads"):
        measure_impact(book, book, str(EXPORT), as_of=AS_OF)
