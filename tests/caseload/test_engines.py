"""`batch --engine duckdb` against `--engine python`: byte-identical CSV and JSONL, error records
included, on every shipped caseload and on generated CSV caseloads full of hostile cells."""
from __future__ import annotations

import csv
import io
import re
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyengine import load_rulebook, load_rulebook_text
from policyengine.caseload import columnar
from policyengine.caseload.records import InputError
from policyengine.caseload.run import run_caseload
from tests.sql.differential import AS_OF, answers

ROOT = Path(__file__).resolve().parents[2]
RULEBOOKS = sorted((ROOT / "rulebooks").glob("*.yaml"))
FORK = ROOT / "examples" / "forks" / "northfield.yaml"
MINIMAL = ROOT / "bench" / "leics_minimal.yaml"
#: Each shipped caseload, its rulebook and the columns it must skip.
SHIPPED = [
    (ROOT / "rulebooks" / "leicestershire.yaml", ROOT / "examples" / "leicestershire" / "caseload.csv",
     ("worker_name", "team", "notes")),
    (ROOT / "rulebooks" / "leicestershire.yaml", ROOT / "examples" / "leicestershire" / "caseload.xlsx",
     ("worker_name", "team", "notes")),
    (FORK, ROOT / "examples" / "forks" / "caseload.csv", ()),
]
_BOOKS: dict = {}
_ENGINES: dict = {}


def book_of(path: Path):
    if path not in _BOOKS:
        _BOOKS[path] = load_rulebook(str(path))
    return _BOOKS[path]


def run(book, source, fmt: str, engine: str, **kw) -> tuple[str, list[str]]:
    """The output's text and the notes, or the refusal of the whole file."""
    out, notes = io.StringIO(), []
    try:
        run_caseload(book, source, as_of=AS_OF, output=out, format=fmt, engine=engine, on_note=notes.append,
                     **kw)
    except InputError as exc:
        return f"refused: {exc.message} at {exc.location}", notes
    return out.getvalue(), notes


@contextmanager
def compiled_once(path: Path):
    """The rulebook's DuckDB engine made once for every example (making it takes about a second)."""
    if path not in _ENGINES:
        _ENGINES[path] = columnar.engine_for(book_of(path), AS_OF, None)
    with mock.patch.object(columnar, "engine_for", lambda *args: _ENGINES[path]):
        yield


@pytest.mark.parametrize("rulebook,caseload,skip", SHIPPED, ids=lambda p: getattr(p, "name", "-"))
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_every_shipped_caseload_gives_the_same_bytes_on_duckdb_as_on_the_row_engine(rulebook, caseload, skip,
                                                                                      fmt):
    book = book_of(rulebook)
    python, _ = run(book, str(caseload), fmt, "python", ignore=skip)
    duck, _ = run(book, str(caseload), fmt, "duckdb", ignore=skip)
    assert duck == python
    assert not python.startswith("refused")


def test_the_rows_duckdb_does_not_decide_are_counted_in_a_note_and_not_in_the_output():
    book = book_of(ROOT / "rulebooks" / "leicestershire.yaml")
    caseload = ROOT / "examples" / "leicestershire" / "caseload.csv"
    duck, notes = run(book, str(caseload), "csv", "duckdb", ignore=("worker_name", "team", "notes"))
    assert notes == ["--engine duckdb: 1 of 7 cases were decided by the row engine (records that could not be "
                     "read, refused or unanswered answers, errors)"]
    assert "duckdb" not in duck


def test_a_rulebook_the_sql_cannot_express_runs_wholly_on_the_row_engine_with_a_note():
    book = book_of(MINIMAL)
    with mock.patch.object(columnar, "build_query", side_effect=columnar.PolicyEngineError("no SQL for this")):
        duck, notes = run(book, b"case_id\nA-1\n", "csv", "duckdb", name="cases.csv")
    python, _ = run(book, b"case_id\nA-1\n", "csv", "python", name="cases.csv")
    assert duck == python
    assert notes == ["--engine duckdb: no SQL for this; every case is decided by the row engine instead"]


def test_a_case_the_sql_finds_an_error_in_is_decided_again_by_the_row_engine_so_its_record_is_the_same():
    text = MINIMAL.read_text().replace("days_on_tray: {type: integer, minimum: 0, required: true,",
                                       "days_on_tray: {type: integer, minimum: 0,")
    book = load_rulebook_text(text)  # a red case with no days on the tray cannot be compared with 30
    data = b"case_id,support,risk,days_on_tray\r\nB1,none,high,\r\nB2,none,high,31\r\nB3,full,low,\r\n"
    for fmt in ("csv", "jsonl"):
        python, _ = run(book, data, fmt, "python", name="cases.csv")
        duck, notes = run(book, data, fmt, "duckdb", name="cases.csv")
        assert duck == python
        assert "decisions `escalate` could not be evaluated: cannot compare a missing (null) value with `>`" in duck
        assert notes == ["--engine duckdb: 1 of 3 cases were decided by the row engine (records that could not be "
                         "read, refused or unanswered answers, errors)"]


def test_a_case_with_unanswered_questions_is_decided_on_duckdb_with_the_row_engines_pending_column():
    text = MINIMAL.read_text().replace(
        "  days_on_tray: {type: integer, minimum: 0, required: true, question: 'Days on the tray?'}",
        "  days_on_tray: {type: integer, minimum: 0, question: 'Days on the tray?'}\n"
        "  urgent: {type: boolean, question: 'Urgent?'}\n"
        "  tasks: {type: list, values: [visit, call], question: 'Tasks?'}"
    ).replace("\"rag == 'Red' and days_on_tray > 30\"", "\"days_on_tray > 30 and (urgent or 'visit' in tasks)\"")
    book = load_rulebook_text(text)
    # B1 waits on both questions, B2 on none (urgent settles it), B3's escalation faults whatever
    # the answers (no days on the tray): the row engine decides B3, for its pending column
    data = (b"case_id,support,risk,days_on_tray,urgent,tasks\r\nB1,none,high,31,,\r\nB2,none,high,31,yes,\r\n"
            b"B3,full,low,,,call\r\n")
    written = {}
    for fmt in ("csv", "jsonl"):
        written[fmt], _ = run(book, data, fmt, "python", name="cases.csv")
        duck, notes = run(book, data, fmt, "duckdb", name="cases.csv")
        assert duck == written[fmt]
        assert notes == ["--engine duckdb: 1 of 3 cases were decided by the row engine (records that could not be "
                         "read, refused or unanswered answers, errors)"]
    assert [row[4] for row in csv.reader(io.StringIO(written["csv"]))][1:] == [
        "escalate: urgent tasks", "", "escalate: urgent"]


def test_an_engine_other_than_python_or_duckdb_is_refused_by_name():
    with pytest.raises(ValueError, match="a caseload is decided by engine auto, python or duckdb, not 'spark'"):
        run_caseload(book_of(MINIMAL), b"case_id\nA\n", as_of=AS_OF, name="c.csv", engine="spark")


# -- generated caseloads: hostile cells ---------------------------------------------------------
def spellings(spec, value) -> st.SearchStrategy:
    """A typed answer as a council's export might spell it: blanks, spaces, `Yes`/`Y`/`TRUE`, day-first dates."""
    if value is None:
        return st.sampled_from(["", "   "])
    if spec.type == "boolean":
        return st.sampled_from(["yes", "Yes", "Y", "TRUE", " yes "] if value else ["no", "N", "FALSE", "false"])
    if spec.type == "enum":
        return st.sampled_from([value, value.upper(), f" {value} "])
    if spec.type == "integer":
        return st.sampled_from([str(value), f" {value} "])
    if spec.type == "date":
        return st.sampled_from([value.isoformat(), value.strftime("%d/%m/%Y")])
    if spec.type == "list":
        return st.sampled_from([";".join(value), "; ".join(value)])
    return st.sampled_from([str(value), 'say "hello", twice', "  padded  "])


#: Cells the engine refuses, by the input's type: unknown answers, impossible dates, not numbers.
REFUSED = {"boolean": "maybe", "enum": "not-one-of-them", "integer": "1.5", "date": "31/02/2026",
           "list": "nonsense", "string": "\x07bell"}
#: What may happen to a row: nothing (mostly), a broken quote, a short row, a repeated id, a blank
#: row, a refused cell, an impossible date, a cell of two lines (which the pre-scan reads as a broken quote).
DAMAGE = [*[""] * 30, "quote", "short", "repeat", "blank", "refused", "impossible",
          "lines"]


def hostile_caseloads(book) -> st.SearchStrategy:
    names = list(book.inputs)

    def row(draw_case):
        return st.tuples(*(spellings(book.inputs[n], draw_case.get(n)) for n in names))

    # a yes/no or list question with no default is left unanswered (not known) as freely as any other
    case = st.fixed_dictionaries({n: answers(book, n) for n in names if n != "case_id"})
    rows = st.lists(case.flatmap(row), min_size=1, max_size=8)
    damage = st.lists(st.tuples(st.sampled_from(DAMAGE), st.integers(0, len(names) - 1)), min_size=8, max_size=8)
    return st.tuples(rows, damage).map(lambda pair: (_csv(book, names, *pair), _undamaged(*pair)))


def _undamaged(rows: list[tuple], damage: list[tuple]) -> set[str]:
    """The case ids of the rows left undamaged."""
    return {f"C{i:03d}" for i, (_, (harm, _)) in enumerate(zip(rows, damage)) if harm == ""}


def _csv(book, names: list[str], rows: list[tuple], damage: list[tuple]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(names)
    for i, (cells, (harm, k)) in enumerate(zip(rows, damage)):
        cells = list(cells)
        cells[names.index("case_id")] = " c000 " if harm == "repeat" and i else f"C{i:03d}"
        if harm == "short":
            cells = cells[:-1]
        elif harm == "blank":
            cells = [""] * len(cells)
        elif harm == "refused" and names[k] != "case_id":
            cells[k] = REFUSED[book.inputs[names[k]].type]
        elif harm == "impossible":
            dated = [j for j, n in enumerate(names) if book.inputs[n].type == "date"]
            if dated:
                cells[dated[k % len(dated)]] = "2026-02-30"
        elif harm == "lines":
            cells[k] = "two\nlines"
        line = io.StringIO()
        csv.writer(line, lineterminator="\r\n").writerow(cells)
        out.write('"' + line.getvalue() if harm == "quote" else line.getvalue())
    return out.getvalue().encode()


ROW_ENGINE = re.compile(r"--engine duckdb: (\d+) of \d+ cases were decided by the row engine")
GENERATED = [*RULEBOOKS, FORK, MINIMAL]


@pytest.mark.parametrize("rulebook", GENERATED, ids=lambda p: p.stem)
def test_hostile_generated_caseloads_give_the_same_csv_and_jsonl_on_both_engines(rulebook):
    book = book_of(rulebook)

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(hostile_caseloads(book))
    def check(generated):
        data, undamaged = generated
        for fmt in ("csv", "jsonl"):
            python, _ = run(book, data, fmt, "python", name="cases.csv")
            on_duckdb.clear()
            duck, _ = run(book, data, fmt, "duckdb", name="cases.csv")
            assert duck == python, data.decode()
        counted[0] += len(undamaged)
        counted[1] += len(undamaged & on_duckdb)

    counted = [0, 0]  # rows generated undamaged, and of those decided on DuckDB
    on_duckdb: set = set()
    with compiled_once(rulebook), recording(_ENGINES[rulebook], on_duckdb):
        check()
    # Not a test of DuckDB if the rows went to the row engine: most undamaged rows, unanswered
    # questions and all, are decided on DuckDB (a rule that faults on the case sends it there).
    assert counted[1] >= 0.7 * counted[0], f"DuckDB decided {counted[1]} of {counted[0]} undamaged rows"


@contextmanager
def recording(engine, ids: set):
    """Record in ``ids`` the case ids ``engine`` decides (rather than leaving to the row engine)."""
    decide = engine.decide

    def recorded(cases, folder):
        decided = decide(cases, folder)
        ids.update(found[0]["case_id"] for found in decided.values() if found is not None)
        return decided
    with mock.patch.object(engine, "decide", recorded):
        yield


def test_batch_help_offers_every_engine_and_says_auto_chooses_duckdb_for_a_large_plain_csv(cli):
    result = cli("batch", "--help")
    assert "--engine [auto|python|duckdb]" in result.output
    said = " ".join(result.output.split())
    assert ("auto: DuckDB for a plain CSV file of 2 MB or more written as CSV with one job, the row engine "
            "otherwise. The output is the same whichever decides it. [default: auto]") in said


def test_batch_on_duckdb_writes_the_file_the_row_engine_writes_and_notes_the_rest_on_stderr(cli, tmp_path):
    written = {}
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.csv"
        result = cli("batch", "-r", "rulebooks/leicestershire.yaml", "examples/leicestershire/caseload.csv",
                     "--as-of", "2026-11-24", "--ignore-column", "worker_name", "--ignore-column", "team",
                     "--ignore-column", "notes", "-o", out, "--engine", engine)
        assert result.exit_code == 1  # one case in the example is refused, on both engines
        written[engine] = (out.read_bytes(), result.output)
    assert written["duckdb"][0] == written["python"][0]
    assert ("examples/leicestershire/caseload.csv: --engine duckdb: 1 of 7 cases were decided by the row engine"
            in written["duckdb"][1])
    assert "--engine duckdb" not in written["python"][1]


def test_a_block_duckdb_fails_on_is_decided_by_the_row_engine_and_said_on_stderr():
    import duckdb

    book = book_of(MINIMAL)
    data = b"case_id,support,risk,days_on_tray\r\nB1,none,high,31\r\nB2,full,low,3\r\n"
    python, _ = run(book, data, "csv", "python", name="cases.csv")
    with mock.patch.object(columnar.DuckEngine, "decide", side_effect=duckdb.IOException("disk full")):
        duck, notes = run(book, data, "csv", "duckdb", name="cases.csv")
    assert duck == python
    assert notes == ["--engine duckdb: DuckDB failed on a block of cases (IOException), which the row engine decided",
                     "--engine duckdb: 2 of 2 cases were decided by the row engine (records that could not be read, "
                     "refused or unanswered answers, errors)"]
