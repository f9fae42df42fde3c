"""batch and worklist over caseload exports: nothing lost, nothing guessed."""
import csv
import io
import json

import pytest
from policyengine.engine.english import value

LEICS = "rulebooks/leicestershire.yaml"
EXPORT = "examples/leicestershire/caseload.csv"
SKIP = ["--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes"]
HEADER = "case_id,support,risk,priority,complexity,date_added"


def jsonl(output):
    return [json.loads(line) for line in output.splitlines()]


def test_an_unknown_column_stops_the_run_before_any_row(cli):
    result = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"{EXPORT}:1: unknown columns `worker_name`, "
                             "`team`, `notes`; rename them or skip on purpose with --ignore-column\n")


def test_a_typo_in_a_column_name_is_never_silently_no(cli, write):
    path = write("k.csv", "case_id,family_dynamic\nK1,yes\n")
    result = cli("batch", "-r", "rulebooks/knowsley.yaml", path)
    assert result.exit_code == 1
    assert result.stderr.endswith(":1: unknown column `family_dynamic` (did you mean `family_dynamics`?); "
                                  "rename it or skip on purpose with --ignore-column\n")


def test_one_bad_row_among_good_rows_is_reported_and_every_good_row_decided(cli):
    result = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP)
    assert result.exit_code == 1
    records = jsonl(result.stdout)
    assert [r["case_id"] for r in records] == [f"LCC-PWT-100{i}" for i in range(1, 8)]
    bad = records[4]
    assert bad == {"case_id": "LCC-PWT-1005", "where": "row 6", "field": "risk",
                   "error": "field `risk` must be one of high, moderate, low"}
    assert all("outcomes" in r for i, r in enumerate(records) if i != 4)
    assert result.stderr == (f"{EXPORT}: row 6 (case LCC-PWT-1005): field `risk` must be one of high, moderate, low\n"
                             "batch: 7 cases: 6 decided, 1 could not be decided\n")


def test_csv_values_follow_council_export_conventions(cli):
    records = jsonl(cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP).stdout)
    first, third, fourth = records[0], records[2], records[3]
    assert first["outcomes"]["rag"] == "red"                      # BOM before the header is accepted
    assert first["outcomes"]["next_contact_due"] == "2026-11-17"  # 10/11/2026 is day first
    assert first["outcomes"]["task_comment_prefix"] == "urgent"   # "yes" is true
    assert third["outcomes"]["route"] == "pwt"                    # empty cells take the defaults
    assert fourth["outcomes"]["safe_and_well_check"] is True      # "y" is true
    assert fourth["outcomes"]["escalate_to_ssm"] is True
    assert first["provenance"]["rulebook_id"] == "leicestershire"
    assert len(first["provenance"]["rulebook_sha256"]) == 64


def test_csv_output_has_one_column_per_outcome_and_checklist_item_a_bom_and_is_written_atomically(cli, tmp_path):
    out = tmp_path / "results.csv"
    result = cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "-o", out)
    assert result.exit_code == 1
    assert out.read_bytes().startswith(b"\xef\xbb\xbfcase_id,")  # Excel on Windows then reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert list(rows[0])[:15] == ["case_id", "route", "rag", "contact_interval", "next_contact_due",
                                  "contact_overdue", "escalate_to_ssm", "allocation_target",
                                  "allocation_overdue", "annual_review_due", "safe_and_well_check",
                                  "risk_indicator_warning", "task_comment_prefix", "actions.action_case_duty_point",
                                  "actions.confirm_ordinary_residence_transfer"]
    assert rows[0]["contact_interval"] == "7 days" and rows[0]["escalate_to_ssm"] == "true"
    assert [name for name, cell in rows[5].items() if name.startswith("actions.") and cell] == [
        "actions.confirm_ordinary_residence_transfer"]
    assert rows[5]["actions.confirm_ordinary_residence_transfer"] == "yes"
    assert rows[4]["error"] == "field `risk` must be one of high, moderate, low" and rows[4]["where"] == "row 6"
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]


def test_windows_line_endings_and_list_cells(cli, write):
    path = write("w.csv", "")
    path.write_bytes((HEADER + ",risk_indicators\r\nA1,full,moderate,low,low,2026-11-01,carer_breakdown; lacks_capacity\r\n").encode())
    records = jsonl(cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23").stdout)
    assert records[0]["outcomes"]["risk_indicator_warning"] is True


@pytest.mark.parametrize("cell", ["2026-02-30", "31/02/2026", "13/13/2026"])
def test_impossible_dates_are_errors(cli, write, cell):
    path = write("d.csv", f"{HEADER}\nA1,full,low,low,low,{cell}\n")
    records = jsonl(cli("batch", "-r", LEICS, path).stdout)
    assert records[0]["error"] == "field `date_added` must be a real date written YYYY-MM-DD or DD/MM/YYYY"


def test_a_month_first_date_refuses_its_column_before_any_row(cli, write):
    path = write("d.csv", f"{HEADER}\nA1,full,low,low,low,11/31/2026\n")
    result = cli("batch", "-r", LEICS, path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}:2: column `date_added` holds dates written month first (the first at row "
                             "2), so none of its dates can be trusted: write them DD/MM/YYYY or YYYY-MM-DD; "
                             "no row was decided\n")


def test_a_short_row_is_reported_not_guessed(cli, write):
    path = write("t.csv", f"{HEADER}\nA1,full,low,low,low,2026-11-01\nA2,full,low\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    records = jsonl(result.stdout)
    assert records[1] == {"case_id": "A2", "where": "row 3", "field": None,
                          "error": "the row has 3 cells; the header has 6"}


def test_jsonl_from_stdin_and_a_folder_of_case_files(cli):
    lines = "\n".join(json.dumps({"case_id": f"S{i}", "support": "none", "risk": "low", "priority": "low",
                                  "complexity": "low", "date_added": "2026-11-01"}) for i in range(3))
    result = cli("batch", "-r", LEICS, "-", "--as-of", "2026-11-23", input=lines + "\n{not json\n")
    records = jsonl(result.stdout)
    assert [r["case_id"] for r in records[:3]] == ["S0", "S1", "S2"]
    assert records[3]["where"] == "line 4" and records[3]["error"].startswith("not valid JSON")
    folder = cli("batch", "-r", "rulebooks/knowsley.yaml", "examples/knowsley", "--as-of", "2026-11-22")
    assert folder.exit_code == 0
    assert [r["case_id"] for r in jsonl(folder.stdout)] == ["KN-2026-0142", "KN-2026-0077", "KN-2026-0051",
                                                          "KN-2026-0190"]


def test_jobs_keep_the_input_order(cli, write, monkeypatch):
    import policyengine.caseload.run as batch

    monkeypatch.setattr(batch, "CHUNK", 7)
    rows = "\n".join(f"A{i},{['none', 'moderate', 'full'][i % 3]},high,low,low,2026-11-01" for i in range(100))
    path = write("many.csv", f"{HEADER}\n{rows}\nBAD,full,high,low,low,2026-13-01\n")
    one = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    two = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", "--jobs", "2")
    assert one.stdout == two.stdout
    assert [r["case_id"] for r in jsonl(two.stdout)] == [f"A{i}" for i in range(100)] + ["BAD"]
    assert two.exit_code == 1


def test_a_formula_in_a_case_id_is_neutralised_in_csv_output(cli, write, tmp_path):
    path = write("f.csv", f'{HEADER}\n"=HYPERLINK(""http://x"",""click"")",full,low,low,low,2026-11-01\n')
    out = tmp_path / "o.csv"
    assert cli("batch", "-r", LEICS, path, "-o", out).exit_code == 0
    row = next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert row["case_id"] == "'=HYPERLINK(\"http://x\",\"click\")"


def test_an_output_that_is_not_jsonl_or_csv_is_a_usage_error(cli):
    assert cli("batch", "-r", LEICS, EXPORT, "-o", "out.txt").exit_code == 2


def test_worklist_lists_escalations_overdue_due_breaches_actions_and_counts(cli):
    result = cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "--format", "json")
    data = json.loads(result.stdout)
    assert [e["case_id"] for e in data["escalations"]] == ["LCC-PWT-1001", "LCC-PWT-1004"]
    assert data["overdue"] == [{"case_id": "LCC-PWT-1001", "item": "PWT review contact",
                                "due": "2026-11-17", "days_overdue": 6}]
    # LCC-PWT-1007 (Duty Point) and LCC-PWT-1006 (another authority) are not on the tray (#14): no
    # review contact of theirs falls due and no 28-day target is breached; they have no RAG rating.
    assert [(d["case_id"], d["days_until_due"]) for d in data["due_soon"]] == [
        ("LCC-PWT-1002", 0), ("LCC-PWT-1004", 6), ("LCC-PWT-1003", 7)]
    assert [b["case_id"] for b in data["breaches"]] == ["LCC-PWT-1001"]
    assert data["summary"] == {"rag": {"amber": 2, "none": 2, "red": 1, "green": 1},
                               "route": {"pwt": 4, "other_authority": 1, "duty_point": 1}}
    assert data["errors"] == [{"where": "row 6", "case_id": "LCC-PWT-1005",
                               "error": "field `risk` must be one of high, moderate, low"}]
    assert result.exit_code == 1


def test_worklist_within_changes_the_horizon(cli):
    data = json.loads(cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP,
                          "--format", "json", "--within", "0").stdout)
    assert [d["case_id"] for d in data["due_soon"]] == ["LCC-PWT-1002"]


def test_worklist_text_and_csv(cli, books):
    labels = books["leicestershire"].labels
    text = cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP).stdout
    assert "Overdue, most overdue first (1)\n" in text
    assert "  LCC-PWT-1001  PWT review contact  17 November 2026  6\n" in text
    rag = {v: value(labels, "rag", v) for v in ("amber", "green", "red")}
    assert f"  {labels.of('rag')}: {rag['amber']} 2, none 2, {rag['green']} 1, {rag['red']} 1\n" in text
    rows = list(csv.reader(io.StringIO(cli("worklist", "-r", LEICS, EXPORT, "--as-of", "2026-11-23",
                                           *SKIP, "--format", "csv").stdout)))
    assert rows[0] == ["section", "case_id", "item", "date", "days"]
    assert ["overdue", "LCC-PWT-1001", "PWT review contact", "2026-11-17", "6"] in rows


@pytest.mark.parametrize("book, cases", [
    ("knowsley", "examples/knowsley"), ("cambridgeshire", "examples/cambridgeshire"),
    ("waltham_forest", "examples/waltham_forest"), ("adass_tiers", "examples/adass_tiers"),
])
def test_worklist_works_for_every_rulebook(cli, book, cases):
    result = cli("worklist", "-r", f"rulebooks/{book}.yaml", cases, "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.stderr
    assert "Summary\n" in result.stdout


def test_a_terminal_gets_a_progress_bar_over_the_file_and_a_pipe_gets_none(capsys, monkeypatch):
    import contextlib

    import click

    from policyengine.caseload.output import Chunk
    from policyengine.cli import _count_records, _progress

    assert _count_records(EXPORT) == 7
    assert _count_records("-") is None
    chunks = [Chunk("", 3, [], []), Chunk("", 3, [object()], [])]
    assert list(_progress(iter(chunks), EXPORT, tty=False)) == chunks
    assert capsys.readouterr().err == ""
    seen = {}

    class Bar:
        def update(self, n):
            seen["done"] = seen.get("done", 0) + n

    @contextlib.contextmanager
    def fake_bar(length, **kwargs):
        seen["length"] = length
        yield Bar()

    monkeypatch.setattr(click, "progressbar", fake_bar)
    assert list(_progress(iter(chunks), EXPORT, tty=True)) == chunks
    assert seen == {"length": 7, "done": 7}


@pytest.mark.parametrize("command", ["batch", "worklist"])
def test_skipping_a_column_the_rulebook_asks_about_is_refused_before_any_case_is_decided(cli, command):
    # Skipped, `last_contact` would leave every case never contacted: every review overdue.
    result = cli(command, "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP, "--ignore-column", "last_contact")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"{EXPORT}: `last_contact` is a question the rules read, not a column to skip: "
                             "ignoring it would decide every case without its answer; take it out of the columns "
                             "to skip (a column to skip is one the rulebook does not read)\n")


def test_a_text_cell_reads_the_same_whatever_else_the_row_holds(cli, tmp_path):
    # A row with a blank-looking cell goes the careful way; one without, the fast way: both trim a cell.
    export = tmp_path / "spaces.csv"
    export.write_text("case_id,support,risk,priority,complexity,date_added,urgent_need,ordinarily_resident\n"
                      " A1 ,none,high,high,medium,2026-11-01,no,yes\n"
                      " A2 ,none,high,high,medium,2026-11-01,no,yes \n"
                      " A3 ,none,high,high,medium,2026-11-01,no,   \n")
    records = [json.loads(line) for line in cli("batch", "-r", LEICS, export, "--as-of", "2026-11-23").stdout.splitlines()]
    assert [r["case_id"] for r in records] == ["A1", "A2", "A3"]


ADASS = "rulebooks/adass_tiers.yaml"


def test_a_number_a_float_would_make_another_whole_number_is_refused_never_rounded(cli, write):
    # 2.9999999999999999 is 3.0 as a float, and 12345678901234567890.0 is ...168.0: both were read as
    # answers nobody wrote (the score 3; another case id); 3.0 and 1e1 are whole numbers as written
    factors = {f"factor_{i}": 1 for i in range(2, 7)}
    lines = [json.dumps({"case_id": "J1", **factors}).replace('"factor_2": 1', '"factor_1": 2.9999999999999999, '
                                                                                '"factor_2": 1'),
             json.dumps({"case_id": "J2", **factors}).replace('"case_id": "J2"', '"case_id": 12345678901234567890.0'),
             json.dumps({"case_id": "J3", **factors}).replace('"factor_2": 1', '"factor_1": 3.0, "factor_2": 1e0')]
    result = cli("batch", "-r", ADASS, "-", input="\n".join(lines) + "\n")
    first, second, third = jsonl(result.stdout)
    assert (first["field"], first["error"]) == ("factor_1", "field `factor_1` must be a whole number")
    assert (second["where"], second["field"], second["error"]) == \
        ("line 2", "case_id", "field `case_id` must be text")
    assert "outcomes" in third
    case = write("case.yaml", "case_id: Y1\nfactor_1: 2.9999999999999999\n" +
                 "".join(f"factor_{i}: 1\n" for i in range(2, 7)))
    refused = cli("evaluate", "-r", ADASS, case)
    assert refused.exit_code == 1 and "`factor_1` must be a whole number" in refused.output
