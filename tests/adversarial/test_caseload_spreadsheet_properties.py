"""#17 property: a caseload written as CSV, as `;`-separated CSV and as an XLSX
workbook gives identical decisions, row for row, whatever its cells hold.

Cells are drawn as a council's spreadsheet holds them: case ids with leading
zeros, separators, quotes and formula-like text; yes/no and enum answers in
any case; dates as ISO or DD/MM/YYYY text in CSV and as date cells (some with a
midnight time) in the workbook; blank rows; bad values. Bounded by the `ci`
hypothesis profile (tests/adversarial/conftest.py).
"""
import csv
import datetime as dt
import io

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from policyengine import load_rulebook
from policyengine.caseload.readers import open_caseload
from policyengine.caseload.run import decide

from ..conftest import MINIMAL

AS_OF = dt.date(2026, 11, 23)
HEADER = ["case_id", "a", "b", "level", "when"]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "mini.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    return load_rulebook(path)


ids = st.one_of(st.from_regex(r"0{0,3}[0-9]{1,6}", fullmatch=True),
                st.sampled_from(["C-1", "=1+2", "a;b", 'say "hi"', "x,y", "+44", "Zoë", " padded "]))
answers = st.sampled_from(["yes", "No", "TRUE", "false", "Y", "", "maybe"])
levels = st.sampled_from(["low", "High", "LOW", "", "medium"])
days = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)))


@st.composite
def rows(draw):
    """A row as cells: text, or a date (written as text in CSV, a date cell in XLSX); or None, a blank row."""
    if draw(st.integers(0, 9)) == 0:
        return None
    day = draw(days)
    stamp = draw(st.booleans())  # a date-time cell at midnight, as some systems export
    return [draw(ids), draw(answers), draw(answers), draw(levels),
            (dt.datetime.combine(day, dt.time(0)) if stamp else day) if day else ""]


def csv_bytes(body, sep, uk):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep)
    writer.writerow(HEADER)
    for row in body:
        if row is None:
            writer.writerow([""] * len(HEADER))
            continue
        day = row[4]
        text = (day.strftime("%d/%m/%Y") if uk else day.isoformat()[:10]) if day else ""
        writer.writerow([*row[:4], text])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(body):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet = book.add_worksheet("Cases")
    for c, name in enumerate(HEADER):
        sheet.write_string(0, c, name)
    for r, row in enumerate(body, start=1):
        for c, cell in enumerate(row or ()):
            if isinstance(cell, dt.date):
                sheet.write_datetime(r, c, cell, date)
            elif cell:
                sheet.write_string(r, c, cell)
    book.close()
    return out.getvalue()


def decisions(book, raw, name):
    caseload = open_caseload(book, raw, name=name)
    return [(r.where, r.case_id, r.values, r.error, r.field) for r in (decide(book, x, AS_OF) for x in caseload)], \
        [note for note in caseload.notes if "separated by" not in note]


@given(st.lists(rows(), max_size=12), st.booleans())
def test_csv_semicolon_csv_and_xlsx_give_identical_decisions(book, body, uk):
    from_csv = decisions(book, csv_bytes(body, ",", uk), "c.csv")
    assert decisions(book, csv_bytes(body, ";", uk), "c.csv") == from_csv
    kept = list(body)
    while kept and kept[-1] is None:  # a workbook holds no rows after its last cell: nothing to count
        kept.pop()
    assert decisions(book, xlsx_bytes(body), "c.xlsx") == decisions(book, csv_bytes(kept, ",", uk), "c.csv")
    assert len(from_csv[0]) == sum(1 for row in body if row is not None)
