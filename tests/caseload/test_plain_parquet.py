"""A Parquet caseload on the lane (``plain_scan.scan_parquet``): DuckDB loads its cells as the text the
row path reads (``parquet.as_text``), so batch, the worklist and impact decide it in SQL, with the row
engine's bytes, rows numbered from 1; a file the row path reads with judgement goes its way."""
from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from tests.caseload import test_impact_engines as impact_tests
from tests.caseload import test_worklist_engines as worklist_tests
from tests.caseload.test_plain_csv import HEADER, LEICS, ROWS, book_of, outcome, same_as_row_engine, write

#: The CSV rows as typed columns, as a warehouse stores them: dates as DATE or TIMESTAMP, yes/no as
#: BOOLEAN, text as VARCHAR; NULL for a blank cell.
TYPED = """
SELECT * FROM (VALUES
  ('T1', 'none', 'high', NULL, 'high', 'low', DATE '2026-01-05', NULL, true, false, CAST(0 AS BIGINT), 'Person 1'),
  ('T2', 'full', 'low', 'carer_breakdown;lacks_capacity', 'low', 'high', DATE '2026-01-05', DATE '2026-11-01',
   false, true, CAST(1 AS BIGINT), 'Ann, O''Neil'),
  ('t1 ', 'moderate', 'moderate', NULL, 'medium', 'medium', DATE '2026-03-31', NULL, true, true, NULL, '  '),
  ('T4', 'none', 'high', NULL, 'high', 'low', DATE '2026-01-05', NULL, NULL, false, CAST(0 AS BIGINT), '=cmd'),
  ('T5', NULL, 'high', NULL, 'high', 'low', DATE '2026-01-05', NULL, true, false, CAST(0 AS BIGINT), 'P5'),
  ('T6', 'none', 'high', NULL, 'high', 'low', DATE '2026-11-20', DATE '2026-11-23', false, false, CAST(2 AS BIGINT),
   'P6')
) t(case_id, support, risk, risk_indicators, priority, complexity, date_added, last_contact, urgent_need,
    ordinarily_resident, section_117, person_name)
"""


def parquet(path, select: str):
    con = duckdb.connect()
    con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    con.close()
    return path


def from_csv(tmp_path, lines: list[str], name: str = "cases.parquet"):
    """The CSV rows as a Parquet file of text columns, as a warehouse's export of them."""
    csv = write(tmp_path, lines, name="source.csv")
    return parquet(tmp_path / name, f"SELECT * FROM read_csv('{csv}', all_varchar = true, header = true)")


def test_a_parquet_file_of_text_is_decided_on_the_lane_with_the_row_engines_bytes_notes_and_summary(tmp_path):
    path = from_csv(tmp_path, [HEADER, *ROWS])
    assert same_as_row_engine(book_of(LEICS), path)
    python, _ = outcome(book_of(LEICS), path, "python")
    assert "row 1," in python[0] and "row 7," in python[0]  # numbered from 1: no header row
    assert python[3]["cases"] == len(ROWS)


def test_typed_parquet_columns_are_decided_on_the_lane_as_their_text_with_the_row_engines_bytes(tmp_path):
    path = parquet(tmp_path / "typed.parquet", TYPED)
    assert same_as_row_engine(book_of(LEICS), path)


def test_a_timestamp_that_is_not_midnight_is_refused_by_the_row_engine_for_its_row_alone(tmp_path):
    path = parquet(tmp_path / "times.parquet", TYPED.replace("DATE '2026-03-31'", "TIMESTAMP '2026-03-31 09:30:00'")
                   .replace("DATE '2026-01-05'", "TIMESTAMP '2026-01-05 00:00:00'"))
    assert same_as_row_engine(book_of(LEICS), path)
    python, _ = outcome(book_of(LEICS), path, "python")
    assert f"{path}: row 3 (case t1 ): field `date_added` holds a time of day as well as a date" in python[2]


@pytest.mark.parametrize("blank", ["NULL", "'   '", "'\u00a0'"])
def test_a_row_that_is_or_may_be_blank_sends_the_file_the_usual_way_with_the_same_results(tmp_path, blank):
    cells = ", ".join([blank] * 12)
    path = parquet(tmp_path / "blank.parquet", f"{TYPED} UNION ALL SELECT {cells}")
    assert not same_as_row_engine(book_of(LEICS), path)


def test_a_file_the_row_path_refuses_before_any_row_is_refused_in_its_words(tmp_path):
    path = parquet(tmp_path / "listed.parquet", TYPED.replace("'Person 1'", "['Person 1']")
                   .replace("'Ann, O''Neil'", "['Ann']").replace("'  '", "['x']").replace("'=cmd'", "['y']")
                   .replace("'P5'", "['z']").replace("'P6'", "['w']"))
    python, _ = outcome(book_of(LEICS), path, "python")
    assert python[0].startswith("refused: column `person_name` holds lists")
    assert not same_as_row_engine(book_of(LEICS), path)


def test_an_ignored_column_of_any_type_is_left_out_and_the_file_decided_on_the_lane(tmp_path):
    path = parquet(tmp_path / "ignored.parquet", f"SELECT *, [1, 2] AS team FROM ({TYPED})")
    assert same_as_row_engine(book_of(LEICS), path, ignore=["team"])


def test_the_worklist_decides_a_parquet_file_on_the_lane_with_the_row_engines_worklist(tmp_path):
    path = parquet(tmp_path / "typed.parquet", TYPED)
    python, _, lanes = worklist_tests.on_the_lane(book_of(LEICS), str(path), dt.date(2026, 11, 23), 7)
    assert lanes == [True] and "6 cases" in python[0]


def test_impact_decides_a_parquet_file_on_the_lane_with_the_row_engines_report(tmp_path):
    path = parquet(tmp_path / "typed.parquet", TYPED)
    base, variant = book_of(impact_tests.LEICS), book_of(impact_tests.VARIANT)
    python, _, _, lanes = impact_tests.on_the_lane(base, variant, [str(path)])
    assert lanes == [True] and json.loads(python["json"])["cases"] == 6
