"""#19: a Parquet caseload (a table from a council's data warehouse), read through DuckDB
as the text a CSV export of it would hold, so it is checked and decided as CSV is."""
import json

import duckdb
import pytest

LEICS = "rulebooks/leicestershire.yaml"
WF = "rulebooks/waltham_forest.yaml"
EXPORT = "examples/leicestershire/caseload.csv"
SKIP = ["--ignore-column", "worker_name", "--ignore-column", "team", "--ignore-column", "notes"]


def parquet(path, select: str) -> str:
    """A Parquet file holding what ``select`` (DuckDB SQL) gives."""
    con = duckdb.connect()
    con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    con.close()
    return str(path)


def jsonl(output):
    return [json.loads(line) for line in output.splitlines()]


def cases(select_rows: str, columns: str = "case_id, support, risk, priority, complexity, date_added") -> str:
    return f"SELECT * FROM (VALUES {select_rows}) t({columns})"


def test_a_parquet_caseload_is_decided_as_its_csv_export_is_its_rows_numbered_from_one(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", f"SELECT * FROM read_csv('{EXPORT}', all_varchar = true)")
    from_csv = jsonl(cli("batch", "-r", LEICS, EXPORT, "--as-of", "2026-11-23", *SKIP).stdout)
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", *SKIP)
    assert result.exit_code == 1  # the export holds one case that cannot be decided
    from_parquet = jsonl(result.stdout)
    assert len(from_parquet) == len(from_csv) == 7
    for mine, theirs in zip(from_parquet, from_csv):
        if "where" in theirs:  # an error record: the row it names is one up, with no header row above
            assert mine.pop("where") == f"row {int(theirs.pop('where').split()[1]) - 1}"
        assert mine == theirs
    assert result.stderr == (f"{path}: row 5 (case LCC-PWT-1005): field `risk` must be one of high, moderate, low\n"
                             "batch: 7 cases: 6 decided, 1 could not be decided\n")


def test_typed_columns_read_as_their_iso_text_and_yes_no(cli, tmp_path, write):
    typed = parquet(tmp_path / "typed.parquet", cases(
        "('A1', 'full', 'low', 'low', 'low', DATE '2026-11-01', true),"
        "('A2', 'full', 'low', 'low', 'low', DATE '2026-10-01', false)",
        "case_id, support, risk, priority, complexity, date_added, urgent_need"))
    text = write("c.csv", "case_id,support,risk,priority,complexity,date_added,urgent_need\n"
                          "A1,full,low,low,low,2026-11-01,yes\nA2,full,low,low,low,2026-10-01,no\n")
    typed_out = jsonl(cli("batch", "-r", LEICS, typed, "--as-of", "2026-11-23").stdout)
    text_out = jsonl(cli("batch", "-r", LEICS, text, "--as-of", "2026-11-23").stdout)
    assert [r["outcomes"] for r in typed_out] == [r["outcomes"] for r in text_out]


def test_a_timestamp_at_midnight_is_its_date_and_any_other_time_is_refused_by_row_and_field(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", cases(
        "('A1', 'full', 'low', 'low', 'low', TIMESTAMP '2026-11-01 00:00:00'),"
        "('A2', 'full', 'low', 'low', 'low', TIMESTAMP '2026-11-01 09:30:00')"))
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    first, second = jsonl(result.stdout)
    assert first["outcomes"] == jsonl(cli("batch", "-r", LEICS, parquet(tmp_path / "d.parquet", cases(
        "('A1', 'full', 'low', 'low', 'low', '2026-11-01')")), "--as-of", "2026-11-23").stdout)[0]["outcomes"]
    assert second == {"case_id": "A2", "where": "row 2", "field": "date_added",
                      "error": "field `date_added` holds a time of day as well as a date: write the date alone "
                               "(a date-time is read as its date only when the time is midnight, 00:00)"}
    assert "09:30" not in result.stderr


def test_a_whole_number_stored_as_a_float_is_its_digits_and_a_fraction_is_refused(tmp_path, books):
    from policyengine.caseload import open_caseload

    path = parquet(tmp_path / "c.parquet", "SELECT * FROM (VALUES ('W1', 34.0::DOUBLE, 7::BIGINT, 0.1::FLOAT), "
                                           "('W2', 34.5::DOUBLE, NULL, 2.5::FLOAT)) t(case_id, age, n, f)")
    records = list(open_caseload(books["waltham_forest"], path, ignore=["n", "f"]))
    assert [r.raw for r in records] == [{"case_id": "W1", "age": "34"}, {"case_id": "W2", "age": "34.5"}]
    from policyengine.caseload.parquet import as_text

    con = duckdb.connect()
    got = con.execute(f"SELECT {as_text('f', 'FLOAT')}, {as_text('n', 'BIGINT')} FROM '{path}'").fetchall()
    assert got == [("0.1", "7"), ("2.5", None)]  # a FLOAT's shortest text, not 0.10000000149011612


def test_a_null_is_a_blank_cell_and_a_row_of_nulls_is_a_blank_row_skipped_and_said(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", cases(
        "('A1', 'full', 'low', 'low', 'low', '2026-11-01'), (NULL, NULL, NULL, NULL, NULL, NULL),"
        "('A2', 'full', NULL, 'low', 'low', '2026-11-01')"))
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr == (f"{path}: 1 blank row skipped (row 2)\n"
                             f"{path}: row 3 (case A2): missing required field `risk`\n"
                             "batch: 2 cases: 1 decided, 1 could not be decided\n")


def test_a_null_yes_no_is_no_answer_never_no(cli, tmp_path, write):
    # a NULL BOOLEAN was read as "false": a question nobody answered decided as No
    columns = "case_id, support, risk, priority, complexity, date_added, urgent_need, ordinarily_resident, section_117"
    typed = parquet(tmp_path / "c.parquet", cases(
        "('A1', 'none', 'high', 'high', 'low', DATE '2026-01-05', CAST(NULL AS BOOLEAN), false, false),"
        "('A2', 'none', 'high', 'high', 'low', DATE '2026-01-05', false, false, false)", columns))
    text = write("c.csv", f"{columns.replace(', ', ',')}\n"
                          "A1,none,high,high,low,2026-01-05,,no,no\nA2,none,high,high,low,2026-01-05,no,no,no\n")
    for engine in ("python", "duckdb"):
        typed_out = jsonl(cli("batch", "-r", LEICS, typed, "--as-of", "2026-11-23", "--engine", engine).stdout)
        text_out = jsonl(cli("batch", "-r", LEICS, text, "--as-of", "2026-11-23", "--engine", engine).stdout)
        assert typed_out == text_out
        assert typed_out[0]["pending"] == {"route": ["urgent_need"], "actions": ["urgent_need"]}
        assert typed_out[1]["outcomes"]["route"] == "other_authority"


def test_a_list_column_is_refused_before_any_row_unless_skipped(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", cases(
        "('A1', 'full', 'low', 'low', 'low', '2026-11-01', ['carer_breakdown'], X'00')",
        "case_id, support, risk, priority, complexity, date_added, risk_indicators, photo"))
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", "--ignore-column", "photo")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}: column `risk_indicators` holds lists (store a list as text, its values "
                             "separated by `;`) (its type is VARCHAR[]), not answers: a caseload's cells are text, "
                             "numbers, yes/no or dates; skip it on purpose with --ignore-column if the rules do not "
                             "read it, or store it as one of those\n")


def test_a_column_of_bytes_that_is_skipped_is_never_read(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", cases(
        "('A1', 'full', 'low', 'low', 'low', '2026-11-01', X'00')",
        "case_id, support, risk, priority, complexity, date_added, photo"))
    refused = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert "unknown column `photo`" in refused.stderr
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", "--ignore-column", "photo")
    assert (result.exit_code, [r["case_id"] for r in jsonl(result.stdout)]) == (0, ["A1"])


def test_unknown_columns_are_named_with_a_suggestion_never_taken_for_a_persons_row(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", cases(
        "('A1', 'full', 'low', 'low', 'low', '2026-11-01', 1, 2, 3, 4, 5, 6, 7)",
        "case_id, support, risk, priority, complexity, date_added, riks, a, b, c, d, e, f"))
    result = cli("batch", "-r", LEICS, path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}: unknown columns `riks` (did you mean `risk`?), `a`")
    assert "may not be a header" not in result.stderr


def test_month_first_text_dates_are_refused_as_in_csv_naming_the_row(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", cases("('A1', 'full', 'low', 'low', 'low', '11/25/2026')"))
    result = cli("batch", "-r", LEICS, path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}: column `date_added` holds dates written month first (the first at row 1), "
                             "so none of its dates can be trusted: write them DD/MM/YYYY or YYYY-MM-DD; "
                             "no row was decided\n")


@pytest.mark.parametrize("content", [b"", b"case_id,risk\nA1,low\n", b"PAR1" + b"\0" * 40])
def test_a_file_that_is_not_parquet_is_refused_without_a_traceback(cli, tmp_path, content):
    path = tmp_path / "c.parquet"
    path.write_bytes(content)
    result = cli("batch", "-r", LEICS, path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{path}: the file cannot be read as Parquet: it is damaged, or not a Parquet file\n"


def test_a_file_naming_none_of_the_rulebooks_fields_is_refused(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", "SELECT 1 AS x, 2 AS y")
    result = cli("batch", "-r", LEICS, path)
    assert result.stderr == (f"{path}: none of the file's columns is one of the rulebook's fields: is it the "
                             "caseload for this rulebook?\n")


def test_a_parquet_caseload_decides_alike_on_both_engines_and_in_the_worklist(cli, tmp_path):
    path = parquet(tmp_path / "c.parquet", f"SELECT * FROM read_csv('{EXPORT}', all_varchar = true)")
    for engine in ("python", "duckdb"):
        cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23", "--engine", engine, "-o", tmp_path / f"{engine}.csv",
            *SKIP)
    python, duck = ((tmp_path / f"{engine}.csv").read_bytes() for engine in ("python", "duckdb"))
    assert duck == python and python.count(b"\n") == 8
    worklist = cli("worklist", "-r", LEICS, path, "--as-of", "2026-11-23", "--format", "json", *SKIP)
    assert json.loads(worklist.stdout)["cases"] == 7


def test_a_path_duckdb_would_read_as_a_pattern_is_refused_never_another_file_read(cli, tmp_path):
    parquet(tmp_path / "a1.parquet", cases("('OTHER', 'full', 'low', 'low', 'low', '2026-11-01')"))
    path = parquet(tmp_path / "a[1].parquet", cases("('MINE', 'full', 'low', 'low', 'low', '2026-11-01')"))
    result = cli("batch", "-r", LEICS, path)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"{path}: a Parquet caseload's path must not hold *, ?, [, ] or {{ }}: DuckDB, which "
                             "reads it, would take them as a pattern matching other files; rename the file or its "
                             "folder\n")


def test_a_folder_named_like_a_partition_adds_no_column(cli, tmp_path):
    folder = tmp_path / "year=2026"
    folder.mkdir()
    path = parquet(folder / "c.parquet", cases("('A1', 'full', 'low', 'low', 'low', '2026-11-01')"))
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert (result.exit_code, [r["case_id"] for r in jsonl(result.stdout)]) == (0, ["A1"])
