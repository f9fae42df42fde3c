"""Property: however a caseload export is damaged, every good row is decided and
every bad line is reported by its own row, as a spreadsheet numbers it, and by
its line in the file where a multi-line cell above makes the two differ (issue
#11, section 1).

Files are made of good rows (some with quoted or multi-line notes, some with
Windows-1252 bytes), stray quotes that never close, rows with a byte no
encoding reads, blank lines, short rows and rows with a bad value. Bounded by
the `ci` hypothesis profile (tests/adversarial/conftest.py).
"""
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyengine import load_rulebook
from policyengine.caseload.readers import read_csv_bytes
from policyengine.caseload.run import decide

from ..conftest import MINIMAL

HEADER = b"case_id,a,b,level,when,notes\n"
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "mini.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    return load_rulebook(path)


words = st.sampled_from(["Carer in hospital", "Stable", "Daughter reports a fall", "", "Zoë"])
dates = st.sampled_from(["", "2026-11-01", "13/10/2026", "31/12/2025"])


@st.composite
def good(draw):
    """A good row: its lines (bytes) and how its notes cell is written."""
    notes = draw(st.sampled_from(["plain", "quoted", "multi", "cp1252"]))
    text = draw(words)
    if notes == "quoted":
        text = f'"{text}, and ""more"""'
    elif notes == "multi":
        tail = draw(st.lists(st.sampled_from(["", "then a visit", "see file"]), min_size=1, max_size=3))
        text = '"' + "\n".join([text, *tail]) + '"'
    row = f"{{id}},{draw(st.sampled_from(['yes', 'no', '']))},no,{draw(st.sampled_from(['low', 'high']))}," \
          f"{draw(dates)},{text}"
    return ("good", row, "cp1252" if notes == "cp1252" else "utf-8")


bad = st.sampled_from([
    ("stray", '{id},yes,no,low,2026-11-01,"never closed', "utf-8"),
    ("short", "{id},yes", "utf-8"),
    ("value", "{id},yes,no,medium,2026-11-01,", "utf-8"),
    ("byte", "{id}\x81,yes,no,low,2026-11-01,", "latin-1"),  # 0x81: undefined in Windows-1252
    ("blank", "", "utf-8"),
    ("blank", "   ", "utf-8"),
])


@given(st.lists(st.one_of(good(), bad), max_size=30))
def test_every_good_row_is_decided_and_every_bad_line_is_reported_by_its_number(book, blocks):
    body, expected, line, row = [HEADER], {}, 2, 2
    for n, (kind, template, encoding) in enumerate(blocks):
        text = template.replace("{id}", f"C{n}")
        body.append(text.encode(encoding) + b"\n")
        if kind != "blank":
            where = f"row {row}" if row == line else f"row {row} (line {line} of the file)"
            expected[where] = (kind, f"C{n}")
        line += text.count("\n") + 1
        row += 1
    records = list(read_csv_bytes(b"".join(body), "generated.csv", book, ["notes"]))
    results = {}
    for record in records:
        result = decide(book, record, AS_OF)
        assert record.where not in results, f"{record.where} is given twice"
        results[record.where] = result
    assert set(results) == set(expected), b"".join(body)
    for where, (kind, case_id) in expected.items():
        result = results[where]
        if kind == "good":
            assert result.values is not None, (where, result.error)
            assert result.case_id == case_id
        elif kind == "byte":  # unreadable in Windows-1252: an error for this row, unless another encoding reads it
            assert result.values is None or result.case_id.startswith(case_id)
        else:
            assert result.values is None, where
            assert result.error == {
                "stray": "a quote (\") opens a cell that is never closed; this row is not read, and the lines "
                         "after it are read as rows of their own",
                "short": "the row has 2 cells; the header has 6",
                "value": "field `level` must be one of low, high",
            }[kind]


@given(st.lists(st.sampled_from(["A1", "a1 ", "B2", "b2", " C3", "D4", "e5", "E5 "]), max_size=60))
def test_every_repeated_case_id_is_reported_against_its_first_row_in_reading_order(ids):
    from policyengine.caseload.duplicates import Duplicates

    repeats = Duplicates()
    for row, case_id in enumerate(ids, start=2):
        repeats.add(case_id, f"row {row}")
    first, expected = {}, []
    for row, case_id in enumerate(ids, start=2):
        key = case_id.strip().casefold()
        if key in first:
            expected.append(f"row {row}: the same case_id as row {first[key]}, ignoring case and spaces at "
                            "either end (each kept as its own case, not merged)")
        first.setdefault(key, row)
    assert repeats.report() == expected
