"""#17: results a manager can filter: XLSX from batch and worklist, a column per checklist item."""
import csv
import datetime as dt
import io
import json
import zipfile

from python_calamine import CalamineWorkbook

from .sheets import workbook

LEICS = "rulebooks/leicestershire.yaml"
EXPORT = "examples/leicestershire/caseload.csv"
SKIP = ["--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes"]
HEADER = ["case_id", "support", "risk", "priority", "complexity", "date_added"]


def sheets(path):
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def part(path, name):
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode()


def test_batch_writes_an_xlsx_of_typed_cells_with_the_provenance_on_its_own_sheet(cli, tmp_path):
    out = tmp_path / "results.xlsx"
    result = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", out)
    assert result.exit_code == 1
    assert result.stderr.endswith(f"batch: 7 cases: 6 decided, 1 could not be decided → {out}\n")
    got = sheets(out)
    assert list(got) == ["Results", "About"]
    header, first, *rest = got["Results"]
    assert header[:5] == ["case_id", "route", "rag", "contact_interval", "next_contact_due"]
    assert "rulebook_sha256" not in header
    row = dict(zip(header, first))
    assert row["next_contact_due"] == dt.date(2026, 11, 17)           # a real date cell
    assert (row["contact_overdue"], row["safe_and_well_check"]) == ("yes", "no")  # yes/no as words
    assert row["actions.decision_place_case_pwt"] == "yes" and row["actions.action_case_duty_point"] == ""
    bad = dict(zip(header, rest[3]))
    assert (bad["case_id"], bad["error"], bad["where"]) == ("LCC-PWT-1005", "field `risk` must be one of high, "
                                                            "moderate, low", "row 6")
    about = dict(got["About"][1:3])
    assert about == {"as_of": dt.date(2026, 11, 23), "rulebook_id": "leicestershire"}


def test_the_results_sheet_is_frozen_filterable_sized_and_shows_dates_british(cli, tmp_path):
    out = tmp_path / "results.xlsx"
    cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", out)
    sheet = part(out, "xl/worksheets/sheet1.xml")
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sheet
    assert '<autoFilter ref="A1:' in sheet
    assert "<cols>" in sheet and 'customWidth="1"' in sheet
    assert 'formatCode="dd/mm/yyyy"' in part(out, "xl/styles.xml")


def test_case_ids_stay_text_and_formulas_are_neutralised_in_xlsx(cli, tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"Cases": [HEADER, ["0012345", "full", "low", "low", "low", "2026-11-01"],
                                                    ['=HYPERLINK("http://x","click")', "full", "low", "low", "low",
                                                     "2026-11-01"]]})
    out = tmp_path / "r.xlsx"
    assert cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", "-o", out).exit_code == 0
    ids = [row[0] for row in sheets(out)["Results"][1:]]
    assert ids == ["0012345", "'=HYPERLINK(\"http://x\",\"click\")"]
    assert "<f>" not in part(out, "xl/worksheets/sheet1.xml")  # no cell is a formula


def test_xlsx_and_csv_results_hold_the_same_answers(cli, tmp_path):
    cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", tmp_path / "r.csv")
    cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", tmp_path / "r.xlsx")
    from_csv = list(csv.reader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig"))))
    from_xlsx = sheets(tmp_path / "r.xlsx")["Results"]
    width = len(from_xlsx[0])
    assert [row[:width] for row in from_csv][0] == from_xlsx[0]

    def as_csv(cell):
        return {"yes": "true", "no": "false"}.get(cell, cell) if isinstance(cell, str) else cell.isoformat()

    for csv_row, xlsx_row in zip(from_csv[1:], from_xlsx[1:]):
        items = [i for i, name in enumerate(from_xlsx[0]) if "." in name]
        assert [c for i, c in enumerate(csv_row[:width]) if i not in items] == \
            [as_csv(c) for i, c in enumerate(xlsx_row) if i not in items]
        assert [csv_row[i] for i in items] == [xlsx_row[i] for i in items]


def test_jsonl_keeps_the_checklists_full_text(cli):
    first = json.loads(cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP).stdout.splitlines()[0])
    assert "The decision to place the case on the PWT must be made by a Team Manager or Team Leader." in \
        first["outcomes"]["actions"]


def test_a_failed_xlsx_write_leaves_nothing_and_says_so_before_any_case(cli, tmp_path):
    out = tmp_path / "missing" / "r.xlsx"
    result = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", out)
    assert result.exit_code == 1
    assert result.stderr == f"{out}: cannot write the file: No such file or directory\n"
    assert list(tmp_path.iterdir()) == []


def test_worklist_writes_an_xlsx_with_date_cells_and_an_about_sheet(cli, tmp_path):
    out = tmp_path / "wl.xlsx"
    result = cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "--format", "xlsx", "-o", out)
    assert result.exit_code == 1  # one case could not be decided, as in the text worklist
    got = sheets(out)
    assert list(got) == ["Worklist", "About"]
    assert got["Worklist"][0] == ["section", "case_id", "item", "date", "days"]
    assert got["Worklist"][1] == ["escalation", "LCC-PWT-1001", "Escalate to the Strategic Service Manager",
                                  dt.date(2026, 10, 20), ""]
    assert ["overdue", "LCC-PWT-1001", "PWT review contact", dt.date(2026, 11, 17), 6.0] in got["Worklist"]
    assert dict(got["About"][1:3]) == {"as_of": dt.date(2026, 11, 23), "within_days": 7.0}


def test_worklist_xlsx_needs_a_file_and_a_worklist_csv_file_has_a_bom(cli, tmp_path):
    result = cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "--format", "xlsx")
    assert result.exit_code == 2
    assert "--format xlsx writes a workbook: name its file with -o, such as -o worklist.xlsx" in result.stderr
    out = tmp_path / "wl.csv"
    cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "--format", "csv", "-o", out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfsection,case_id,item,date,days\n")


def test_xlsx_results_are_the_same_with_two_processes(cli, tmp_path):
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", one)
    cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", two, "--jobs", "2")
    assert sheets(one) == sheets(two)
