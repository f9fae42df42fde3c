"""Hostile case files and caseload exports: every wrong type, NaN, huge
numbers, impossible dates, lists where scalars belong, 10,000 fields, and
broken CSV. One clear error each; the other cases are still decided."""
import csv
import io
import json

import pytest

from policyengine.errors import MAX_CASE_PROBLEMS

from .conftest import KNOWSLEY, LEICS, assert_clean_failure

LEICS_OK = {"case_id": "L1", "urgent_need": False, "ordinarily_resident": True, "support": "full", "risk": "low",
            "priority": "low", "complexity": "low",
            "date_added": "2026-11-01"}


@pytest.mark.parametrize("field, value, message", [
    ("urgent_need", "yes", "field `urgent_need` must be true or false"),
    ("urgent_need", 1, "field `urgent_need` must be true or false"),
    ("support", 3, "field `support` must be one of none, moderate, full"),
    ("support", ["none"], "field `support` must be one of none, moderate, full"),
    ("date_added", 20261101, "field `date_added` must be a real date written YYYY-MM-DD"),
    ("date_added", "2026-02-30", "field `date_added` must be a real date written YYYY-MM-DD"),
    ("date_added", "31/12/2026", "field `date_added` must be a real date written YYYY-MM-DD"),
    ("date_added", ["2026-11-01"], "field `date_added` must be a real date written YYYY-MM-DD"),
    ("person_name", {"first": "x"}, "field `person_name` must be text"),
    ("person_name", "x" * 10_001, "field `person_name` is longer than 10,000 characters"),
    ("risk_indicators", "carer_breakdown", "field `risk_indicators` must be a list of"),
    ("risk_indicators", [["carer_breakdown"]], "field `risk_indicators` may only hold"),
    ("case_id", None, "missing required field `case_id`"),
    ("case_id", ["L1"], "field `case_id` must be text"),
])
def test_every_wrong_type_in_a_json_case_is_one_clear_error(cli, field, value, message):
    case = {**LEICS_OK, field: value}
    err = assert_clean_failure(cli("evaluate", "-r", LEICS, "-", input=json.dumps(case)), mentions=message)
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "10000000000000000000000000000"])
def test_nan_infinity_and_huge_integers_are_refused(cli, hostile, literal):
    path = hostile("s.yaml", "")
    path.write_text(
        "case_id: A\nfactor_1: 1\nfactor_2: 1\nfactor_3: 1\nfactor_4: 1\nfactor_5: 1\n"
        f"factor_6: {literal.replace('NaN', '.nan').replace('-Infinity', '-.inf').replace('Infinity', '.inf')}\n")
    assert_clean_failure(cli("evaluate", "-r", "rulebooks/adass_tiers.yaml", path), mentions="field `factor_6`")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_jsonl_are_a_row_error(cli, literal):
    lines = json.dumps(LEICS_OK) + "\n" + json.dumps(LEICS_OK).replace('"L1"', '"L2"').replace(
        '"support": "full"', f'"support": {literal}') + "\n"
    result = cli("batch", "-r", LEICS, "-", input=lines)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["case_id"] == "L1" and "outcomes" in records[0]
    assert records[1] == {"case_id": None, "where": "line 2", "field": None,
                          "error": f"not valid JSON: {literal} is not a number a case may hold"}


def test_ten_thousand_unknown_fields_are_listed_up_to_the_cap_and_the_rest_counted(cli):
    case = {**LEICS_OK, **{f"extra_{i}": True for i in range(10_000)}}
    err = assert_clean_failure(cli("evaluate", "-r", LEICS, "-", input=json.dumps(case)),
                               mentions="unknown field `extra_0`")
    lines = err.splitlines()
    assert len(lines) == MAX_CASE_PROBLEMS + 1
    assert lines[0].endswith(": unknown field `extra_0`") and lines[99].endswith(": unknown field `extra_99`")
    assert lines[-1] == "<stdin>: … and 9,900 more problems"


def test_a_case_that_is_a_list_or_a_scalar_is_refused(cli):
    for text in ("[1, 2]", '"case"', "42"):
        assert_clean_failure(cli("evaluate", "-r", KNOWSLEY, "-", input=text),
                             mentions="a case must be a mapping of field names to values")


HEADER = "case_id,urgent_need,ordinarily_resident,support,risk,priority,complexity,date_added\r\n"


def batch(cli, tmp_path, body: bytes, *args):
    path = tmp_path / "export.csv"
    path.write_bytes(body)
    return cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", *args)


def test_a_bad_row_among_good_rows_is_reported_by_number_and_the_rest_decided(cli, tmp_path):
    rows = HEADER + "A1,no,yes,full,low,low,low,2026-11-01\r\nA2,no,yes,full,lw,low,low,2026-11-01\r\nA3,no,yes,none,high,low,low,01/11/2026\r\n"
    result = batch(cli, tmp_path, rows.encode())
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [("outcomes" in r) for r in records] == [True, False, True]
    assert records[1]["where"] == "row 3" and records[1]["field"] == "risk"
    assert result.exit_code == 1


def test_a_truncated_csv_reports_its_last_row(cli, tmp_path):
    rows = HEADER + "A1,no,yes,full,low,low,low,2026-11-01\r\nA2,no,yes,full,lo"
    result = batch(cli, tmp_path, rows.encode())
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert "outcomes" in records[0]
    assert records[1] == {"case_id": "A2", "where": "row 3", "field": None,
                          "error": "the row has 5 cells; the header has 8"}


def test_an_unterminated_quote_swallows_no_good_rows_silently(cli, tmp_path):
    rows = HEADER + 'A1,no,yes,full,low,low,low,2026-11-01\r\n"A2,no,yes,full,low,low,low,2026-11-01\r\nA3,no,yes,full,low,low,low,2026-11-01\r\n'
    result = batch(cli, tmp_path, rows.encode())
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert "outcomes" in records[0]
    assert "error" in records[1] and records[1]["where"] == "row 3"
    assert result.exit_code == 1


def test_a_byte_order_mark_and_windows_line_endings_are_accepted(cli, tmp_path):
    result = batch(cli, tmp_path, b"\xef\xbb\xbf" + (HEADER + "A1,no,yes,full,low,low,low,2026-11-01\r\n").encode())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["outcomes"]["rag"] == "green"


def test_repeated_case_ids_are_reported_not_merged(cli, tmp_path):
    rows = HEADER + "A1,no,yes,full,low,low,low,2026-11-01\r\nA2,no,yes,full,low,low,low,2026-11-01\r\nA1,no,yes,none,high,low,low,2026-11-01\r\n"
    result = batch(cli, tmp_path, rows.encode())
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["outcomes"]["rag"] for r in records] == ["green", "green", "red"]
    assert (f"{tmp_path / 'export.csv'}: row 4: the same case_id as row 2, ignoring case and spaces at either end "
            "(each kept as its own case, not merged)\n") in result.stderr
    assert result.stderr.endswith("batch: 3 cases: 3 decided, 0 could not be decided, 1 repeated case_id\n")


def test_a_csv_that_is_not_utf8_is_refused_cleanly(cli, tmp_path):
    result = batch(cli, tmp_path, HEADER.encode() + b"A1,no,yes,full,low,low,low,2026-11-01\r\n\xff\xfe,x\r\n")
    assert "Traceback" not in result.output
    assert result.exit_code == 1


def test_a_csv_with_an_empty_header_is_refused(cli, tmp_path):
    result = batch(cli, tmp_path, b"")
    assert_clean_failure(result, mentions="the file is empty: a CSV caseload needs a header row")


def test_a_csv_that_repeats_a_column_is_refused(cli, tmp_path):
    result = batch(cli, tmp_path, b"case_id,risk,risk\r\nA1,low,high\r\n")
    assert_clean_failure(result, mentions="the header repeats `risk`")


def test_an_interrupted_batch_leaves_no_output_file(cli, tmp_path, monkeypatch):
    import policyengine.caseload.run as batch_module

    calls = {"n": 0}
    real = batch_module.decide

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(batch_module, "decide", interrupted)
    rows = HEADER + "".join(f"A{i},no,yes,full,low,low,low,2026-11-01\r\n" for i in range(5))
    out = tmp_path / "results.csv"
    result = batch(cli, tmp_path, rows.encode(), "-o", out)
    assert result.exit_code == 1 and "Aborted!" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]  # no output, no temporary file


FORMULA = '=HYPERLINK("http://x","click")'


def test_formulas_are_neutralised_in_every_csv_the_engine_writes(cli, tmp_path):
    export = tmp_path / "f.csv"
    export.write_text('case_id,urgent_need,ordinarily_resident,support,risk,priority,complexity,date_added\n'
                      '"=HYPERLINK(""http://x"",""click"")",no,yes,none,high,low,low,2026-10-01\n'
                      '+A2,no,yes,full,low,low,low,2026-11-01\n-A3,no,yes,full,low,low,low,2026-11-01\n@A4,no,yes,full,low,low,low,2026-11-01\n')
    out = tmp_path / "o.csv"
    cli("batch", "-r", LEICS, export, "-o", out, "--as-of", "2026-11-23")
    ids = [row["case_id"] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))]
    assert ids == ["'" + FORMULA, "'+A2", "'-A3", "'@A4"]
    worklist = cli("worklist", "-r", LEICS, export, "--as-of", "2026-11-23", "--format", "csv").stdout
    cells = [c for row in csv.reader(io.StringIO(worklist)) for c in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
    impact = cli("impact", "--base", LEICS, "--variant", LEICS, export, "--format", "csv").stdout
    assert all(not c.startswith(("=", "+", "-", "@")) for row in csv.reader(io.StringIO(impact)) for c in row)


def test_tab_and_carriage_return_cells_are_neutralised():
    from policyengine.formats.spreadsheet import safe_row

    assert safe_row(["\tx", "\rx", "ok", None, 3]) == ["'\tx", "'\rx", "ok", "", "3"]


@pytest.mark.parametrize("args", [
    ["batch", "-r", KNOWSLEY, "examples/knowsley", "-o", "/no/such/dir/out.jsonl"],
    ["docs", "-r", KNOWSLEY, "-o", "/no/such/dir/policy.md"],
    ["render", "-r", KNOWSLEY, "examples/knowsley/complex-case.yaml", "-d", "allocation_note", "-o", "/no/such/dir/n.md"],
])
def test_an_output_that_cannot_be_written_is_a_clean_error_not_an_internal_one(cli, args):
    err = assert_clean_failure(cli(*args), mentions="cannot write the file: No such file or directory")
    assert err.startswith("/no/such/dir/") and len(err.splitlines()) == 1
