"""`impact --engine duckdb` against `--engine python`: the same report, byte for byte, as text, JSON
and CSV, on every shipped caseload with the shipped variants and on generated hostile caseloads;
and DuckDB, not the row engine, decides most of their cases."""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings

from policyengine import load_rulebook, load_rulebook_text
from policyengine.sql import query
from policyengine.caseload import columnar, impact as impact_module, pairs, plain_csv, plain_pairs
from policyengine.caseload.impact import measure_impact
from policyengine.caseload.records import InputError
from policyengine.caseload.run import decide
from tests.caseload.test_engines import book_of, hostile_caseloads
from tests.caseload.test_plain_csv import HEADER, ROWS, plain_files, write
from tests.sql.differential import AS_OF

ROOT = Path(__file__).resolve().parents[2]
LEICS, VARIANT = ROOT / "rulebooks" / "leicestershire.yaml", ROOT / "bench" / "leics_variant.yaml"
KNOWSLEY, FORK = ROOT / "rulebooks" / "knowsley.yaml", ROOT / "examples" / "forks" / "northfield.yaml"
LEICS_SKIP = ("worker_name", "team", "notes")
#: Each shipped rulebook change: its base, its variant, and the shipped caseloads it is measured on.
CHANGES = [
    (LEICS, VARIANT, [ROOT / "examples" / "leicestershire" / "caseload.csv",
                      ROOT / "examples" / "leicestershire" / "caseload.xlsx"], LEICS_SKIP),
    (KNOWSLEY, FORK, [ROOT / "examples" / "forks" / "caseload.csv"], ()),
]
_ENGINES: dict = {}


def report(base, variant, sources, engine: str, **kw) -> tuple[dict, list]:
    """The report as text, JSON and CSV, and the notes, or the refusal of a whole file."""
    try:
        impact = measure_impact(base, variant, sources, as_of=AS_OF, engine=engine, **kw)
    except InputError as exc:
        return {"refused": f"{exc.message} at {exc.location}"}, []
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(impact.rows())
    return {"text": impact.text(), "json": json.dumps(impact.as_dict(), ensure_ascii=False, indent=2),
            "csv": out.getvalue(), "undecided": impact.undecided}, impact.notes


def engine_once(book, as_of, on_note):
    """Each rulebook's DuckDB engine made once for every example (making one takes about a second)."""
    if id(book) not in _ENGINES:
        _ENGINES[id(book)] = (book, columnar.DuckEngine(book, as_of))
    return _ENGINES[id(book)][1]


class RowEngineCount:
    """How many cases (of either rulebook) the row engine decided on the duckdb path."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args, **kw):
        self.count += 1
        return decide(*args, **kw)


def on_both_engines(base, variant, sources, **kw) -> tuple[dict, dict, int, list]:
    python, _ = report(base, variant, sources, "python", **kw)
    counted = RowEngineCount()
    with mock.patch.object(pairs, "engine_for", engine_once), mock.patch.object(pairs, "decide", counted):
        duck, notes = report(base, variant, sources, "duckdb", **kw)
    return python, duck, counted.count, notes


def generated(book, rows: int, path: Path) -> Path:
    """The benchmark's seeded caseload (bench/generate.py), ``rows`` long."""
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_csv(book, rows, str(path))
    return path


@pytest.mark.parametrize("base,variant,caseloads,skip", CHANGES, ids=["leicestershire", "northfield"])
@pytest.mark.parametrize("turned", [False, True], ids=["forward", "back"])
def test_every_shipped_change_on_its_shipped_caseloads_gives_the_same_report_on_duckdb_as_on_the_row_engine(
        base, variant, caseloads, skip, turned):
    base, variant = (book_of(variant), book_of(base)) if turned else (book_of(base), book_of(variant))
    for sources in [*([str(c)] for c in caseloads), [str(c) for c in caseloads]]:
        python, duck, by_rows, _ = on_both_engines(base, variant, sources, ignore=skip)
        assert duck == python
        assert "refused" not in python
        assert by_rows < sum(1 for c in sources for _ in open_rows(c)), "the row engine decided most cases"


def open_rows(source: str):
    from policyengine.caseload.readers import open_caseload

    return open_caseload(book_of(LEICS) if "leicestershire" in source else book_of(KNOWSLEY), source,
                         ignore=LEICS_SKIP if "leicestershire" in source else ())


def test_the_benchmark_variant_on_a_generated_caseload_moves_cases_and_both_engines_report_them_alike(tmp_path):
    base, variant = book_of(LEICS), book_of(VARIANT)
    caseload = str(generated(base, 600, tmp_path / "generated.csv"))
    python, duck, by_rows, notes = on_both_engines(base, variant, [caseload, caseload])
    assert duck == python
    # cases really moved (a rating, an interval, dates by days): not a test of nothing
    assert "  Amber → Red: " in python["text"] and "14 days → 7 days" in python["text"]
    assert "  change: min -7 days" in python["text"]
    assert python["undecided"] > 0  # and some rows are refused (the generator leaves out required fields)
    assert by_rows < 2 * 600, "the row engine decided most cases"
    assert all(re.fullmatch(r"the (base|variant) rulebook \(leicestershire(_variant)?\): --engine duckdb: "
                            r"[\d,]+ of 600 cases were decided by the row engine \(.*\)", note)
               for _, note in notes), notes


@pytest.mark.parametrize("base,variant", [(LEICS, VARIANT), (KNOWSLEY, FORK)], ids=["leicestershire", "northfield"])
def test_hostile_generated_caseloads_give_the_same_report_on_both_engines(base, variant):
    base, variant = book_of(base), book_of(variant)

    @settings(max_examples=10, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(hostile_caseloads(base).map(lambda drawn: drawn[0]))  # the file, not its undamaged ids
    def check(data):
        python, duck, by_rows, _ = on_both_engines(base, variant, [data])
        assert duck == python, data.decode()
        counted[0] += 2 * (data.count(b"\n") - 1)
        counted[1] += by_rows

    counted = [0, 0]  # cases decided (two per row), cases the row engine decided
    check()
    assert counted[1] < counted[0] / 2, "DuckDB decided less than half of the generated cases"


def test_a_rulebook_the_sql_cannot_express_is_measured_wholly_on_the_row_engine_with_a_note_for_each():
    base, variant = book_of(LEICS), book_of(VARIANT)
    source = [str(ROOT / "examples" / "leicestershire" / "caseload.csv")]
    python, _ = report(base, variant, source, "python", ignore=LEICS_SKIP)
    with mock.patch.object(columnar, "build_query", side_effect=columnar.PolicyEngineError("no SQL for this")):
        duck, notes = report(base, variant, source, "duckdb", ignore=LEICS_SKIP)
    assert duck == python
    assert [note for _, note in notes] == [
        "the base rulebook (leicestershire): --engine duckdb: no SQL for this; every case is decided by the row "
        "engine instead",
        "the variant rulebook (leicestershire_variant): --engine duckdb: no SQL for this; every case is decided by "
        "the row engine instead"]


def test_an_engine_other_than_auto_python_or_duckdb_is_refused_by_name():
    with pytest.raises(ValueError, match="a caseload is decided by engine auto, python or duckdb, not 'spark'"):
        measure_impact(book_of(LEICS), book_of(VARIANT), [b"case_id\nA\n"], as_of=AS_OF, engine="spark")


def test_impact_help_offers_every_engine_and_says_auto_chooses_duckdb_for_a_large_plain_csv(cli):
    result = cli("impact", "--help")
    assert "--engine [auto|python|duckdb]" in result.output
    assert ("auto: DuckDB for a plain CSV file of 2 MB or more, the row engine otherwise. The report is the same "
            "whichever decides it. [default: auto]") in " ".join(result.output.split())


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_impact_on_duckdb_prints_the_report_the_row_engine_prints_and_notes_on_stderr(cli, fmt):
    printed = {}
    for engine in ("python", "duckdb"):
        result = cli("impact", "--base", KNOWSLEY, "--variant", FORK, "examples/forks/caseload.csv",
                     "--as-of", "2026-12-01", "--format", fmt, "--engine", engine)
        printed[engine] = (result.exit_code, result.stdout, result.stderr)
    assert printed["duckdb"][:2] == printed["python"][:2]
    assert "--engine duckdb" not in printed["python"][2]


def test_a_variant_the_sql_cannot_express_is_decided_by_the_row_engine_while_the_base_stays_on_duckdb():
    base, variant = book_of(KNOWSLEY), book_of(FORK)
    build = columnar.build_query

    def only_the_base(book, **kw):
        if book is variant:
            raise columnar.PolicyEngineError("no SQL for this")
        return build(book, **kw)

    source = [str(ROOT / "examples" / "forks" / "caseload.csv")]
    python, _ = report(base, variant, source, "python")
    counted = RowEngineCount()
    with mock.patch.object(columnar, "build_query", only_the_base), mock.patch.object(pairs, "decide", counted):
        duck, notes = report(base, variant, source, "duckdb")
    assert duck == python
    assert [note for _, note in notes] == [
        "the variant rulebook (northfield): --engine duckdb: no SQL for this; every case is decided by the row "
        "engine instead"]
    cases = json.loads(python["json"])["cases"]
    assert cases <= counted.count < 2 * cases  # the variant's every case, and not all of the base's


def test_when_no_outcome_can_be_compared_in_sql_every_case_comes_back_and_the_report_is_the_same(tmp_path):
    base, variant = book_of(LEICS), book_of(VARIANT)
    caseload = [str(generated(base, 200, tmp_path / "generated.csv"))]
    python, _ = report(base, variant, caseload, "python")
    with mock.patch.object(pairs, "_comparable", lambda *engines: None):
        duck, _ = report(base, variant, caseload, "duckdb")
    assert duck == python
    assert "  Amber → Red: " in python["text"]


def test_a_block_duckdb_fails_on_is_decided_by_the_row_engine_under_both_rulebooks_and_said():
    import duckdb

    base, variant = book_of(KNOWSLEY), book_of(FORK)
    source = [str(ROOT / "examples" / "forks" / "caseload.csv")]
    python, _ = report(base, variant, source, "python")
    with mock.patch.object(columnar.DuckEngine, "load", side_effect=duckdb.IOException("disk full")):
        duck, notes = report(base, variant, source, "duckdb")
    assert duck == python
    cases = json.loads(python["json"])["cases"]
    assert [note for _, note in notes] == [
        "--engine duckdb: DuckDB failed on a block of cases (IOException), which the row engine decided",
        f"the base rulebook (knowsley): --engine duckdb: {cases} of {cases} cases were decided by the row engine "
        "(records that could not be read, refused or unanswered answers, errors)",
        f"the variant rulebook (northfield): --engine duckdb: {cases} of {cases} cases were decided by the row "
        "engine (records that could not be read, refused or unanswered answers, errors)"]



# -- a plain CSV file, read by DuckDB itself (caseload.plain_pairs) ---------------------------------
MINIMAL = ROOT / "bench" / "leics_minimal.yaml"
#: The minimal rulebook with a question of its own (``days_over``, a bounded number): a column only
#: this rulebook declares, typed and refused by its own coercer.
OWN_QUESTION = MINIMAL.read_text().replace(
    "  days_on_tray: {", "  days_over: {type: integer, minimum: 0, maximum: 60, default: 30, question: 'Over?'}\n"
    "  days_on_tray: {").replace("days_on_tray > 30", "days_on_tray > days_over").replace(
    "id: leics_minimal", "id: leics_own_question")


def on_the_lane(base, variant, sources, **kw) -> tuple[dict, int, list, list]:
    """The report on DuckDB, checked to be the row engine's; the cases the row engine decided, the
    notes, and for each caseload whether the plain lane read it."""
    lanes = []

    def spy(*args, **kwargs):
        lane = plain_pairs.plain_pairs(*args, **kwargs)
        lanes.append(lane is not None)
        return lane

    with mock.patch.object(impact_module, "plain_pairs", spy):
        python, duck, by_rows, notes = on_both_engines(base, variant, sources, **kw)
    assert duck == python
    return python, by_rows, notes, lanes


def row_engine_notes(base, variant, counts: list[int], cases: int) -> list[str]:
    return [f"the {which} rulebook ({book.meta.id}): --engine duckdb: {n:,} of {cases:,} cases were decided by the "
            "row engine (records that could not be read, refused or unanswered answers, errors)"
            for which, book, n in (("base", base, counts[0]), ("variant", variant, counts[1])) if n]


def test_a_plain_csv_file_is_read_by_duckdb_itself_with_its_error_rows_and_repeated_ids_reported_alike(tmp_path):
    base, variant = book_of(LEICS), book_of(VARIANT)
    lines = generated(base, 400, tmp_path / "generated.csv").read_text().splitlines()
    again = [f" {line.split(',', 1)[0].lower()},{line.split(',', 1)[1]}" for line in lines[1:4]]  # the same ids
    caseload = write(tmp_path, [*lines, *again])
    python, by_rows, notes, lanes = on_the_lane(base, variant, [str(caseload)])
    assert lanes == [True]
    assert python["undecided"] > 0 and "repeated case ids (3):" in python["text"]
    assert "  Amber → Red: " in python["text"] and "  change: min -7 days" in python["text"]
    assert 0 < by_rows < 2 * 403 / 10, "DuckDB decided most cases"
    assert [note for _, note in notes] == row_engine_notes(base, variant, [by_rows // 2] * 2, 403)


@pytest.mark.parametrize("wide_max", [32, 0], ids=["tries-as-columns", "tries-as-rows"])
def test_a_hostile_plain_file_gives_the_row_engines_report_in_blocks_and_ranges_of_a_few_rows(tmp_path, wide_max):
    base, variant = load_rulebook(str(LEICS)), load_rulebook(str(VARIANT))  # (their own engines, made below)
    caseload = write(tmp_path, [HEADER, *ROWS, *(row.replace("A", "Z", 1) for row in ROWS)])
    passes, decide_passes = [], plain_csv.decide_passes

    def spy(*args):
        passes.append(args[-1])
        return decide_passes(*args)

    try:
        with mock.patch.object(plain_pairs, "BLOCK", 5), mock.patch.object(plain_csv, "OPEN_BLOCK", 1), \
                mock.patch.object(query, "WIDE_MAX", wide_max), mock.patch.object(plain_pairs, "decide_passes", spy):
            python, by_rows, notes, lanes = on_the_lane(base, variant, [str(caseload), str(caseload)])
    finally:
        for book in (base, variant):
            _ENGINES.pop(id(book), None)
    assert passes == [wide_max > 0] * 4  # each rulebook, each caseload
    assert lanes == [True, True]
    assert "repeated case ids" in python["text"] and python["undecided"] > 0
    assert [note for _, note in notes] == 2 * row_engine_notes(base, variant, [by_rows // 4] * 2, 2 * len(ROWS))


@pytest.mark.parametrize("turned", [False, True], ids=["the variant's", "the base's"])
def test_a_column_only_one_rulebook_declares_is_typed_and_refused_by_that_rulebooks_coercer(tmp_path, turned):
    base, variant = book_of(MINIMAL), load_rulebook_text(OWN_QUESTION)
    base, variant = (variant, base) if turned else (base, variant)
    caseload = write(tmp_path, ["case_id,support,risk,days_on_tray,days_over", "B1,none,high,31,",
                                "B2,none,high,31,40", "B3,none,high,45,40", "B4,none,high,45,61", "B5,full,low,2,x",
                                "B6,none,high,,10"])
    python, by_rows, _, lanes = on_the_lane(base, variant, [str(caseload)])
    assert lanes == [True]
    assert "Escalate: 1 case changes\n  yes → no: 1\n  cases: B2\n" in python["text"] if not turned else \
        "Escalate: 1 case changes\n  no → yes: 1\n  cases: B2\n" in python["text"]
    errors = json.loads(python["json"])["errors"]
    assert [(e["case_id"], e["rulebook"]) for e in errors] == [
        ("B4", "base" if turned else "variant"), ("B5", "base" if turned else "variant"), ("B6", "both")]
    assert by_rows == 4  # B4 and B5 under the rulebook that reads days_over, B6 under both


def test_generated_plain_files_give_the_row_engines_report(tmp_path):
    base, variant = book_of(LEICS), book_of(VARIANT)
    ran = []

    @settings(max_examples=8, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(plain_files(base))
    def check(lines):
        if any(not line.replace(",", "").strip() for line in lines[1:]):
            return  # a blank row: not plain
        ran.extend(on_the_lane(base, variant, [str(write(tmp_path, lines))])[3])

    check()
    assert ran and all(ran)


def test_the_default_engine_gives_duckdb_a_plain_csv_file_of_auto_bytes_or_more_and_the_row_engine_the_rest(
        tmp_path):
    base, variant = book_of(LEICS), book_of(VARIANT)
    plain = write(tmp_path, [HEADER, *ROWS])
    quoted = write(tmp_path, [HEADER, *ROWS, ROWS[0].replace("Person 1", 'Person "1')], name="quoted.csv")
    python, _ = report(base, variant, [str(plain), str(quoted)], "python")
    used = []

    def engine(book, as_of, on_note):
        used.append(book.meta.id)
        return engine_once(book, as_of, on_note)

    for size, lanes in [(quoted.stat().st_size + 1, []), (plain.stat().st_size, [True, False])]:
        with mock.patch.object(columnar, "AUTO_BYTES", size), mock.patch.object(pairs, "engine_for", engine):
            seen = []

            def spy(*args, **kwargs):
                lane = plain_pairs.plain_pairs(*args, **kwargs)
                seen.append(lane is not None)
                return lane

            with mock.patch.object(impact_module, "plain_pairs", spy):
                assert report(base, variant, [str(plain), str(quoted)], "auto")[0] == python
        assert seen == lanes  # a stray quote: not plain, so the row engine, not DuckDB's usual path
    assert used == ["leicestershire", "leicestershire_variant"]  # engines made once, for the plain file only


def test_a_column_both_rulebooks_declare_differently_sends_a_plain_file_the_usual_way():
    _, _, _, lanes = on_the_lane(book_of(KNOWSLEY), book_of(FORK), [str(ROOT / "examples" / "forks" / "caseload.csv")])
    assert lanes == [False]  # the fork adds a task: `tasks` is not read alike


def test_a_plain_file_duckdb_fails_on_while_preparing_goes_the_usual_way_and_leaves_no_temporary_folder(
        tmp_path, monkeypatch):
    import duckdb

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    caseload = write(tmp_path, [HEADER, *ROWS])
    with mock.patch.object(plain_pairs.PlainPairs, "_decide", side_effect=duckdb.OutOfMemoryException("full")):
        _, _, notes, lanes = on_the_lane(book_of(LEICS), book_of(VARIANT), [str(caseload)])
    assert lanes == [False]
    assert notes[0] == (str(caseload), "DuckDB could not read the file itself (OutOfMemoryException), so it was read "
                                       "the usual way: the same results, more slowly")
    assert [note for _, note in notes[1:]] == row_engine_notes(book_of(LEICS), book_of(VARIANT), [4, 4], 14)
    assert os.listdir(folder) == []
    _, _, _, lanes = on_the_lane(book_of(LEICS), book_of(VARIANT), [str(caseload)])
    assert lanes == [True]
    assert os.listdir(folder) == []
