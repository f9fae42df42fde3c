"""#17: `policyengine template`: an empty caseload to fill in, read back as any caseload is."""
import datetime as dt
import html
import json
import re
import zipfile

from python_calamine import CalamineWorkbook

LEICS = "rulebooks/leicestershire.yaml"


def part(path, name):
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode()


def fill(path, rows):
    """Type ``rows`` into a template below its header, as a person would: text as
    text cells, a date as a date cell in the column's own (date) style."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    styles = {int(m.group(1)): m.group(3) for m in re.finditer(r'<col min="(\d+)" max="(\d+)"[^>]*style="(\d+)"', sheet)}
    cells = []
    for r, row in enumerate(rows, start=2):
        out = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c) if c < 26 else 'A' + chr(65 + c - 26)}{r}"
            if isinstance(value, dt.date):
                serial = (value - dt.date(1899, 12, 30)).days
                out.append(f'<c r="{ref}" s="{styles[c + 1]}"><v>{serial}</v></c>')
            elif value:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    sheet = sheet.replace("</sheetData>", "".join(cells) + "</sheetData>")
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_the_xlsx_template_has_the_rulebooks_columns_in_question_order_with_their_questions(cli, tmp_path, books):
    out = tmp_path / "caseload.xlsx"
    result = cli("template", "-r", LEICS, "-o", out)
    assert (result.exit_code, result.stderr) == (0, f"wrote {out}\n")
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["leicestershire caseload"]
    assert book.get_sheet_by_index(0).to_python() == [list(books["leicestershire"].inputs)]
    comments = {ref: html.unescape(text) for ref, text in re.findall(
        r'<comment ref="([A-Z]+)1".*?<t[^>]*>([^<]*)</t></r></text>', part(out, "xl/comments1.xml"), re.S)}
    inputs = list(books["leicestershire"].inputs.values())
    assert comments["A"] == "What is the case reference? (required)"
    for i, spec in enumerate(inputs):
        assert comments[chr(65 + i)].startswith(spec.question), spec.name


def test_the_xlsx_template_offers_drop_downs_for_choices_and_checks_dates(cli, tmp_path, books):
    out = tmp_path / "caseload.xlsx"
    cli("template", "-r", LEICS, "-o", out)
    sheet = part(out, "xl/worksheets/sheet1.xml")
    inputs = list(books["leicestershire"].inputs.values())
    by_column = {ref: kind for kind, ref in re.findall(r'<dataValidation type="(\w+)"[^>]*sqref="([A-Z]+)2:', sheet)}
    expected = {chr(65 + i): {"boolean": "list", "enum": "list", "date": "date"}[spec.type]
                for i, spec in enumerate(inputs) if spec.type in ("boolean", "enum", "date")}
    assert by_column == expected
    assert '<formula1>"none,moderate,full"</formula1>' in sheet
    assert '<formula1>"yes,no"</formula1>' in sheet
    assert '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>' in sheet


def test_a_filled_in_template_is_read_back_without_ignoring_any_column(cli, tmp_path):
    out = tmp_path / "caseload.xlsx"
    cli("template", "-r", LEICS, "-o", out)
    header = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()[0]

    def row(**values):
        return [values.get(name, "") for name in header]

    fill(out, [row(case_id="0012345", support="full", risk="low", priority="low", complexity="low",
                   date_added=dt.date(2026, 11, 1), urgent_need="no", ordinarily_resident="yes"),
               row(case_id="C-2", support="none", risk="high", priority="high", complexity="high",
                   date_added=dt.date(2026, 11, 20), response_within_24_hours="yes", urgent_need="no",
                   ordinarily_resident="yes")])
    result = cli("batch", "-r", LEICS, out, "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["case_id"] == "0012345" and second["outcomes"]["rag"] == "red"
    same = cli("batch", "-r", LEICS, "-", "--as-of", "2026-11-23", input=json.dumps(
        {"case_id": "C-2", "support": "none", "risk": "high", "priority": "high", "complexity": "high",
         "date_added": "2026-11-20", "response_within_24_hours": True, "urgent_need": False,
         "ordinarily_resident": True}) + "\n")
    assert json.loads(same.stdout)["outcomes"] == second["outcomes"]


def test_the_csv_template_is_the_header_row_with_a_bom(cli, tmp_path, books):
    out = tmp_path / "caseload.csv"
    assert cli("template", "-r", LEICS, "-o", out).exit_code == 0
    assert out.read_bytes() == ("\ufeff" + ",".join(books["leicestershire"].inputs) + "\r\n").encode()


def test_a_template_of_another_kind_is_a_usage_error(cli, tmp_path):
    result = cli("template", "-r", LEICS, "-o", tmp_path / "caseload.ods")
    assert result.exit_code == 2
    assert "the output must end in .xlsx or .csv" in result.stderr
