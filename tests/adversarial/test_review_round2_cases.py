"""Review round two (review-a): lone surrogates, FIFOs, and case_ids that are
refused are answered cleanly and never repeated.

A lone surrogate (``\\udc00``) cannot be written out as UTF-8, so it is refused
where it is read, as the JSONL reader does; a FIFO is never opened for
reading; a case is named only by a case_id that was accepted as a value.
"""
import json
import os
import re
import shutil
import threading

import pytest
from fastapi.testclient import TestClient

from policyengine.engine import load
from policyengine.errors import YamlError
from policyengine.web import create_app

from ..conftest import ROOT
from .conftest import KNOWSLEY, LEICS

SURROGATE = "a string holds a \\u escape that is half of a character (a lone surrogate)"
NOT_REGULAR = "cannot read the file: it is not a regular file (a pipe, a device or a folder)"
GOOD = {"case_id": "K-1", "worker_role": "social_worker"}
LEICS_ROW = "support,risk,priority,complexity,date_added"
LEICS_CELLS = "none,low,low,low,2026-11-02"
CONTROL = ("field `case_id` holds a control character (such as a line break or a tab) or "
           "an invisible formatting character (such as a right-to-left mark): "
           "a case reference must be one line of visible text")


def jsonl(output):
    return [json.loads(line) for line in output.splitlines()]


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(str(ROOT / "rulebooks")))


def token(client, path):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


# -- item 1: a lone surrogate in a single case ----------------------------------------
def test_a_lone_surrogate_in_a_yaml_case_file_is_a_located_refusal_not_an_internal_error(cli, tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text('case_id: "\\udc00"\nnature_of_condition: yes\n')
    result = cli("evaluate", "-r", KNOWSLEY, case, "--as-of", "2026-11-22")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"{case}:1:10: {SURROGATE}\n")


@pytest.mark.parametrize("command", [("evaluate", "--format", "json"), ("render", "-d", "allocation_note")])
def test_a_lone_surrogate_in_a_json_case_on_standard_input_is_refused(cli, command):
    body = json.dumps({**GOOD, "case_id": "\udc00"})
    result = cli(command[0], "-r", KNOWSLEY, *command[1:], "-", "--as-of", "2026-11-22", input=body)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"<stdin>:1:13: {SURROGATE}\n")


def test_an_escaped_pair_in_a_json_case_file_is_read_as_its_one_character(cli, tmp_path):
    case = tmp_path / "case.json"
    case.write_text(json.dumps({**GOOD, "case_id": "K-\U0001F600"}))  # json.dumps writes \ud83d\ude00
    assert "\\ud83d\\ude00" in case.read_text()
    result = cli("evaluate", "-r", KNOWSLEY, case, "--format", "json", "--as-of", "2026-11-22")
    assert result.exit_code == 0 and json.loads(result.stdout)["case_id"] == "K-\U0001F600"


@pytest.mark.parametrize("route", ["evaluate", "render/allocation_note"])
@pytest.mark.parametrize("body, field", [
    ('{"case_id": "\\udc00", "worker_role": "social_worker"}', "case_id"),
    ('{"case_id": "K-1", "\\ud800": 1}', None),
])
def test_a_lone_surrogate_in_an_api_case_is_a_422_and_nothing_on_stderr(client, capsys, route, body, field):
    response = client.post(f"/api/rulebooks/knowsley/{route}?as_of=2026-11-22", content=body,
                           headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (
        422, {"error": SURROGATE, "field": field, "problems": [{"error": SURROGATE, "field": field}]})
    assert capsys.readouterr().err == ""


def test_a_lone_surrogate_in_the_hidden_case_field_is_a_400_page(client, capsys):
    form = {"csrf": token(client, "/rulebooks/knowsley/evaluate"), "as_of": "2026-11-22", "action": "print",
            "case": '{"case_id": "\\udc00", "worker_role": "social_worker"}'}
    response = client.post("/rulebooks/knowsley/documents/allocation_note", data=form)
    assert response.status_code == 400 and SURROGATE in response.text
    assert capsys.readouterr().err == ""


# -- item 2: a lone surrogate in a rulebook ---------------------------------------------
@pytest.fixture
def surrogate_folder(tmp_path):
    text = (ROOT / "rulebooks" / "adass_tiers.yaml").read_text()
    text, count = re.subn(r"(?m)^  title: .*$", '  title: "\\\\udc00 title"', text, count=1)
    assert count == 1
    (tmp_path / "adass_tiers.yaml").write_text(text)
    (tmp_path / "knowsley.yaml").write_text((ROOT / "rulebooks" / "knowsley.yaml").read_text())
    shutil.copytree(ROOT / "rulebooks" / "templates", tmp_path / "templates")  # a linked folder is refused
    line = text[: text.index("\\udc00")].count("\n") + 1
    return tmp_path, line


def test_a_rulebook_holding_a_lone_surrogate_fails_validate_at_its_line(cli, surrogate_folder):
    folder, line = surrogate_folder
    path = folder / "adass_tiers.yaml"
    result = cli("validate", path)
    assert (result.exit_code, result.stderr) == (1, f"{path}:{line}:10: {SURROGATE}\n")


def test_serve_lists_a_rulebook_holding_a_lone_surrogate_as_not_served(surrogate_folder):
    folder, line = surrogate_folder
    client = TestClient(create_app(str(folder)))
    index = client.get("/")
    assert index.status_code == 200 and "adass_tiers.yaml" in index.text and "lone surrogate" in index.text
    api = client.get("/api/rulebooks")
    assert api.status_code == 200 and [b["id"] for b in api.json()] == ["knowsley"]


# -- item 3: a FIFO is never opened for reading ------------------------------------------
@pytest.fixture
def fifo(tmp_path):
    """A FIFO, and a thread that keeps opening its write end: code that opened
    the FIFO reads an empty file instead of hanging the suite, and fails."""
    path = tmp_path / "fifo.yaml"
    os.mkfifo(path)
    done = threading.Event()

    def unblock():
        while not done.wait(0.2):
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass  # no reader waiting: nothing to unblock

    thread = threading.Thread(target=unblock, daemon=True)
    thread.start()
    yield path
    done.set()
    thread.join()


@pytest.mark.parametrize("command", [("validate", "{fifo}"), ("test", "{fifo}"),
                                     ("evaluate", "-r", "{fifo}", "examples/knowsley/complex-case.yaml"),
                                     ("evaluate", "-r", KNOWSLEY, "{fifo}"),
                                     ("render", "-r", KNOWSLEY, "-d", "allocation_note", "{fifo}")])
def test_a_fifo_as_a_rulebook_or_case_file_is_refused_without_waiting_for_a_writer(cli, fifo, command):
    result = cli(*[a.format(fifo=fifo) for a in command])
    assert result.exit_code == 1
    assert f"{fifo}: {NOT_REGULAR}\n" in result.stderr


def test_serve_skips_a_fifo_in_the_rulebooks_folder_and_starts(fifo):
    folder = fifo.parent
    (folder / "knowsley.yaml").write_text((ROOT / "rulebooks" / "knowsley.yaml").read_text())
    shutil.copytree(ROOT / "rulebooks" / "templates", folder / "templates")  # a linked folder is refused
    app = create_app(str(folder))
    assert app.state.problems == {"fifo.yaml": [f"{fifo}: {NOT_REGULAR}"]}
    assert TestClient(app).get("/api/rulebooks").json()[0]["id"] == "knowsley"


def test_a_file_swapped_for_a_fifo_after_the_check_is_refused_without_waiting(fifo, tmp_path, monkeypatch):
    regular = tmp_path / "regular.yaml"
    regular.write_text("a: 1\n")
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *args, **kwargs:  # the check saw a regular file
                        real_stat(regular if str(p) == str(fifo) else p, *args, **kwargs))
    with pytest.raises(YamlError) as info:
        load.open_regular(str(fifo))
    assert info.value.message == NOT_REGULAR


# -- items 5 and 6: a refused case_id is never shown ------------------------------------
def test_a_case_id_over_the_limit_is_not_repeated_in_stderr_or_the_record(cli, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f"case_id,{LEICS_ROW}\n{'X' * 20_000},{LEICS_CELLS}\nB,{LEICS_CELLS}\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr.splitlines()[0] == f"{path}: row 2: field `case_id` is longer than 10,000 characters"
    records = jsonl(result.stdout)
    assert records[0] == {"case_id": None, "where": "row 2", "field": "case_id",
                          "error": "field `case_id` is longer than 10,000 characters"}
    assert records[1]["case_id"] == "B"
    assert "XXXX" not in result.output


def test_a_case_id_over_the_limit_is_not_repeated_on_the_worklist_page(client):
    body = f"case_id,{LEICS_ROW}\n{'X' * 20_000},{LEICS_CELLS}\n".encode()
    form = {"csrf": token(client, "/rulebooks/leicestershire/upload"), "as_of": "2026-11-23", "action": "worklist"}
    page = client.post("/rulebooks/leicestershire/upload", data=form, files={"caseload": ("c.csv", body, "text/csv")})
    assert page.status_code == 200
    assert "row 2: field `case_id` is longer than 10,000 characters" in page.text and "XXXX" not in page.text


def test_a_line_break_in_a_jsonl_case_id_cannot_forge_a_line_on_stderr(cli, tmp_path):
    forged = {"case_id": "A\nrow 99 (case FAKE): forged line", "support": "none", "risk": "low",
              "priority": "low", "complexity": "low", "date_added": "2026-11-02"}
    path = tmp_path / "ctl.jsonl"
    # line 2's first problem (in the order of its fields) is its risk: the case_id is still not shown
    path.write_text(json.dumps(forged) + "\n" + json.dumps({"risk": "hgh", **{**forged, "risk": "hgh"}}) + "\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr == (f"{path}: line 1: {CONTROL}\n"
                             f"{path}: line 2: field `risk` must be one of high, moderate, low\n"
                             "batch: 2 cases: 0 decided, 2 could not be decided\n")
    assert [r["case_id"] for r in jsonl(result.stdout)] == [None, None]


@pytest.mark.parametrize("case_id", ["A\tB", "A\rB", "A\x1b[2JB", "A\x85B", "A\u2028B"])
def test_a_control_character_in_a_csv_case_id_is_that_rows_error(cli, tmp_path, case_id):
    path = tmp_path / "ctl.csv"
    path.write_text(f'case_id,{LEICS_ROW}\n"{case_id}",{LEICS_CELLS}\nB,{LEICS_CELLS}\n', encoding="utf-8")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr.splitlines()[0] == f"{path}: row 2: {CONTROL}"
    assert [r["case_id"] for r in jsonl(result.stdout)] == [None, "B"]


def test_a_control_character_in_a_single_case_files_case_id_is_refused(cli, tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text('case_id: "K-1\\nforged"\nworker_role: social_worker\n')
    result = cli("evaluate", "-r", KNOWSLEY, case, "--as-of", "2026-11-22")
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"{case}:1:10: {CONTROL}\n")


def test_a_control_character_in_a_case_files_case_id_in_a_folder_is_not_shown(cli, tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a.yaml").write_text('case_id: "A\\nforged"\n' + "".join(
        f"{k}: {v}\n" for k, v in zip(LEICS_ROW.split(","), LEICS_CELLS.split(","))))
    result = cli("batch", "-r", LEICS, folder, "--as-of", "2026-11-23")
    assert result.stderr.splitlines()[0] == f"{folder}: a.yaml: {CONTROL}"


def test_a_control_character_in_an_api_case_id_is_a_422(client):
    response = client.post("/api/rulebooks/knowsley/evaluate?as_of=2026-11-22", json={**GOOD, "case_id": "K\n1"})
    assert (response.status_code, response.json()) == (
        422, {"error": CONTROL, "field": "case_id", "problems": [{"error": CONTROL, "field": "case_id"}]})


def test_a_field_name_that_does_not_look_like_one_is_not_repeated(cli, tmp_path):
    path = tmp_path / "key.jsonl"
    path.write_text(json.dumps({"case_id": "A", "x\nrow 99: forged": 1}) + "\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr.splitlines()[0] == (
        f"{path}: line 1 (case A): a field's name is not one of the rulebook's inputs "
        "(the name is not shown: it does not look like a field name)")


# -- item 13 ----------------------------------------------------------------------------
def test_a_case_id_of_only_spaces_is_missing_like_an_empty_one_and_not_a_repeat(cli, tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text(f"case_id,{LEICS_ROW}\n,{LEICS_CELLS}\n  ,{LEICS_CELLS}\nB,{LEICS_CELLS}\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    assert result.stderr == (f"{path}: row 2: missing required field `case_id`\n"
                             f"{path}: row 3: missing required field `case_id` (it holds only spaces)\n"
                             "batch: 3 cases: 1 decided, 2 could not be decided\n")


def test_a_case_id_of_only_spaces_in_a_case_file_is_missing(cli, tmp_path):
    case = tmp_path / "case.yaml"
    case.write_text('case_id: "   "\nworker_role: social_worker\n')
    result = cli("evaluate", "-r", KNOWSLEY, case, "--as-of", "2026-11-22")
    assert (result.exit_code, result.stderr) == (1, f"{case}:1:10: missing required field `case_id` (it holds only spaces)\n")


def test_a_repeated_key_in_a_jsonl_line_is_that_lines_error_not_last_wins(cli, tmp_path):
    path = tmp_path / "dup.jsonl"
    good = '"support": "none", "risk": "low", "priority": "low", "complexity": "low", "date_added": "2026-11-02"'
    path.write_text('{"case_id": "J-13", "case_id": "J-13b", %s}\n{"case_id": "J-14", %s}\n' % (good, good))
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    records = jsonl(result.stdout)
    assert records[0] == {"case_id": None, "where": "line 1", "field": None,
                          "error": "not valid JSON: `case_id` is given twice; a repeated key would silently "
                                   "replace the first"}
    assert records[1]["case_id"] == "J-14" and result.exit_code == 1


def test_a_rows_evaluation_error_names_the_case_once(cli, tmp_path):
    path = tmp_path / "far.csv"
    path.write_text(f"case_id,{LEICS_ROW}\nC-1,{LEICS_CELLS}\nC-2,none,low,low,low,31/12/9999\n")
    result = cli("batch", "-r", LEICS, path, "--as-of", "2026-11-23")
    line = result.stderr.splitlines()[0]
    assert line.startswith(f"{path}: row 3 (case C-2): cadences `") and "case C-2: " not in line.split("(case C-2)")[1]


def test_a_line_break_or_a_byte_that_is_not_utf8_in_a_case_files_name_is_escaped_not_a_forged_line(cli, tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "a\nrow 99 (case FAKE): forged.yaml").write_text("case_id: A1\nsupport: full\n")
    with open(os.path.join(os.fsencode(folder), b"b\xff.yaml"), "w") as fh:
        fh.write("case_id: B1\nsupport: full\n")
    result = cli("batch", "-r", LEICS, folder, "--as-of", "2026-11-23")
    assert result.stderr == (f"{folder}: a\\nrow 99 (case FAKE): forged.yaml (case A1): missing required field `risk`\n"
                             f"{folder}: b\\xff.yaml (case B1): missing required field `risk`\n"
                             "batch: 2 cases: 0 decided, 2 could not be decided\n")
    assert [r["where"] for r in jsonl(result.stdout)] == ["a\\nrow 99 (case FAKE): forged.yaml", "b\\xff.yaml"]


@pytest.mark.parametrize("mark", ["\u202e", "\u200b", "\ufeff", "\u2066"])
def test_an_invisible_formatting_character_in_a_case_id_is_refused_and_never_shown(cli, tmp_path, mark):
    # Review round 3: a right-to-left override in a case_id was printed as it was,
    # turning the rest of the stderr line round; a zero-width id was accepted.
    path = tmp_path / "rlo.csv"
    path.write_text(f"case_id,stage,worker_role\n{mark}Jane,allocation,assistant_care_manager\n", encoding="utf-8")
    result = cli("batch", "-r", KNOWSLEY, path)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"{path}: row 2: {CONTROL}"
    assert "Jane" not in result.stderr and mark not in result.stderr
