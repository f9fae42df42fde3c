"""Caseload files and the web upload: failures found by the second hostile review
(issue #11, round two; /work/notes/review-a.md items 4, 7, 8, 9, 11, 12, 13).

A headerless export never echoes the first person; a quoted cell over several
lines is always said; impact reports repeated ids and counts a broken row
once; a month-first date with a time is caught; the wrong separator, a file of
blank lines and Excel's sep= line are diagnosed truly; uploads cannot take the
threads single cases wait on; a 413 on a page is a page.
"""
import asyncio
import json
import re
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from policyengine.web import app as web
from policyengine.web import upload as web_upload
from policyengine.web import create_app

from ..conftest import ROOT
from .conftest import KNOWSLEY, LEICS

EXPORT = ROOT / "examples" / "leicestershire" / "caseload.csv"
FORKS = ROOT / "examples" / "forks" / "caseload.csv"
NORTHFIELD = "examples/forks/northfield.yaml"
SKIP = ["--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes"]
HEADER = "case_id,support,risk,priority,complexity,date_added"
UPLOAD = "/rulebooks/leicestershire/upload"
#: The longest any test here waits for another request (never a sleep).
DEADLINE = 10

LEICS_MISSING = ("the header row is missing: the first row must name the columns, such as `case_id`, "
                 "`person_name`, `referrer_name`, `urgent_need`, `ordinarily_resident` and 15 more (the "
                 "rulebook's fields), and it names none of them; add a header row above the cases")
KNOWSLEY_MISSING = ("the header row is missing: the first row must name the columns, such as `case_id`, "
                    "`person_name`, `nature_of_condition`, `type_of_service`, `environmental_factors` and 10 more "
                    "(the rulebook's fields), and it names none of them; add a header row above the cases")


def _upload(body: bytes, ignore: str = "", action: str = "worklist", client=None):
    client = client or TestClient(create_app(str(ROOT / "rulebooks")))
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(UPLOAD).text).group(1)
    return client.post(UPLOAD, data={"csrf": token, "as_of": "2026-11-23", "action": action, "ignore": ignore},
                       files={"caseload": ("caseload.csv", body, "text/csv")})


# -- item 4: a headerless export echoes nothing of the first person ------------------
def test_a_headerless_export_names_the_rulebooks_columns_and_none_of_the_first_persons_cells(cli, tmp_path):
    path = tmp_path / "hl.csv"
    path.write_text("KN0142,Pat Example,yes,no,allocation,Diabetes Type 2\nKN0143,Jo Bloggs,no,no,review,None\n")
    result = cli("batch", "-r", KNOWSLEY, path, "--as-of", "2026-11-23")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{path}:1: {KNOWSLEY_MISSING}\n"


def test_a_headerless_row_of_repeated_plain_words_is_not_read_as_repeated_columns(cli, tmp_path):
    path = tmp_path / "hl2.csv"
    path.write_text("NF101,yes,no,no,no,yes,no,allocation\n")
    result = cli("batch", "-r", KNOWSLEY, path)
    assert result.stderr == f"{path}:1: {KNOWSLEY_MISSING}\n"


def test_a_header_cell_with_spaces_is_named_by_position_only_however_much_it_looks_like_words(cli, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text(f"{HEADER},Pat Example,Diabetes Type 2,complexity_\nA1,full,low,low,low,2026-11-01,x,y,z\n")
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == (
        f"{path}:1: unknown columns column 7 (its name is not shown: it does not look like a column name), "
        "column 8 (its name is not shown: it does not look like a column name), `complexity_` (did you mean "
        "`complexity`?); rename them or skip on purpose with --ignore-column\n")


def test_a_repeated_header_cell_with_spaces_is_named_by_position_only(cli, tmp_path):
    path = tmp_path / "rep.csv"
    path.write_text(f"{HEADER},Pat Example,Pat Example,risk\nA1,full,low,low,low,2026-11-01,x,y,low\n")
    result = cli("batch", "-r", LEICS, path, "--ignore-column", "Pat Example")
    assert result.stderr == (
        f"{path}:1: the header repeats `risk` (columns 3 and 9), one name in columns 7 and 8 (not shown: it "
        "does not look like a column name)\n")


def test_an_empty_header_cell_says_its_column_has_no_name(cli, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("case_id,support,risk,priority,complexity,,date_added,\nA1,full,low,low,low,,2026-11-01,\n")
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == f"{path}:1: columns 6 and 8 have no name; name them or skip on purpose with --ignore-column\n"


def test_a_web_upload_without_a_header_shows_none_of_the_first_persons_cells():
    page = _upload(b"KN0142,Pat Example,yes,no,allocation,Diabetes Type 2\n")
    assert page.status_code == 422
    assert "the header row is missing: the first row must name the columns" in page.text
    assert "KN0142" not in page.text and "Pat Example" not in page.text and "Diabetes" not in page.text


def test_a_web_upload_with_unknown_columns_points_at_the_pages_box_not_a_command_line_flag():
    page = _upload(EXPORT.read_bytes())
    assert page.status_code == 422
    assert "rename them or tick “Skip them” below. Then choose the file again" in page.text
    assert 'name="ignore" type="checkbox" value="worker_name, team, notes"' in page.text
    assert "--ignore-column" not in page.text


# -- item 7: a quoted cell over several lines is always said ----------------------
def swallowing_export() -> str:
    """The review's q10: a stray opening quote in row 3's notes, and row 4
    truncated to end in a quote, which closes it: row 4 reads as row 3's notes."""
    lines = EXPORT.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("2026-11-09,no,no,yes,", '2026-11-09,no,no,yes,"Carer says')
    lines[3] = 'LCC-PWT-1003,Sam Example,"'
    return "\n".join(lines) + "\n"


SWALLOWED = ("1 row has a quoted cell over several lines, read as one row as a spreadsheet would "
             "(row 3; lines 3–4 of the file): check it")


def test_a_stray_quote_that_joins_the_next_row_to_this_one_is_said_by_batch(cli, tmp_path):
    path = tmp_path / "q10.csv"
    path.write_text(swallowing_export())
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{path}: {SWALLOWED}"
    assert result.stderr.splitlines()[-1] == "batch: 6 cases: 5 decided, 1 could not be decided"


def test_a_stray_quote_that_joins_the_next_row_to_this_one_is_said_by_worklist(cli, tmp_path):
    path = tmp_path / "q10.csv"
    path.write_text(swallowing_export())
    result = cli("worklist", "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP, "--format", "json")
    assert result.stderr.splitlines()[0] == f"{path}: {SWALLOWED}"
    assert json.loads(result.stdout)["cases"] == 6


def test_a_stray_quote_that_joins_the_next_row_to_this_one_is_said_by_impact(cli, tmp_path):
    lines = FORKS.read_text().splitlines()
    lines[1] = lines[1].replace(",care_act_assessment", ',"care_act_assessment')
    lines[2] = 'NF-102,"'
    path = tmp_path / "forks.csv"
    path.write_text("\n".join(lines) + "\n")
    result = cli("impact", "--base", KNOWSLEY, "--variant", NORTHFIELD, path, "--as-of", "2026-12-01")
    assert result.stderr.splitlines()[0] == (
        f"{path}: 1 row has a quoted cell over several lines, read as one row as a spreadsheet would "
        "(row 2; lines 2–3 of the file): check it")


def test_a_stray_quote_that_joins_the_next_row_to_this_one_is_said_on_the_upload_page():
    page = _upload(swallowing_export().encode(), ignore="worker_name, team, notes")
    assert page.status_code == 200
    assert f"How the file was read:</strong> {SWALLOWED}" in page.text


def test_the_note_lists_five_rows_with_cells_over_several_lines_and_counts_the_rest(cli, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(f"{HEADER},notes\n" + "".join(f'A{i},full,low,low,low,2026-11-01,"one\ntwo"\n'
                                                  for i in range(7)))
    result = cli("batch", "-r", LEICS, path, "--ignore-column", "notes")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[0] == (
        f"{path}: 7 rows have a quoted cell over several lines, read as one row each as a spreadsheet would "
        "(rows 2, 3, 4, 5, 6 and 2 more; lines 2–3, 4–5, 6–7, 8–9, 10–11 and 2 more of the file): check them")


def test_worklist_says_which_lines_were_read_as_windows_1252(cli, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(EXPORT.read_bytes().replace(b"Pat Example", "Zoë".encode("cp1252")))
    result = cli("worklist", "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP)
    assert result.stderr.splitlines()[0] == f"{path}: 1 line (the first is line 2) is not UTF-8: read as Windows-1252 (cp1252)"


# -- item 8 and 13d: impact reports repeated ids and counts a broken row once --------
def test_impact_reports_a_case_id_repeated_in_one_caseload(cli, tmp_path):
    path = tmp_path / "fdup.csv"
    path.write_text(FORKS.read_text().replace("NF-104,", " nf-101 ,"))
    result = cli("impact", "--base", KNOWSLEY, "--variant", NORTHFIELD, path, "--as-of", "2026-12-01",
                 "--format", "json")
    assert json.loads(result.stdout)["duplicates"] == [
        "row 5: the same case_id as row 2, ignoring case and spaces at either end (each kept as its own case, not merged)"]
    text = cli("impact", "--base", KNOWSLEY, "--variant", NORTHFIELD, path, "--as-of", "2026-12-01").stdout
    assert text.endswith("repeated case ids (1):\n  row 5: the same case_id as row 2, ignoring case and spaces at "
                         "either end (each kept as its own case, not merged)\n")


def test_impact_reports_case_ids_repeated_across_two_caseloads_even_the_same_file_twice(cli):
    result = cli("impact", "--base", KNOWSLEY, "--variant", NORTHFIELD, FORKS, FORKS, "--as-of", "2026-12-01",
                 "--format", "json")
    data = json.loads(result.stdout)
    assert data["cases"] == 24
    assert len(data["duplicates"]) == 12
    assert data["duplicates"][0] == (
        f"{FORKS} (caseload 2) row 2: the same case_id as {FORKS} (caseload 1) row 2, ignoring case and spaces "
        "at either end (each kept as its own case, not merged)")


def test_impact_counts_a_broken_row_once_not_once_per_rulebook(cli, tmp_path):
    lines = FORKS.read_text().splitlines()
    lines[1] = lines[1].replace("allocation,", "nonsense,")
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    result = cli("impact", "--base", KNOWSLEY, "--variant", NORTHFIELD, path, "--as-of", "2026-12-01")
    assert result.exit_code == 1
    tail = result.stdout.split("could not be decided", 1)[1]
    assert tail.startswith(" (1):\n  row 2 (case NF-101) under both rulebooks: ")
    assert tail.count("\n") == 2
    data = json.loads(cli("impact", "--base", KNOWSLEY, "--variant", NORTHFIELD, path, "--as-of", "2026-12-01",
                          "--format", "json").stdout)
    assert [(e["where"], e["rulebook"]) for e in data["errors"]] == [("row 2", "both")]


# -- item 11: a month-first date followed by a time ---------------------------------
def test_a_month_first_date_with_a_time_refuses_its_column_so_no_ambiguous_date_is_misread(cli, tmp_path):
    path = tmp_path / "dt.csv"
    path.write_text(f"{HEADER}\nC-1,full,low,low,low,11/25/2026 00:00\nC-2,full,low,low,low,01/11/2026\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"{path}:2: column `date_added` holds dates written month first (the first at row 2), so none of its "
        "dates can be trusted: write them DD/MM/YYYY or YYYY-MM-DD; no row was decided\n")


# -- item 12: true diagnoses for the wrong separator, blank files and sep= ------------
@pytest.mark.parametrize("sep, name", [("\t", "tabs"), (";", "semicolons (;)")])
def test_a_file_separated_by_tabs_or_semicolons_is_read_and_told_so(cli, tmp_path, sep, name):
    # #17: Excel writes `;` where the decimal mark is a comma; the separator is found from the header
    path = tmp_path / "sep.csv"
    path.write_text(HEADER.replace(",", sep) + "\n" + "A1,full,low,low,low,2026-11-01".replace(",", sep) + "\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.exit_code == 0
    assert [json.loads(line)["case_id"] for line in result.stdout.splitlines()] == ["A1"]
    assert result.stderr == (f"{path}: the file is separated by {name}, not commas: read as such\n"
                             "batch: 1 cases: 1 decided, 0 could not be decided\n")


@pytest.mark.parametrize("content", [b"\n\n\r\n  \n", b"\xef\xbb\xbf"], ids=["blank lines", "only a BOM"])
def test_a_file_of_only_blank_lines_or_a_bom_has_no_header_row(cli, tmp_path, content):
    path = tmp_path / "blank.csv"
    path.write_bytes(content)
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == f"{path}:1: the file has no header row: it holds only blank lines\n"


def test_a_blank_first_row_above_the_header_is_said(cli, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text(f"\n{HEADER}\nA1,full,low,low,low,2026-11-01\n")
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == (f"{path}:1: the first row is blank: the header row, naming the columns, must be the "
                             "first row; delete the blank rows above it\n")


def test_excels_sep_line_is_skipped_and_rows_keep_the_spreadsheets_numbers(cli, tmp_path):
    path = tmp_path / "sep.csv"
    path.write_text(f"sep=,\n{HEADER}\nA1,full,low,low,low,2026-11-01\nA2,full,low,bad,low,2026-11-01\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.exit_code == 1
    assert [json.loads(line)["case_id"] for line in result.stdout.splitlines()] == ["A1", "A2"]
    assert result.stderr == (f"{path}: row 3 (line 4 of the file) (case A2): field `priority` must be one of high, "
                             "medium, low\nbatch: 2 cases: 1 decided, 1 could not be decided\n")


def test_a_header_problem_after_excels_sep_line_names_the_headers_line(cli, tmp_path):
    path = tmp_path / "sep.csv"
    path.write_text(f"sep=,\n{HEADER},risk\nA1,full,low,low,low,2026-11-01,low\n")
    assert cli("batch", "-r", LEICS, path).stderr == f"{path}:2: the header repeats `risk` (columns 3 and 7)\n"


# -- item 9: uploads have threads of their own --------------------------------------
class Held:
    """Holds every caseload's worklist until released, counting those held."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.running = self.most = 0
        self.released = threading.Event()

    def hold(self, build):
        def held(*args, **kwargs):
            with self.cond:
                self.running += 1
                self.most = max(self.most, self.running)
                self.cond.notify_all()
            try:
                self.released.wait(DEADLINE)
                return build(*args, **kwargs)
            finally:
                with self.cond:
                    self.running -= 1

        return held

    def wait_for(self, n: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.running >= n, DEADLINE)


def test_four_slow_uploads_leave_single_case_evaluations_their_own_threads(monkeypatch):
    held = Held()
    monkeypatch.setattr(web_upload, "build_worklist", held.hold(web_upload.build_worklist))
    app = create_app(str(ROOT / "rulebooks"))
    case = json.loads((ROOT / "examples" / "knowsley" / "straightforward.json").read_text())
    body = f"{HEADER}\nA1,full,low,low,low,2026-11-01\n".encode()

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            csrf = re.search(r'name="csrf" value="([^"]+)"', (await client.get(UPLOAD)).text).group(1)
            uploads = [asyncio.create_task(client.post(
                UPLOAD, data={"csrf": csrf, "as_of": "2026-11-23", "action": "worklist"},
                files={"caseload": ("c.csv", body, "text/csv")})) for _ in range(web.MAX_WORKERS)]
            assert await asyncio.to_thread(held.wait_for, web.MAX_UPLOADS)
            try:
                answered = await asyncio.wait_for(
                    client.post("/api/rulebooks/knowsley/evaluate?as_of=2026-11-22", json=case), DEADLINE)
                letter = await asyncio.wait_for(
                    client.post("/api/rulebooks/knowsley/render/allocation_note?as_of=2026-11-22", json=case),
                    DEADLINE)
                still_held = not held.released.is_set()
            finally:
                held.released.set()
            return answered, letter, still_held, await asyncio.gather(*uploads)

    answered, letter, still_held, pages = asyncio.run(scenario())
    assert answered.status_code == 200 and answered.json()["case_id"] == case["case_id"]
    assert letter.status_code == 200
    assert still_held  # answered while every upload was still working or waiting
    assert held.most == web.MAX_UPLOADS == 2
    assert [p.status_code for p in pages] == [200] * web.MAX_WORKERS


# -- item 13g: a 413 on a page is a page ---------------------------------------------
def test_an_oversized_upload_on_the_html_form_is_an_html_page_and_the_api_keeps_json():
    client = TestClient(create_app(str(ROOT / "rulebooks")))
    page = _upload(b"x" * (5 * 1024 * 1024 + 1), client=client)
    assert page.status_code == 413
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-frame-options"] == "DENY"
    assert ("What you sent is larger than the limit of 5,242,880 bytes, so it was not read. Nothing you sent has "
            "been kept.") in page.text
    api = client.post("/api/rulebooks/knowsley/evaluate", content=b"{" + b" " * (6 * 1024 * 1024) + b"}",
                      headers={"content-type": "application/json"})
    assert api.status_code == 413
    assert api.json() == {"error": "the request is larger than the limit of 5,242,880 bytes"}
    assert api.headers["x-frame-options"] == "DENY"


def test_a_first_row_with_one_cell_equal_to_a_field_name_is_still_not_shown(cli, tmp_path):
    # Review round 3: `Jane Smith,Dementia,stage,KN0142` named one known column
    # (`stage`), so it passed for a header and `Dementia` and `KN0142` were shown.
    path = tmp_path / "w1.csv"
    path.write_text("Jane Smith,Dementia,stage,KN0142\nB,allocation,x,y\n")
    result = cli("batch", "-r", "rulebooks/knowsley.yaml", path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"{path}:1: the first row names only 1 of the rulebook's columns among 4 cells, so it may not be a "
        "header: if it is, skip the other columns on purpose (columns 1, 2 and 4) with --ignore-column NAME; "
        "if it is not, add a header row above the cases\n")
    assert "Dementia" not in result.stderr and "KN0142" not in result.stderr


def test_the_tail_of_a_note_cut_off_by_a_stray_quote_never_names_a_case(cli, tmp_path):
    # Review round 3: `"Jane\nSmith",x` was reported as `row 3 (case Smith")`.
    path = tmp_path / "tail.csv"
    path.write_text('case_id,stage,worker_role\n"Jane\nSmith",allocation\nK2,allocation,assistant_care_manager\n')
    result = cli("batch", "-r", "rulebooks/knowsley.yaml", path)
    assert result.exit_code == 1
    assert "Smith" not in result.stderr and "Jane" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r.get("where"), r["case_id"]) for r in records] == [("row 2", None), ("row 3", None), (None, "K2")]
