"""Reading caseload files: every physical line is decided or reported by its number.

Issue #11, section 1: a stray quote, a byte that is not UTF-8, a month-first
date column, a hostile JSONL line or case file, a FIFO, an endless line, a huge
header, a headerless export, repeated ids and `-o` over the input.
"""
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile

import pytest
from fastapi.testclient import TestClient

from policyengine.web import create_app

from ..conftest import ROOT
from .conftest import LEICS

EXPORT = ROOT / "examples" / "leicestershire" / "caseload.csv"
SKIP = ["--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes"]
HEADER = "case_id,support,risk,priority,complexity,date_added"
BROKEN = "a quote (\") opens a cell that is never closed; this row is not read, and the lines after it are read as rows of their own"


def jsonl(output):
    return [json.loads(line) for line in output.splitlines()]


def outcome(cli, *args):
    """Run batch with CSV output: each record's row (or line, or file) and
    "decided" or its error, and the result."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "results.csv")
        result = cli("batch", *args, "-o", out)
        with open(out, encoding="utf-8") as fh:
            found = {r["where"]: r["error"] or "decided" for r in csv.DictReader(fh)}
    return result, found


def export_with_open_quote() -> bytes:
    """The README's export, its first notes cell opened with a quote that never closes."""
    return EXPORT.read_bytes().replace(b",Carer in hospital", b',"Carer in hospital')


def rows(n: int, start: int = 1) -> str:
    return "".join(f"A{i},full,low,low,low,2026-11-01\n" for i in range(start, start + n))


def isolated(*args):
    """Run the CLI in a process of its own, limited to 60 seconds and 2 GB, so a
    regression fails the test instead of hanging the suite or exhausting memory."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-c", "from policyengine.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, timeout=60, preexec_fn=limit,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})


# -- broken quotes -------------------------------------------------------------
def test_an_unclosed_quote_in_the_readme_export_is_reported_at_its_row_and_every_other_row_is_decided(cli, tmp_path):
    path = tmp_path / "caseload.csv"
    path.write_bytes(export_with_open_quote())
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP)
    assert result.exit_code == 1
    records = jsonl(result.stdout)
    assert [r["case_id"] for r in records] == [f"LCC-PWT-100{i}" for i in range(1, 8)]
    assert records[0] == {"case_id": "LCC-PWT-1001", "where": "row 2", "field": None, "error": BROKEN}
    assert ["outcomes" in r for r in records] == [False, True, True, True, False, True, True]
    assert result.stderr == (f"{path}: row 2 (case LCC-PWT-1001): {BROKEN}\n"
                             f"{path}: row 6 (case LCC-PWT-1005): field `risk` must be one of high, moderate, low\n"
                             "batch: 7 cases: 5 decided, 2 could not be decided\n")


def test_a_quote_mid_file_in_a_thousand_rows_loses_no_row(cli, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text(f"{HEADER}\n{rows(499)}A500,full,low,low,low,\"2026-11-01\n{rows(500, 501)}")
    result, found = outcome(cli, "-r", LEICS, path)
    assert result.exit_code == 1
    assert len(found) == 1000
    assert found.pop("row 501") == BROKEN
    assert set(found.values()) == {"decided"}
    assert "batch: 1000 cases: 999 decided, 1 could not be decided" in result.stderr


def test_a_quote_that_runs_to_the_end_of_the_file_is_that_rows_error_and_the_short_lines_after_it_are_reported(cli, tmp_path):
    path = tmp_path / "end.csv"
    path.write_text(f"{HEADER}\n{rows(2)}A3,full,low,low,low,\"2026-11-01\nA4,full\n\nA5\n")
    assert outcome(cli, "-r", LEICS, path)[1] == {"row 2": "decided", "row 3": "decided", "row 4": BROKEN,
                       "row 5": "the row has 2 cells; the header has 6",
                       "row 7": "the row has 1 cells; the header has 6"}


def test_a_multi_line_free_text_cell_that_closes_is_still_one_row(cli, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(f"{HEADER},notes\nA1,full,low,low,low,2026-11-01,\"Carer in hospital.\nDaughter visits, "
                    f"daily\n\nSee file\"\nA2,full,low,low,low,2026-11-01,\"one line, quoted \"\"here\"\"\"\n")
    result, found = outcome(cli, "-r", LEICS, path, "--ignore-column", "notes")
    assert (result.exit_code, found) == (0, {"row 2": "decided", "row 3 (line 6 of the file)": "decided"})


def test_worklist_reports_a_broken_quote_and_decides_the_rest(cli, tmp_path):
    path = tmp_path / "caseload.csv"
    path.write_bytes(export_with_open_quote())
    result = cli("worklist", "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["cases"] == 7
    assert [e["where"] for e in data["errors"]] == ["row 2", "row 6"]
    assert data["errors"][0]["error"] == BROKEN


def test_impact_reports_a_broken_quote_and_decides_the_rest(cli, tmp_path):
    lines = (ROOT / "examples" / "forks" / "caseload.csv").read_text().splitlines()
    lines[1] = lines[1].replace(",care_act_assessment", ',"care_act_assessment')
    path = tmp_path / "forks.csv"
    path.write_text("\n".join(lines) + "\n")
    result = cli("impact", "--base", "rulebooks/knowsley.yaml", "--variant", "examples/forks/northfield.yaml",
                 path, "--as-of", "2026-12-01", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["cases"] == len(lines) - 1
    assert {(e["where"], e["error"]) for e in data["errors"]} == {("row 2", BROKEN)}


# -- encodings -----------------------------------------------------------------
def test_an_excel_cp1252_export_just_works_and_says_how_it_was_read(cli, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(EXPORT.read_bytes().replace(b"Pat Example", "Zoë Brontë".encode("cp1252"))
                     .replace(b"Carer in hospital", "Carer in hospital – “urgent”".encode("cp1252"))
                     .replace(b"\xef\xbb\xbf", b"").replace(b"\n", b"\r\n"))
    result, found = outcome(cli, "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP, "--ignore-column", "person_name")
    assert result.exit_code == 1  # row 6's risk typo, as in the UTF-8 export
    assert found == {f"row {i}": "decided" for i in (2, 3, 4, 5, 7, 8)} | {
        "row 6": "field `risk` must be one of high, moderate, low"}
    assert result.stderr.startswith(f"{path}: 1 line (the first is line 2) is not UTF-8: read as Windows-1252 (cp1252)\n")


def test_a_latin1_byte_at_row_702_is_read_and_no_row_is_dropped(cli, tmp_path):
    body = rows(1000).splitlines()
    body[700] = body[700].replace("A701", "A701-Ren\xe9e")
    path = tmp_path / "latin.csv"
    path.write_bytes(f"{HEADER}\n".encode() + "\n".join(body).encode("latin-1") + b"\n")
    result = cli("batch", "-r", LEICS, path)
    assert result.exit_code == 0
    records = jsonl(result.stdout)
    assert len(records) == 1000 and records[700]["case_id"] == "A701-Renée"
    assert result.stderr.startswith(f"{path}: 1 line (the first is line 702) is not UTF-8: read as Windows-1252")


def test_a_byte_that_cannot_be_decoded_is_its_own_rows_error(cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(f"{HEADER}\n".encode() + rows(5).encode()
                     + "A6-Zoë,full,low,low,low,2026-11-01\n".encode("cp1252") + b"A7\x81,full,low,low,low,2026-11-01\n"
                     + rows(3, 8).encode())
    found = outcome(cli, "-r", LEICS, path)[1]
    assert found.pop("row 8") == "the line is not text in UTF-8 or Windows-1252 (cp1252) (byte 0x81 at position 3)"
    assert found == {f"row {i}": "decided" for i in (2, 3, 4, 5, 6, 7, 9, 10, 11)}


def test_a_utf16_unicode_text_export_is_refused_saying_how_to_save_it(cli, tmp_path):
    path = tmp_path / "unicode.csv"
    path.write_bytes(EXPORT.read_text(encoding="utf-8-sig").encode("utf-16"))
    result = cli("batch", "-r", LEICS, path, *SKIP)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}:1: the file is UTF-16 text (Excel's \"Unicode Text\"): save it as CSV UTF-8 "
                             "or CSV (Comma delimited)\n")


# -- dates ---------------------------------------------------------------------
@pytest.mark.parametrize("dates", [["02/11/2026", "11/02/2026", "11/20/2026"], ["11/20/2026", "20/11/2026"]])
def test_a_date_column_saved_month_first_is_refused_as_a_whole_before_any_row(cli, tmp_path, dates):
    path = tmp_path / "us.csv"
    path.write_text(HEADER + "\n" + "".join(f"A{i},full,low,low,low,{d}\n" for i, d in enumerate(dates)))
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert (result.exit_code, result.stdout) == (1, "")
    row = 2 + next(i for i, d in enumerate(dates) if d.startswith("11/20"))
    assert result.stderr == (f"{path}:{row}: column `date_added` holds dates written month first (the first at row "
                             f"{row}), so none of its dates can be trusted: write them DD/MM/YYYY or YYYY-MM-DD; "
                             "no row was decided\n")


def test_a_two_digit_year_is_refused_saying_to_write_four_digits(cli, tmp_path):
    path = tmp_path / "libre.csv"
    path.write_text(f"{HEADER}\nA1,full,low,low,low,20/10/26\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}:2: column `date_added` writes years in two digits (the first at row 2): "
                             "write the year in four digits, DD/MM/YYYY or YYYY-MM-DD; no row was decided\n")


def test_a_day_first_and_iso_mix_is_read_day_first(cli, tmp_path):
    path = tmp_path / "uk.csv"
    path.write_text(f"{HEADER}\nA1,full,low,low,low,02/11/2026\nA2,full,low,low,low,2026-11-02\n")
    records = jsonl(cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23").stdout)
    assert records[0]["outcomes"] == records[1]["outcomes"]


def test_digits_from_other_scripts_are_not_a_date(cli, tmp_path):
    path = tmp_path / "digits.csv"
    path.write_text(f"{HEADER}\nA1,full,low,low,low,٠٢/١١/٢٠٢٦\n", encoding="utf-8")
    records = jsonl(cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23").stdout)
    assert records[0]["error"] == "field `date_added` must be a real date written YYYY-MM-DD or DD/MM/YYYY"


# -- hostile records -----------------------------------------------------------
@pytest.mark.parametrize("line, error", [
    ('{"case_id": "\\udc00", "support": "full"}', "a string holds a \\u escape that is half of a character (a lone surrogate)"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON: nested too deeply"),
    ('{"case_id": "A9", "support": ' + "9" * 5000 + "}", "not valid JSON: a number has more than 4,300 digits"),
])
def test_a_hostile_jsonl_line_is_that_lines_error_and_every_other_line_is_decided(cli, tmp_path, line, error):
    good = '{"case_id": "A%d", "support": "full", "risk": "low", "priority": "low", "complexity": "low", "date_added": "2026-11-01"}'
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join([good % 1, line, good % 3]) + "\n")
    result, found = outcome(cli, "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.exit_code == 1
    assert found == {"line 1": "decided", "line 2": error, "line 3": "decided"}


def test_a_byte_that_is_not_utf8_in_jsonl_on_standard_input_is_that_lines_error(cli):
    good = '{"case_id": "A%d", "support": "full", "risk": "low", "priority": "low", "complexity": "low", "date_added": "2026-11-01"}'
    body = (good % 1 + "\n").encode() + (good % 2).replace("A2", "A2-Ren\xe9e").encode("latin-1") + b"\n" \
        + (good % 3 + "\n").encode()
    result = cli("batch", "-r", LEICS, "-", "--as-of", "2026-11-23", input=body)
    records = jsonl(result.stdout)
    assert [r.get("where") for r in records] == [None, "line 2", None]
    assert records[1]["error"] == "the line is not UTF-8 text (byte 0xe9 at position 20)"


def test_a_case_file_holding_a_5000_digit_number_is_that_files_error(cli, tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.yaml").write_text("case_id: A1\nsupport: full\nrisk: low\npriority: low\ncomplexity: low\n"
                                   "date_added: 2026-11-01\n")
    (folder / "b.yaml").write_text("case_id: B1\nsupport: " + "9" * 5000 + "\n")
    result, found = outcome(cli, "-r", LEICS, folder, "--as-of", "2026-11-23")
    assert result.exit_code == 1
    assert found == {"a.yaml": "decided", "b.yaml": "a number has more than 4,300 digits (line 2)"}


def test_a_fifo_named_yaml_in_a_case_folder_is_an_error_record_not_a_hang(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.yaml").write_text("case_id: A1\nsupport: full\nrisk: low\npriority: low\ncomplexity: low\n"
                                   "date_added: 2026-11-01\n")
    os.mkfifo(folder / "b.yaml")
    result = isolated("batch", "-r", LEICS, folder, "--as-of", "2026-11-23", "-o", tmp_path / "out.csv")
    assert result.returncode == 1
    found = {r["where"]: r["error"] or "decided" for r in csv.DictReader(open(tmp_path / "out.csv"))}
    assert found == {"a.yaml": "decided", "b.yaml": "not a regular file: only regular files are read"}


# -- limits --------------------------------------------------------------------
def test_a_line_over_the_limit_is_skipped_while_reading_and_the_next_row_is_decided(cli, tmp_path):
    path = tmp_path / "long.csv"
    with open(path, "w") as fh:
        fh.write(f"{HEADER}\nA1,full,low,low,low,2026-11-01\nA2,")
        fh.write("x" * 4_500_000)
        fh.write(f",low,low,low,2026-11-01\nA3,full,low,low,low,2026-11-01\n")
    assert outcome(cli, "-r", LEICS, path)[1] == {"row 2": "decided", "row 3": "the line is longer than 1,000,000 characters", "row 4": "decided"}


def test_dev_zero_named_csv_is_refused_not_read_into_memory(tmp_path):
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    result = isolated("batch", "-r", LEICS, tmp_path / "zero.csv")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"{tmp_path / 'zero.csv'}: a CSV caseload must be a regular file (not a pipe or a device)\n"


def test_a_header_of_a_million_columns_is_refused_at_once(cli, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["x"] * 400_000) + "\n")  # a header of 10**6 columns is over the line limit
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == f"{path}:1: the header has 400,000 columns; the limit is 10,000\n"


# -- the header ----------------------------------------------------------------
def test_a_headerless_export_says_the_header_is_missing_and_never_echoes_the_first_person(cli, tmp_path):
    path = tmp_path / "noheader.csv"
    path.write_bytes(b"".join(EXPORT.read_bytes().splitlines(keepends=True)[1:]))
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr == (f"{path}:1: the header row is missing: the first row must name the columns, such as "
                             "`case_id`, `person_name`, `person_address`, `referrer_name`, `referrer_address` and 20 "
                             "more (the rulebook's fields), and it names none of them; add a header row above the "
                             "cases\n")
    assert "Pat Example" not in result.stderr and "Carer" not in result.stderr


def test_an_unknown_column_that_looks_like_data_is_named_by_position_only(cli, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(f"{HEADER},pat@example.org\nA1,full,low,low,low,2026-11-01,x\n")
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == (f"{path}:1: unknown column column 7 (its name is not shown: it does not look like a "
                             "column name); rename it or skip on purpose with --ignore-column\n")


def test_a_web_upload_without_a_header_does_not_show_the_first_person(tmp_path):
    page = _upload(b"".join(EXPORT.read_bytes().splitlines(keepends=True)[1:]))
    assert page.status_code == 422
    assert "the header row is missing" in page.text and "Pat Example" not in page.text


def test_a_row_after_a_multi_line_cell_is_named_by_its_spreadsheet_row_and_its_line(cli, tmp_path):
    # A spreadsheet shows a quoted cell over several lines as one row: a manager
    # looking for "row 3" must find the right person, and an editor needs the line.
    path = tmp_path / "notes.csv"
    path.write_text(f"{HEADER},notes\nA1,full,low,low,low,2026-11-01,\"Carer in hospital.\nSee file\"\n"
                    "A2,full,low,low,low,2026-11-01,\n"
                    "A2,full,low,bad,low,2026-11-01,\n")
    result = cli("batch", "-r", LEICS, path, "--ignore-column", "notes")
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}: 1 row has a quoted cell over several lines, read as one row as a spreadsheet would (row 2; "
        "lines 2–3 of the file): check it\n"
        f"{path}: row 4 (line 5 of the file) (case A2): field `priority` must be one of high, medium, low\n"
        f"{path}: row 4: the same case_id as row 3, ignoring case and spaces at either end (each kept as its own case, not merged)\n"
        "batch: 3 cases: 2 decided, 1 could not be decided, 1 repeated case_id\n")


# -- repeated ids and the output -----------------------------------------------
def test_repeated_case_ids_are_compared_trimmed_and_ignoring_case(cli, tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(f'{HEADER}\nCASE-1,full,low,low,low,2026-11-01\n"CASE-1 ",full,low,low,low,2026-11-01\n'
                    "case-1,full,low,low,low,2026-11-01\n")
    result = cli("batch", "-r", LEICS, path)
    assert result.exit_code == 0 and len(jsonl(result.stdout)) == 3
    assert result.stderr == (
        f"{path}: row 3: the same case_id as row 2, ignoring case and spaces at either end (each kept as its own case, not merged)\n"
        f"{path}: row 4: the same case_id as row 2, ignoring case and spaces at either end (each kept as its own case, not merged)\n"
        "batch: 3 cases: 3 decided, 0 could not be decided, 2 repeated case_ids\n")


@pytest.mark.parametrize("name", ["same", "dot", "link"])
def test_batch_refuses_to_write_its_results_over_the_caseload(cli, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "in.csv"
    original = f"{HEADER}\n{rows(2)}"
    path.write_text(original)
    (tmp_path / "link.csv").symlink_to(path)
    output = {"same": "in.csv", "dot": "./in.csv", "link": "link.csv"}[name]
    result = cli("batch", "-r", LEICS, "in.csv", "-o", output)
    assert result.exit_code == 2
    assert "-o names the caseload itself: the results would replace it; write them to another file" in result.stderr
    assert path.read_text() == original and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "link.csv"]


# -- the web upload reads as batch does ----------------------------------------
def _upload(body: bytes, ignore: str = ""):
    import re

    client = TestClient(create_app(str(ROOT / "rulebooks")))
    page = client.get("/rulebooks/leicestershire/upload")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/rulebooks/leicestershire/upload",
                       data={"csrf": token, "as_of": "2026-11-23", "action": "worklist", "ignore": ignore},
                       files={"caseload": ("caseload.csv", body, "text/csv")})


def test_a_web_upload_in_cp1252_with_a_broken_quote_shows_every_other_row():
    body = export_with_open_quote().replace(b"Pat Example", "Zoë".encode("cp1252")).replace(b"\xef\xbb\xbf", b"")
    page = _upload(body, ignore="worker_name, team, notes")
    assert page.status_code == 200
    assert "row 2 (case LCC-PWT-1001): a quote (&#34;) opens a cell that is never closed" in page.text
    assert "row 6 (case LCC-PWT-1005): field `risk` must be one of high, moderate, low" in page.text


def test_a_web_upload_with_a_month_first_column_is_refused():
    page = _upload(f"{HEADER}\nA1,full,low,low,low,11/20/2026\n".encode())
    assert page.status_code == 422
    assert "column `date_added` holds dates written month first" in page.text
