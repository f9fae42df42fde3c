"""#17: caseloads as councils hold them: XLSX workbooks, `;`-separated CSV, blank
rows, enum answers in any case and spreadsheet date-times, read exactly as CSV is."""
import csv
import datetime as dt
import json

import pytest

from .sheets import csv_rows, workbook

LEICS = "rulebooks/leicestershire.yaml"
EXPORT = "examples/leicestershire/caseload.csv"
SKIP = ["--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes"]
HEADER = ["case_id", "support", "risk", "priority", "complexity", "date_added"]


def jsonl(output):
    return [json.loads(line) for line in output.splitlines()]


def iso_outcomes(cli, write, date="2026-11-01"):
    """The outcomes of case A1 written in CSV with an ISO date: what a date cell must give."""
    path = write("iso.csv", ",".join(HEADER) + f"\nA1,full,low,low,low,{date}\n")
    return jsonl(cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23").stdout)[0]["outcomes"]


def export_rows():
    with open(EXPORT, encoding="utf-8-sig") as fh:
        return csv_rows(fh.read())


def test_an_xlsx_export_gives_the_same_results_as_the_csv_export(cli, tmp_path):
    path = workbook(tmp_path / "caseload.xlsx", {"Cases": export_rows()})
    from_csv = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP)
    from_xlsx = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP)
    assert (from_xlsx.exit_code, from_xlsx.stdout) == (from_csv.exit_code, from_csv.stdout)
    assert from_xlsx.stderr == (f"{path}: row 6 (case LCC-PWT-1005): field `risk` must be one of high, moderate, "
                                "low\nbatch: 7 cases: 6 decided, 1 could not be decided\n")


def test_the_shipped_xlsx_export_saved_by_libreoffice_decides_as_the_csv(cli):
    # examples/leicestershire/caseload.xlsx is caseload.csv opened and saved by LibreOffice 7.4 (en-GB)
    from_csv = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP)
    from_xlsx = cli("batch", "-r", LEICS, EXPORT.replace(".csv", ".xlsx"), "--as-of", "2026-11-23", *SKIP)
    assert (from_xlsx.exit_code, from_xlsx.stdout) == (1, from_csv.stdout)
    assert from_xlsx.stderr == from_csv.stderr.replace(EXPORT, EXPORT.replace(".csv", ".xlsx"))


def test_a_text_cell_that_looks_like_a_number_stays_text(cli, tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"Cases": [HEADER, ["0012345", "full", "low", "low", "low", "2026-11-01"]]})
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert [r["case_id"] for r in jsonl(result.stdout)] == ["0012345"]


def test_a_number_cell_is_read_as_its_digits(cli, tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"Cases": [HEADER, [12345, "full", "low", "low", "low", "2026-11-01"]]})
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert [r["case_id"] for r in jsonl(result.stdout)] == ["12345"]


def test_a_date_time_cell_at_midnight_is_its_date_and_any_other_time_is_refused_by_row_and_field(cli, tmp_path,
                                                                                                   write):
    rows = [HEADER, ["A1", "full", "low", "low", "low", dt.datetime(2026, 11, 1)],
            ["A2", "full", "low", "low", "low", dt.datetime(2026, 11, 1, 9, 30)]]
    path = workbook(tmp_path / "c.xlsx", {"Cases": rows})
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    first, second = jsonl(result.stdout)
    assert first["outcomes"] == iso_outcomes(cli, write)
    assert second == {"case_id": "A2", "where": "row 3", "field": "date_added",
                      "error": "field `date_added` holds a time of day as well as a date: write the date alone "
                               "(a date-time is read as its date only when the time is midnight, 00:00)"}
    assert "09:30" not in result.stderr and "9:30" not in result.stderr


@pytest.mark.parametrize("written", ["2026-11-01 00:00:00", "2026-11-01T00:00", "01/11/2026 00:00"])
def test_a_csv_date_time_at_midnight_is_its_date(cli, write, written):
    path = write("c.csv", ",".join(HEADER) + f"\nA1,full,low,low,low,{written}\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.exit_code == 0
    assert jsonl(result.stdout)[0]["outcomes"] == iso_outcomes(cli, write)


def test_a_csv_date_time_at_another_time_is_refused_without_repeating_it(cli, write):
    path = write("c.csv", ",".join(HEADER) + "\nA1,full,low,low,low,2026-11-01 17:45:00\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.exit_code == 1
    assert result.stderr == (f"{path}: row 2 (case A1): field `date_added` holds a time of day as well as a date: "
                             "write the date alone (a date-time is read as its date only when the time is midnight, "
                             "00:00)\nbatch: 1 cases: 0 decided, 1 could not be decided\n")


def test_a_named_sheet_is_read_and_the_first_by_default(cli, tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"Notes": [["nothing here"]],
                                          "Cases": [HEADER, ["A1", "full", "low", "low", "low", "2026-11-01"]]})
    named = cli("batch", "-r", LEICS, path, "--sheet", "Cases", "--as-of", "2026-11-23")
    assert [r["case_id"] for r in jsonl(named.stdout)] == ["A1"]
    first = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert first.exit_code == 1
    assert first.stderr.startswith(f"{path}:1: the header row is missing")


def test_a_sheet_the_workbook_does_not_have_is_refused_naming_those_it_has(cli, tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"Notes": [["x"]], "Cases": [HEADER]})
    result = cli("batch", "-r", LEICS, path, "--sheet", "Case")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{path}: the workbook has no sheet named `Case`: its sheets are `Notes`, `Cases`\n"


def test_a_sheet_is_named_only_for_a_workbook(cli):
    result = cli("batch", "-r", LEICS, EXPORT, "--sheet", "Cases")
    assert result.exit_code == 1
    assert result.stderr == f"{EXPORT}: a sheet is named only for an XLSX caseload\n"


def test_an_xlsx_header_is_checked_as_a_csv_header_is(cli, tmp_path, write):
    rows = [HEADER + ["risks"], ["A1", "full", "low", "low", "low", "2026-11-01", "Jo"]]
    path = workbook(tmp_path / "c.xlsx", {"Cases": rows})
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == (f"{path}:1: unknown column `risks` (did you mean `risk`?); rename it or "
                             "skip on purpose with --ignore-column\n")
    same = write("c.csv", "\n".join(",".join(row) for row in rows))
    assert cli("batch", "-r", LEICS, same).stderr == result.stderr.replace(str(path), str(same))


def test_an_empty_unnamed_column_is_not_data_but_an_unnamed_column_with_values_is_refused(cli, tmp_path):
    blank = workbook(tmp_path / "blank.xlsx", {"Cases": [HEADER[:3] + [""] + HEADER[3:],
                                                         ["A1", "full", "low", "", "low", "low", "2026-11-01"]]})
    assert cli("batch", "-r", LEICS, blank, "--as-of", "2026-11-23").exit_code == 0
    used = workbook(tmp_path / "used.xlsx", {"Cases": [HEADER[:3] + [""] + HEADER[3:],
                                                       ["A1", "full", "low", "Jo", "low", "low", "2026-11-01"]]})
    result = cli("batch", "-r", LEICS, used)
    assert result.stderr == f"{used}:1: column 4 has no name; name it or skip on purpose with --ignore-column\n"


def test_month_first_text_dates_in_a_workbook_are_refused_as_in_csv(cli, tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"Cases": [HEADER, ["A1", "full", "low", "low", "low", "11/25/2026"]]},
                    types=str)
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == (f"{path}:2: column `date_added` holds dates written month first (the first at row 2), "
                             "so none of its dates can be trusted: write them DD/MM/YYYY or YYYY-MM-DD; "
                             "no row was decided\n")


def test_blank_rows_are_skipped_and_counted_in_csv(cli, write):
    path = write("c.csv", ",".join(HEADER) + "\nA1,full,low,low,low,2026-11-01\n,,,,,\n\nA2,full,low,low,low,"
                 "2026-11-01\n ,, ,,,\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.exit_code == 0
    assert [(r["case_id"]) for r in jsonl(result.stdout)] == ["A1", "A2"]
    assert result.stderr == (f"{path}: 3 blank rows skipped (rows 3, 4 and 6)\n"
                             "batch: 2 cases: 2 decided, 0 could not be decided\n")


def test_blank_rows_are_skipped_and_counted_in_a_workbook_with_the_sheets_row_numbers(cli, tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"Cases": [HEADER, ["A1", "full", "low", "low", "low", "2026-11-01"],
                                                    [], ["", " "], ["A2", "full", "bad", "low", "low", "2026-11-01"]]})
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr == (f"{path}: 2 blank rows skipped (rows 3 and 4)\n"
                             f"{path}: row 5 (case A2): field `risk` must be one of high, moderate, low\n"
                             "batch: 2 cases: 1 decided, 1 could not be decided\n")


def test_enum_answers_match_in_any_case_and_yes_no_in_any_case(cli, write):
    path = write("c.csv", ",".join(HEADER + ["response_within_24_hours"]) +
                 "\nA1,Full,HIGH,High,Low,2026-11-01,YES\nA2,full,high,high,low,2026-11-01,yes\n")
    first, second = jsonl(cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23").stdout)
    assert first["outcomes"] == second["outcomes"]


def test_a_semicolon_separated_workbook_export_gives_the_same_results(cli, tmp_path):
    path = tmp_path / "semi.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter=";").writerows(export_rows())
    from_csv = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP)
    from_semi = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP)
    assert from_semi.stdout == from_csv.stdout
    assert from_semi.stderr.startswith(f"{path}: the file is separated by semicolons (;), not commas: read as such\n")


def test_an_old_xls_workbook_and_a_broken_xlsx_are_refused_with_what_to_do(cli, write):
    old = write("c.xls", "not really")
    assert cli("batch", "-r", LEICS, old).stderr == (
        f"{old}: an .xls workbook (Excel 97-2003) is not read: save it as Excel Workbook (.xlsx) or as CSV UTF-8\n")
    broken = write("c.xlsx", "PK not a zip")
    assert cli("batch", "-r", LEICS, broken).stderr == (
        f"{broken}: the file cannot be read as an XLSX workbook: open it in a spreadsheet and save it again as "
        "Excel Workbook (.xlsx), or as CSV UTF-8\n")


def error_workbook(path, header, rows, errors):
    """A workbook whose cells at ``errors`` ((row, column), 0-based) hold #N/A, as a failed formula leaves them."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Cases")
    for r, row in enumerate([header, *rows]):
        for c, value in enumerate(row):
            if (r, c) in errors:
                sheet.write_formula(r, c, "=NA()", None, "#N/A")
            elif value:
                sheet.write_string(r, c, value)
    book.close()
    return path


def test_a_spreadsheet_error_in_a_cell_is_refused_for_its_row_never_read_as_empty(cli, tmp_path):
    # python-calamine reads #N/A as an empty cell: unchecked, it would be "not recorded" and take a default
    rows = [["A1", "full", "low", "low", "low", "2026-11-01", "x"], ["A2", "full", "", "low", "low", "2026-11-01", ""]]
    path = error_workbook(tmp_path / "c.xlsx", HEADER + ["notes"], rows, {(2, 2), (1, 6)})
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", "--ignore-column", "notes")
    assert result.exit_code == 1
    first, second = jsonl(result.stdout)
    assert "outcomes" in first  # the error is in a column skipped on purpose
    assert second == {"case_id": "A2", "where": "row 3", "field": None,
                      "error": "column `risk` holds a spreadsheet error (such as #N/A or #DIV/0!), not an answer: "
                               "correct the formula, or clear the cell if the answer is not recorded"}


def test_a_spreadsheet_error_in_the_header_is_refused(cli, tmp_path):
    path = error_workbook(tmp_path / "c.xlsx", HEADER + ["x"], [["A1", "full", "low", "low", "low", "2026-11-01"]],
                          {(0, 6)})
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == (f"{path}:1: the header row holds a spreadsheet error (such as #REF!) where a column's "
                             "name should be\n")


#: A workbook saved by a spreadsheet: no request to recalculate when opened.
SAVED = [(b' fullCalcOnLoad="1"', b"")]
UNCALCULATED = ("column `risk` holds a formula whose result the file does not hold, not an answer: open the "
                "workbook in a spreadsheet and save it, so its formulas are calculated")


def test_a_formula_the_file_holds_no_result_for_is_refused_for_its_row(cli, tmp_path):
    # a workbook written by a program that does not calculate: calamine would read the cell as empty
    path = formula_workbook(tmp_path / "c.xlsx", [(b"</f><v>0</v>", b"</f>")])
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert jsonl(result.stdout) == [{"case_id": "A1", "where": "row 2", "field": None, "error": UNCALCULATED}]


def formula_workbook(path, sheet_edits=(), book_edits=()):
    """Case A1 with its `risk` a formula (="lo"&"w"), as XlsxWriter writes it, then the sheet's and the
    workbook's XML edited as other programs write them."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Cases")
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["A1", "full"])
    sheet.write_formula(1, 2, '="lo"&"w"')
    sheet.write_row(1, 3, ["low", "low", "2026-11-01"])
    book.close()
    return rewritten(path, {"xl/worksheets/sheet1.xml": sheet_edits, "xl/workbook.xml": book_edits})


def rewritten(path, edits: dict):
    """The workbook at ``path`` with each part's XML edited ((old, new) bytes, each found)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for part, changes in edits.items():
        for old, new in changes:
            assert old in parts[part]
            parts[part] = parts[part].replace(old, new)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("sheet_edits, book_edits", [
    ([], []),  # XlsxWriter (and pandas through it): 0 as every result, and a request to recalculate on opening
    ([(b"</f><v>0</v>", b"</f><v/>")], SAVED),  # openpyxl: an empty value
    ([(b"</f><v>0</v>", b"</f><v></v>")], SAVED),
    ([(b"</f><v>0</v>", b"</f>"), (b"<f>", b"<x:f>"), (b"</f>", b"</x:f>")], SAVED),  # the .NET SDK's prefix
], ids=["xlsxwriter", "openpyxl", "empty value", "prefixed"])
def test_a_formula_whose_result_is_a_placeholder_or_empty_is_refused_for_its_row_never_read_as_no_answer(
        cli, tmp_path, sheet_edits, book_edits):
    # each was read as an empty cell, or as 0: a question read as not answered, or answered no
    path = formula_workbook(tmp_path / "c.xlsx", sheet_edits, book_edits)
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert jsonl(result.stdout) == [{"case_id": "A1", "where": "row 2", "field": None, "error": UNCALCULATED}]


def test_a_formula_with_its_result_is_read_as_it_and_one_that_gives_empty_text_as_a_blank_cell(cli, tmp_path):
    text = [(b'<c r="C2">', b'<c r="C2" t="str">')]  # as a spreadsheet writes a formula's text
    held = formula_workbook(tmp_path / "held.xlsx", [*text, (b"</f><v>0</v>", b"</f><v>low</v>")], SAVED)
    empty = formula_workbook(tmp_path / "empty.xlsx", [*text, (b"</f><v>0</v>", b"</f><v></v>")], SAVED)
    typed = formula_workbook(tmp_path / "typed.xlsx", [(b'<c r="C2"><f>"lo"&amp;"w"</f><v>0</v></c>',
                                                       b'<c r="C2" t="inlineStr"><is><t>low</t></is></c>')], SAVED)
    assert jsonl(cli("batch", "-r", LEICS, held, "--as-of", "2026-11-23").stdout) == \
        jsonl(cli("batch", "-r", LEICS, typed, "--as-of", "2026-11-23").stdout)
    assert jsonl(cli("batch", "-r", LEICS, empty, "--as-of", "2026-11-23").stdout) == [
        {"case_id": "A1", "where": "row 2", "field": "risk", "error": "missing required field `risk`"}]


def test_a_spreadsheet_error_written_with_other_quotes_or_spaces_is_refused_for_its_row(cli, tmp_path):
    rows = [["A2", "full", "", "low", "low", "2026-11-01"]]
    for written in (b"t='e'", b't = "e"'):
        path = rewritten(error_workbook(tmp_path / "c.xlsx", HEADER, rows, {(1, 2)}),
                         {"xl/worksheets/sheet1.xml": [(b't="e"', written)]})
        result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
        assert jsonl(result.stdout)[0]["error"].startswith("column `risk` holds a spreadsheet error")


def test_cells_a_merge_covers_below_its_first_are_refused_for_their_row_never_read_as_no_answer(cli, tmp_path):
    # the sheet shows `low` across C2:C3, but the file holds it in C2 alone: case A2 read no answer for risk
    import xlsxwriter

    path = tmp_path / "c.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Cases")
    sheet.write_row(0, 0, HEADER)
    for r, case_id in ((1, "A1"), (2, "A2")):
        sheet.write_row(r, 0, [case_id, "full"])
        sheet.write_row(r, 3, ["low", "low", "2026-11-01"])
    sheet.merge_range(1, 2, 2, 2, "low")
    book.close()
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    first, second = jsonl(result.stdout)
    assert "outcomes" in first
    assert second == {"case_id": "A2", "where": "row 3", "field": None,
                      "error": "column `risk` holds part of merged cells, whose value the sheet shows but holds in "
                               "their first cell only, not an answer: unmerge the cells and write each row's "
                               "answer in its own cell"}


def test_a_hidden_first_sheet_is_passed_over_for_the_first_visible_one_and_said(cli, tmp_path):
    import xlsxwriter

    path = tmp_path / "c.xlsx"
    book = xlsxwriter.Workbook(str(path))
    archive, cases = book.add_worksheet("Archive"), book.add_worksheet("Cases")
    for sheet, case_id in ((archive, "OLD-1"), (cases, "A1")):
        sheet.write_row(0, 0, HEADER)
        sheet.write_row(1, 0, [case_id, "full", "low", "low", "low", "2026-11-01"])
    cases.activate()
    archive.hide()  # an old copy kept out of sight
    book.close()
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr.splitlines()[0] == (f"{path}: the first sheet, `Archive`, is hidden: read the first visible "
                                             "one, `Cases` (name another with --sheet)")
    named = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", "--sheet", "Cases")
    assert jsonl(result.stdout) == jsonl(named.stdout)
    assert [r["case_id"] for r in jsonl(result.stdout)] == ["A1"]


def test_a_sheet_starting_in_column_b_is_read_and_a_blank_first_row_is_said(cli, tmp_path):
    shifted = workbook(tmp_path / "b.xlsx", {"Cases": [[""] + HEADER, ["", "A1", "full", "low", "low", "low",
                                                                        "2026-11-01"]]})
    result = cli("batch", "-r", LEICS, shifted, "--as-of", "2026-11-23")
    assert (result.exit_code, [r["case_id"] for r in jsonl(result.stdout)]) == (0, ["A1"])
    lower = workbook(tmp_path / "l.xlsx", {"Cases": [[], HEADER, ["A1", "full", "low", "low", "low", "2026-11-01"]]})
    assert cli("batch", "-r", LEICS, lower).stderr == (
        f"{lower}:1: the first row is blank: the header row, naming the columns, must be the first row; delete the "
        "blank rows above it\n")


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, books):
    from policyengine.caseload import InputError, open_caseload
    from policyengine.caseload import workbook as module

    body = workbook(tmp_path / "c.xlsx", {"Cases": [HEADER, ["A1", "full", "low", "low", "low", "2026-11-01"]]})
    monkeypatch.setattr(module, "MAX_UNPACKED_IN_MEMORY", 1 << 20)
    monkeypatch.setattr(module, "MAX_UNPACKED", 1 << 10)
    assert len(list(open_caseload(books["leicestershire"], body.read_bytes(), name="up.xlsx"))) == 1
    with pytest.raises(InputError) as info:
        open_caseload(books["leicestershire"], str(body))
    assert str(info.value) == (f"{body}: the workbook unpacks to more than 0 MB; the limit is there to keep a "
                               "damaged or hostile file from filling the memory: save the caseload as CSV")
