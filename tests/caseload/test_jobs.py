"""--jobs: workers are sent each chunk's cells, not whole records, and the output is the same bytes."""
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

import policyengine.caseload.run as run
from policyengine.caseload.records import Record

LEICS = "rulebooks/leicestershire.yaml"
SKIP = ["--ignore-column", "notes"]
HEADER = "case_id,support,risk,priority,complexity,date_added,notes"
# Every kind of row a worker must decide or report as the parent would: good rows, a repeated id,
# a bad value, a short row, a blank row, a note over two lines, a stray quote, bytes that are not UTF-8.
ROWS = [
    "A1,none,high,low,low,2026-11-01,",
    "A2,full,low,low,low,01/11/2026,plain",
    "a1 ,moderate,moderate,medium,high,2026-10-01,",
    "A3,full,nope,low,low,2026-11-01,",
    "A4,full,low",
    ",,,,,,",
    'A5,none,low,low,low,2026-09-30,"two\nlines"',
    "A6,full,high,high,low,2026-11-02,",
    'A7,none,high,low,low,2026-11-03,"never closed',
    "A8,moderate,low,low,low,2026-11-04,",
    "A9,full,high,low,low,2026-13-01,",
]


@pytest.fixture
def export(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "CHUNK", 3)  # so the rows above span several chunks and workers
    path = tmp_path / "export.csv"
    body = "\n".join(ROWS * 4).replace("A9", "A9\xe9").encode("cp1252")
    path.write_bytes(HEADER.encode() + b"\n" + body + b"\n")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_batch_with_two_jobs_writes_the_same_bytes_and_says_the_same_as_one(cli, export, tmp_path, fmt):
    one, two = tmp_path / f"one.{fmt}", tmp_path / f"two.{fmt}"
    first = cli("batch", "-r", LEICS, export, "--as-of", "2026-11-23", *SKIP, "-o", one)
    second = cli("batch", "-r", LEICS, export, "--as-of", "2026-11-23", *SKIP, "-o", two, "--jobs", "2")
    assert first.exit_code == second.exit_code == 1
    assert two.read_bytes() == one.read_bytes()
    assert second.stderr.replace(str(two), str(one)) == first.stderr
    assert "repeated case_id" in first.stderr and "could not be decided" in first.stderr


def test_worklist_with_two_jobs_is_the_same_bytes_as_one(cli, export):
    one = cli("worklist", "-r", LEICS, export, "--as-of", "2026-11-23", *SKIP, "--format", "json")
    two = cli("worklist", "-r", LEICS, export, "--as-of", "2026-11-23", *SKIP, "--format", "json", "--jobs", "2")
    assert (two.exit_code, two.stdout, two.stderr) == (one.exit_code, one.stdout, one.stderr)
    assert '"duplicates": [\n    "row' in one.stdout


RAW = (st.none() | st.text(max_size=3) | st.lists(st.text(max_size=2), max_size=2)
       | st.dictionaries(st.sampled_from(["case_id", "risk", "x"]), st.text(max_size=3), max_size=3))


@given(st.lists(st.builds(Record, where=st.text(max_size=5), raw=RAW, text=st.booleans(),
                          problem=st.none() | st.text(max_size=5)), max_size=8))
def test_a_chunk_sent_to_a_worker_is_read_back_as_the_same_records(records):
    assert run._unpack(pickle.loads(pickle.dumps(run._pack(records)))) == records


def test_a_chunk_of_csv_rows_is_sent_as_cells_under_one_header():
    records = [Record(f"row {n}", {"case_id": f"A{n}", "risk": "low"}, True) for n in (2, 3)]
    records.append(Record("row 4", {"case_id": "A4"}, True, "the row has 1 cells; the header has 2"))
    assert run._pack(records) == (("case_id", "risk"), [("row 2", ("A2", "low"), True, None),
                                                        ("row 3", ("A3", "low"), True, None),
                                                        ("row 4", {"case_id": "A4"}, True,
                                                         "the row has 1 cells; the header has 2")])
