"""The plain-CSV lane (`batch --engine duckdb --format csv` on a plain CSV file, read by DuckDB itself)
against `--engine python`: the same bytes, notes, summary and repeated-id report; and every file that is
not plain goes the usual way, with the same results."""
from __future__ import annotations

import io
import os
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import load_rulebook, load_rulebook_text
from policyengine.caseload import columnar, plain_csv, run as run_module
from policyengine.caseload.records import InputError
from policyengine.caseload.run import run_caseload
from policyengine.sql import query
from tests.sql.differential import AS_OF, caseloads

ROOT = Path(__file__).resolve().parents[2]
LEICS = ROOT / "rulebooks" / "leicestershire.yaml"
MINIMAL = ROOT / "bench" / "leics_minimal.yaml"
_BOOKS: dict = {}
_ENGINES: dict = {}
COMPILED = plain_csv.compiled  # (patched below by a cache of it)
ROW_ENGINE_NOTE = "--engine duckdb: "


def book_of(path: Path):
    if path not in _BOOKS:
        _BOOKS[path] = load_rulebook(str(path))
    return _BOOKS[path]


def cached_engine(book, as_of):
    """The rulebook's query, built once (building it takes about a second)."""
    if id(book) not in _ENGINES:
        _ENGINES[id(book)] = COMPILED(book, as_of)
    return _ENGINES[id(book)]


def outcome(book, path: Path, engine: str, **kw) -> tuple:
    """(output, notes other than the DuckDB engine's own, summary text and dict), or the refusal;
    and whether the plain lane ran."""
    out, notes, lanes = io.StringIO(), [], []

    def spy(*args, **kwargs):
        lane = plain_csv.plain_lane(*args, **kwargs)
        lanes.append(lane is not None)
        return lane

    with mock.patch.object(run_module, "plain_lane", spy), mock.patch.object(plain_csv, "compiled", cached_engine):
        try:
            summary = run_caseload(book, str(path), as_of=AS_OF, output=out, format="csv", engine=engine,
                                   on_note=notes.append, **kw)
        except InputError as exc:
            return (f"refused: {exc.message} at {exc.location}",), any(lanes)
    kept = [n for n in notes if not n.startswith(ROW_ENGINE_NOTE)]
    return (out.getvalue(), kept, summary.text(), summary.as_dict()), any(lanes)


def same_as_row_engine(book, path: Path, **kw) -> bool:
    """Assert both engines give the same; return whether the plain lane ran."""
    python, _ = outcome(book, path, "python", **kw)
    duck, lane = outcome(book, path, "duckdb", **kw)
    assert duck == python
    return lane


def write(tmp_path: Path, lines: list[str], *, name: str = "cases.csv", end: str = "\r\n",
          encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(end.join(lines).encode(encoding) + end.encode())
    return path


HEADER = ("case_id,support,risk,risk_indicators,priority,complexity,date_added,last_contact,urgent_need,"
          "ordinarily_resident,section_117,person_name")
ROWS = [
    "A1,none,high,,high,low,2026-01-05,,yes,no,no,Person 1",
    "A2,full,low,carer_breakdown;lacks_capacity,low,high,05/01/2026,2026-11-01,no,yes,y,Ann O'Neil",
    " a1 ,moderate,moderate,,medium,medium,2026-03-31,,yes,yes,,Person 3",  # the same id as A1
    "-7,none,high,,high,low,2026-01-05,,TRUE,False,0,=cmd",  # formula-like cells
    "A5,none,high,,high,low,2026-01-05,,,no,no,Person 5",  # a question that may not be skipped, blank
    "A6,none,HIGH,,high,low,2026-01-05,,yes,no,no,Person 6",  # an enum in capitals
    "A7,none,high,,high,low,2026-02-30,,yes,no,no,Person 7",  # an impossible date: refused
    "A8,,high,,high,low,2026-01-05,,yes,no,no,Person 8",  # a required answer missing
    "A9,none,high,,high,low,2026-01-05,,maybe,no,no,Person 9",  # a refused answer
    "STRASSE,none,high,,high,low,2026-01-05,,yes,no,no,Person 10",
    "straße,none,high,,high,low,2026-01-05,,yes,no,no,Person 11",  # the same id, casefolded
    "A12,none,high,,high,low,2026-01-05,,yes,no,no,   ",  # a text of spaces
    "A13,none,high,nonsense,high,low,2026-01-05,,yes,no,no,Zoë",
    "A14,none,low,,low,low,2026-11-20,2026-11-23,no,no,no,Person 14",
]


def test_a_plain_file_is_read_by_duckdb_itself_and_gives_the_row_engines_bytes_notes_and_summary(tmp_path):
    path = write(tmp_path, [HEADER, *ROWS])
    assert same_as_row_engine(book_of(LEICS), path)


def test_a_rulebook_with_its_tries_as_rows_has_its_open_rows_decided_a_range_at_a_time_with_the_same_bytes(tmp_path):
    # (more than WIDE_MAX combinations of answers: here, none allowed)
    path = write(tmp_path, [HEADER, *ROWS, *(row.replace("A", "Z", 1) for row in ROWS)])
    book, passes, decide_passes = load_rulebook(str(LEICS)), [], plain_csv.decide_passes

    def spy(*args):
        passes.append((args[-1], len(found := decide_passes(*args))))
        return found

    try:
        with mock.patch.object(query, "WIDE_MAX", 0), mock.patch.object(plain_csv, "OPEN_BLOCK", 1), \
                mock.patch.object(plain_csv, "decide_passes", spy):
            assert same_as_row_engine(book, path)
    finally:
        _ENGINES.pop(id(book), None)
    assert passes == [(False, 1 + 2)]  # the answered rows, then each of the two open rows SQL may decide


def test_the_lane_says_how_many_rows_the_row_engine_decided_as_the_duckdb_engine_does(tmp_path):
    path = write(tmp_path, [HEADER, *ROWS])
    with mock.patch.object(plain_csv, "compiled", cached_engine):
        notes: list = []
        run_caseload(book_of(LEICS), str(path), as_of=AS_OF, output=io.StringIO(), format="csv", engine="duckdb",
                     on_note=notes.append)
    assert notes == ["--engine duckdb: 5 of 14 cases were decided by the row engine (records that could not be "
                     "read, refused or unanswered answers, errors)"]


def test_repeated_ids_are_reported_as_the_row_engine_reports_them(tmp_path):
    rows = [f"{cid},none,high,,high,low,2026-01-05,,yes,no,no,P" for cid in
            ("B1", "b1", "B2", " B1", "B3", "b3", "ﬀ", "FF", "B4")]
    path = write(tmp_path, [HEADER, *rows])
    python, _ = outcome(book_of(LEICS), path, "python")
    assert len(python[3]["duplicates"]) == 4  # b1 and B1 twice, b3, and FF (the ligature casefolds to ff)
    assert same_as_row_engine(book_of(LEICS), path)


def test_a_row_the_query_finds_an_error_in_is_decided_by_the_row_engine_with_its_own_record(tmp_path):
    text = MINIMAL.read_text().replace("days_on_tray: {type: integer, minimum: 0, required: true,",
                                       "days_on_tray: {type: integer, minimum: 0,")
    book = load_rulebook_text(text)  # a red case with no days on the tray cannot be compared with 30
    path = write(tmp_path, ["case_id,support,risk,days_on_tray", "B1,none,high,", "B2,none,high,31",
                            "B3,full,low,"])
    python, _ = outcome(book, path, "python")
    assert "could not be evaluated" in python[0]
    assert same_as_row_engine(book, path)


@pytest.mark.parametrize("sep", [";", "\t"])
def test_a_file_separated_by_semicolons_or_tabs_gives_the_same_note(tmp_path, sep):
    lines = [line.replace("carer_breakdown;", "").replace(",", sep) for line in [HEADER, *ROWS]]
    path = write(tmp_path, lines)  # (a list of two values, a;b, would be two cells)
    python, _ = outcome(book_of(LEICS), path, "python")
    assert python[1] == [f"the file is separated by {'semicolons (;)' if sep == ';' else 'tabs'}, not commas: "
                         "read as such"]
    assert same_as_row_engine(book_of(LEICS), path)


def test_a_byte_order_mark_lf_line_ends_and_a_last_line_without_its_end_read_as_the_row_path_reads_them(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join([HEADER, *ROWS]).encode())
    assert same_as_row_engine(book_of(LEICS), path)


def test_ignored_columns_are_left_out_as_the_row_path_leaves_them(tmp_path):
    path = write(tmp_path, [HEADER + ",team", *(row + ",Team A" for row in ROWS)])
    assert same_as_row_engine(book_of(LEICS), path, ignore=["team"])


#: Each way a file may not be plain, and a line that makes it so.
NOT_PLAIN = {
    "a quote inside a cell": lambda lines: [*lines[:3], lines[3].replace("Person 3", 'Person "3"'), *lines[4:]],
    "a quote never closed": lambda lines: [*lines[:3], lines[3].replace("Person 3", '"Person 3'), *lines[4:]],
    "text after a closing quote": lambda lines: [*lines[:3], lines[3].replace("Person 3", '"Person" 3'), *lines[4:]],
    "a space before an opening quote": lambda lines: [*lines[:3], lines[3].replace(",Person 3", ', "Person 3"'),
                                                      *lines[4:]],
    "a lone quote in a quoted cell": lambda lines: [*lines[:3], lines[3].replace("Person 3", '"Pers"on 3"'),
                                                    *lines[4:]],
    "a quoted cell over two lines": lambda lines: [*lines[:3], lines[3].replace("Person 3", '"Person\r\n3"'),
                                                   *lines[4:]],
    "a row of empty quoted cells": lambda lines: [*lines[:3], ",".join(['""'] * 12), *lines[3:]],
    "a quoted comma in the header": lambda lines: [lines[0].replace("person_name", '"person_name"'), *lines[1:]],
    "a short row": lambda lines: [*lines[:3], lines[3].rsplit(",", 1)[0], *lines[4:]],
    "a long row": lambda lines: [*lines[:3], lines[3] + ",extra", *lines[4:]],
    "a blank row": lambda lines: [*lines[:3], ",,,,,,,,,,,", *lines[3:]],
    "an empty line": lambda lines: [*lines[:3], "", *lines[3:]],
    "a month-first date": lambda lines: [*lines[:3], lines[3].replace("2026-03-31", "03/31/2026"), *lines[4:]],
    "a two-digit year": lambda lines: [*lines[:3], lines[3].replace("2026-03-31", "31/03/26"), *lines[4:]],
    "a sep= line": lambda lines: ["sep=,", *lines],
    "a bare carriage return": lambda lines: [*lines[:3], lines[3].replace("Person 3", "Person\r3"), *lines[4:]],
    "a NUL byte": lambda lines: [*lines[:3], lines[3].replace("Person 3", "Person\x003"), *lines[4:]],
    "mixed line ends": lambda lines: [*lines[:3], lines[3] + "\n" + lines[4], *lines[5:]],
    "an unknown column": lambda lines: [lines[0] + ",colour", *(line + ",red" for line in lines[1:])],
}


@pytest.mark.parametrize("reason", sorted(NOT_PLAIN))
def test_a_file_that_is_not_plain_goes_the_usual_way_with_the_same_results(tmp_path, reason):
    path = write(tmp_path, NOT_PLAIN[reason]([HEADER, *ROWS]))
    assert not same_as_row_engine(book_of(LEICS), path)


#: Well-formed quoted cells, as Excel and case-management systems write them: csv and DuckDB read them alike.
QUOTED = [
    '"Q1",none,high,,high,low,2026-01-05,,yes,no,no,"Smith, Ann"',  # a comma in a quoted cell
    'Q2,"full","low","carer_breakdown;lacks_capacity",low,high,"05/01/2026",2026-11-01,no,yes,y,"Ann ""Nan"" O\'Neil"',
    '"q1 ",moderate,moderate,"",medium,medium,2026-03-31,,"",yes,,""',  # empty quoted cells; the id repeats
    '"-7",none,high,,high,low,2026-01-05,,TRUE,False,0,"=cmd, then"',  # formula-like, with a comma
    'Q5,none,"",,high,low,2026-01-05,,yes,no,no,"  "',  # a required answer quoted empty; a text of spaces
    'Q6,none,high,,high,low,2026-01-05,,"maybe, not",no,no,P6',  # a refused answer with a comma
    'Q7,none,high,,high,low,2026-01-05,,yes,no,no,""""',  # a cell that is one quote
]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
@pytest.mark.parametrize("end", ["\r\n", "\n"])
def test_well_formed_quoted_cells_are_read_by_duckdb_itself_with_the_row_engines_bytes(tmp_path, sep, end):
    def separated(line: str) -> str:  # the commas between cells, not those in quoted cells
        return "".join(sep if c == "," and line[:k].count('"') % 2 == 0 else c for k, c in enumerate(line))

    rows = [row for row in ROWS if sep not in row]  # (A2's list is not quoted)
    path = write(tmp_path, [separated(line) for line in [HEADER, *rows, *QUOTED]], end=end)
    assert same_as_row_engine(book_of(LEICS), path)


def test_a_line_in_windows_1252_sends_the_file_the_usual_way(tmp_path):
    path = write(tmp_path, [HEADER, *ROWS[:3], ROWS[3].replace("=cmd", "Zoë")], encoding="cp1252")
    python, _ = outcome(book_of(LEICS), path, "python")
    assert python[1] == ["1 line (the first is line 5) is not UTF-8: read as Windows-1252 (cp1252)"]
    assert not same_as_row_engine(book_of(LEICS), path)


def test_the_plain_file_ran_in_the_lane_until_one_quote_sends_it_the_usual_way(tmp_path):
    # the same file, with and without one quote: the assertion above that a lane ran can fail
    plain = write(tmp_path, [HEADER, *ROWS], name="plain.csv")
    quoted = write(tmp_path, NOT_PLAIN["a quote inside a cell"]([HEADER, *ROWS]), name="quoted.csv")
    assert same_as_row_engine(book_of(LEICS), plain)
    assert not same_as_row_engine(book_of(LEICS), quoted)


def test_a_file_the_row_path_refuses_is_refused_in_its_words(tmp_path):
    path = write(tmp_path, [HEADER, ROWS[0].replace("2026-01-05", "01/13/2026")])
    python, _ = outcome(book_of(LEICS), path, "python")
    assert python[0].startswith("refused: column `date_added` holds dates written month first")
    assert not same_as_row_engine(book_of(LEICS), path)


def test_the_lanes_temporary_folder_is_removed_after_the_run(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(plain_csv.tempfile, "tempdir", str(folder))
    path = write(tmp_path, [HEADER, *ROWS])
    assert same_as_row_engine(book_of(LEICS), path)
    assert os.listdir(folder) == []


def test_a_path_duckdb_would_read_as_a_pattern_goes_the_usual_way_never_another_file_read(tmp_path):
    write(tmp_path, [HEADER, *(row.replace("A", "OTHER", 1) for row in ROWS)], name="a1.csv")
    path = write(tmp_path, [HEADER, *ROWS], name="a[1].csv")  # DuckDB would read a1.csv
    duck, lane = outcome(book_of(LEICS), path, "duckdb")
    assert not lane
    assert duck == outcome(book_of(LEICS), path, "python")[0] and "OTHER" not in duck[0]


def test_duckdb_failing_to_prepare_a_plain_file_is_said_and_the_file_is_read_the_usual_way(tmp_path):
    import duckdb

    path = write(tmp_path, [HEADER, *ROWS])
    python, _ = outcome(book_of(LEICS), path, "python")
    with mock.patch.object(plain_csv.Lane, "_decide", side_effect=duckdb.OutOfMemoryException("full")):
        duck, lane = outcome(book_of(LEICS), path, "duckdb")
    assert not lane
    output, notes, text, summary = duck
    assert (output, text, summary) == (python[0], python[2], python[3])
    assert notes == ["DuckDB could not read the file itself (OutOfMemoryException), so it was read the usual way: "
                     "the same results, more slowly"]


def test_a_run_that_fails_while_writing_leaves_no_temporary_folder(tmp_path, monkeypatch):
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(plain_csv.tempfile, "tempdir", str(folder))
    path = write(tmp_path, [HEADER, *ROWS])

    def broken(chunks):
        raise RuntimeError("the disk is full")
        yield  # pragma: no cover

    with mock.patch.object(plain_csv, "compiled", cached_engine), pytest.raises(RuntimeError):
        run_caseload(book_of(LEICS), str(path), as_of=AS_OF, output=io.StringIO(), format="csv", engine="duckdb",
                     progress=broken)
    assert os.listdir(folder) == []


# -- generated plain files ---------------------------------------------------------------------
def spelled(spec, value) -> st.SearchStrategy:
    """A typed answer as a plain cell (no quotes, no commas): the spellings a council's export uses,
    spaces around them, and refusals."""
    if value is None:
        return st.sampled_from(["", " "])
    if spec.type == "boolean":
        return st.sampled_from(["yes", "Y", " TRUE", "1"] if value else ["no", "N", "false ", "0"]) | st.just("maybe")
    if spec.type == "enum":
        return st.sampled_from([value, value.upper(), f" {value}", "not-one-of-them"])
    if spec.type == "integer":
        return st.sampled_from([str(value), f" {value} ", "1.5"])
    if spec.type == "date":
        return st.sampled_from([value.isoformat(), value.strftime("%d/%m/%Y"), "2026-02-30"])
    if spec.type == "list":
        return st.sampled_from([";".join(value), "; ".join(value).upper(), "nonsense"])
    return st.sampled_from([str(value), " padded ", "-minus", "Zoë", "\x07bell", 'say "hello", then'])


def cell(text: str) -> st.SearchStrategy:
    """A cell as an export writes it: quoted where it must be (a comma or a quote), and at times where
    it need not be, as some systems quote every cell."""
    quoted = '"' + text.replace('"', '""') + '"'
    return st.just(quoted) if any(c in text for c in ',"') else st.sampled_from([text, quoted])


def plain_files(book) -> st.SearchStrategy:
    names = list(book.inputs)

    def rows(cases):
        return st.tuples(*(st.tuples(*((spelled(book.inputs[n], case.get(n)) if n != "case_id" else
                                        st.sampled_from([case[n], case[n].lower(), f" {case[n]}", "C001"])
                                        ).flatmap(cell) for n in names)) for case in cases))

    return caseloads(book, max_rows=10).flatmap(rows).map(lambda rows: [",".join(names)] +
                                                          [",".join(row) for row in rows])


@pytest.mark.parametrize("rulebook", [LEICS, MINIMAL], ids=lambda p: p.stem)
def test_generated_plain_files_give_the_row_engines_bytes_notes_and_summary(rulebook, tmp_path):
    book = book_of(rulebook)
    ran = []

    @settings(max_examples=10, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(plain_files(book))
    def check(lines):
        path = write(tmp_path, lines)
        if any(not line.replace(",", "").replace('""', "").strip() for line in lines[1:]):
            return  # a blank row: not plain (tested above)
        ran.append(same_as_row_engine(book, path))

    check()
    assert ran and all(ran)


def test_a_file_ending_in_a_bare_carriage_return_goes_the_usual_way(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_bytes(("\r\n".join([HEADER, *ROWS[:3]]) + "\r").encode())
    assert not same_as_row_engine(book_of(LEICS), path)


def test_every_distinct_cell_of_a_wide_column_is_coerced_through_a_joined_table_as_through_an_inline_one(tmp_path):
    dates = [f"2026-{m:02d}-{d:02d}" for m in range(1, 13) for d in (1, 15, 28)]  # more than INLINE
    rows = [f"D{k},none,high,,high,low,{day},,yes,no,no,P" for k, day in enumerate(dates)]
    path = write(tmp_path, [HEADER, *rows, ROWS[6]])
    assert len(set(dates)) > plain_csv.INLINE
    assert same_as_row_engine(book_of(LEICS), path)


def test_the_default_engine_gives_duckdb_a_plain_csv_file_of_auto_bytes_or_more_and_the_row_engine_the_rest(
        tmp_path):
    path = write(tmp_path, [HEADER, *ROWS])
    size = path.stat().st_size
    python, lane = outcome(book_of(LEICS), path, "python")
    assert not lane  # the row engine never tries the lane
    with mock.patch.object(columnar, "AUTO_BYTES", size):
        assert outcome(book_of(LEICS), path, "auto") == (python, True)
        assert outcome(book_of(LEICS), path, "auto", jobs=2) == (python, False)  # processes asked for: rows
    with mock.patch.object(columnar, "AUTO_BYTES", size + 1):
        assert outcome(book_of(LEICS), path, "auto") == (python, False)

