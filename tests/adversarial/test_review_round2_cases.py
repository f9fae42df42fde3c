"""Review round two (review-a): lone surrogates and FIFOs are answered cleanly.

A lone surrogate (``\\udc00``) cannot be written out as UTF-8, so it is refused
where it is read, as the JSONL reader does; a FIFO is never opened for reading.
"""
import json
import os
import re
import threading

import pytest
from fastapi.testclient import TestClient

from policyengine import load
from policyengine.errors import YamlError
from policyengine.web import create_app

from ..conftest import ROOT
from .conftest import KNOWSLEY, LEICS

SURROGATE = "a string holds a \\u escape that is half of a character (a lone surrogate)"
NOT_REGULAR = "cannot read the file: it is not a regular file (a pipe, a device or a folder)"
GOOD = {"case_id": "K-1", "worker_role": "social_worker"}
LEICS_ROW = "support,risk,priority,complexity,date_added"
LEICS_CELLS = "none,low,low,low,2026-11-02"
CONTROL = ("field `case_id` holds a control character (such as a line break or a tab): "
           "a case reference must be one line of text")


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
    assert (response.status_code, response.json()) == (422, {"error": SURROGATE, "field": field})
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
    (tmp_path / "templates").symlink_to(ROOT / "rulebooks" / "templates")
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
    (folder / "templates").symlink_to(ROOT / "rulebooks" / "templates")
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
