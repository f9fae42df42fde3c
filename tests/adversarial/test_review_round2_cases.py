"""Review round two (review-a): a FIFO is never opened for reading."""
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
