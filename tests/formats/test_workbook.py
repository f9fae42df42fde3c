"""The XLSX writer (#17): typed cells, and no row or date lost without a word."""
import datetime as dt

import pytest
from python_calamine import CalamineWorkbook

from policyengine.formats import workbook
from policyengine.formats.atomic import OutputError


def read(path):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def test_cells_are_typed_and_formula_like_text_is_quoted(tmp_path):
    out = tmp_path / "w.xlsx"
    workbook.write_workbook(str(out), [("S", [["id", "when", "flag", "n", "list", "none"],
                                              ["0012345", dt.date(2026, 11, 22), True, 3, ["a", "b"], None],
                                              ["-1", dt.date(1899, 12, 31), False, 2.5, [], ""]])])
    assert read(out)[1:] == [["0012345", dt.date(2026, 11, 22), "yes", 3.0, "a; b", ""],
                             ["'-1", "1899-12-31", "no", 2.5, "", ""]]  # before 1900: ISO text, never a wrong date


def test_more_rows_than_a_sheet_holds_is_an_error_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "LAST_ROW", 2)
    out = tmp_path / "w.xlsx"
    with pytest.raises(OutputError) as info:
        workbook.write_workbook(str(out), [("S", [["id"], ["1"], ["2"], ["3"]])])
    assert str(info.value) == f"{out}: an XLSX sheet holds at most 3 rows: write these results as CSV or JSONL"
    assert list(tmp_path.iterdir()) == []
