"""Templates, second round of review (issue #11, review B: items 1-5, 8 and the stale hash).

A fork could read any folder on the server through a linked templates folder;
deep nesting, an unknown filter, a deep folder tree or a lone surrogate gave an
internal error; one council's slow template starved every other council's
letters in the web app; and after a template was edited the web app rendered
the new text under the old provenance hash.
"""
import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient

from policyengine import RenderError
from policyengine import load_rulebook
from policyengine import render
from policyengine.engine import _render_worker
from policyengine.web import create_app

from ..conftest import ROOT
from .conftest import assert_clean_failure
from .test_template_sandbox import RULEBOOK, decide

SECRET = "Host * # Zelda Quartermaine's server\n"
SLOW = ("{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}"
        "{% endfor %}{% endfor %}{% endfor %}")


@pytest.fixture
def outside(tmp_path):
    """A folder elsewhere on the server (standing in for /etc) holding a secret."""
    folder = tmp_path / "etc"
    (folder / "ssh").mkdir(parents=True)
    (folder / "ssh" / "ssh_config").write_text(SECRET)
    (folder / "ssh" / "note.md.j2").write_text("{% include 'ssh_config' %}\n")
    return folder


@pytest.fixture
def book(tmp_path):
    """``book({"note.md.j2": ...}, rid="mini")`` writes a rulebook and its templates."""

    def make(files: dict, rid: str = "mini", where=None):
        where = where or tmp_path / "council"
        folder = where / "templates" / rid
        folder.mkdir(parents=True, exist_ok=True)
        for name, body in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(body)
        path = where / f"{rid}.yaml"
        path.write_text(RULEBOOK.replace("id: mini", f"id: {rid}"))
        return path

    return make


def linked_folder(path, rid="mini"):
    return f"{path.parent / 'templates' / rid}: the templates folder is a link, or is inside one: " \
           f"it must be a real folder `templates/{rid}` beside the rulebook\n"


# --- Item 1: a linked templates folder ------------------------------------------

def test_a_fork_whose_templates_folder_is_a_link_to_etc_ssh_is_refused_by_validate_and_render(
        cli, book, outside, tmp_path):
    base = book({"note.md.j2": "{% include 'ssh_config' %}\n"})
    fork = base.parent / "fork.yaml"
    fork.write_text("extends: mini.yaml\nrulebook: {id: evil}\n")
    os.symlink(outside / "ssh", base.parent / "templates" / "evil")
    err = assert_clean_failure(cli("validate", fork), mentions="is a link")
    assert err == linked_folder(fork, "evil")
    case = tmp_path / "case.yaml"
    case.write_text("case_id: X\nlevel: low\n")
    result = cli("render", "--rulebook", fork, case, "--document", "note", "--as-of", "2026-11-22")
    assert assert_clean_failure(result, mentions="is a link") == linked_folder(fork, "evil")
    assert "Zelda" not in result.output


def test_a_templates_folder_that_is_itself_a_link_to_etc_is_refused(cli, book, outside, tmp_path):
    path = book({}, rid="ssh", where=tmp_path / "council")
    (path.parent / "templates" / "ssh").rmdir()
    (path.parent / "templates").rmdir()
    os.symlink(outside, path.parent / "templates")
    assert assert_clean_failure(cli("validate", path), mentions="is a link") == linked_folder(path, "ssh")


def test_a_base_whose_id_climbs_out_of_its_folder_cannot_make_etc_a_templates_folder(cli, book, outside):
    base = book({"note.md.j2": "Note\n"})
    base.write_text(base.read_text().replace("id: mini", "id: '../../etc/ssh'"))
    fork = base.parent / "fork.yaml"
    fork.write_text("extends: mini.yaml\nrulebook: {id: evil}\n")
    (base.parent / "templates" / "evil").mkdir()
    (base.parent / "templates" / "evil" / "note.md.j2").write_text("{% include 'ssh_config' %}\n")
    err = assert_clean_failure(cli("validate", fork), mentions="rulebook id")
    assert err == (f"{base}:2:7: a rulebook id must be lowercase letters, digits and `_` "
                   "(it names the rulebook's templates folder)\n")


def test_a_templates_folder_made_a_link_after_validate_is_refused_at_render(book, outside):
    path = book({"note.md.j2": "Note\n"})
    decision = decide(path)
    folder = path.parent / "templates" / "mini"
    os.rename(folder, path.parent / "old")
    os.symlink(outside / "ssh", folder)
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == ("case X: cannot render `note.md.j2`: "
                                  "the template is in a templates folder that is a link")


def test_a_templates_folder_reached_through_a_linked_rulebooks_folder_still_works(book, tmp_path):
    path = book({"note.md.j2": "Note\n"})
    os.symlink(path.parent, tmp_path / "rulebooks")
    assert render(decide(tmp_path / "rulebooks" / "mini.yaml"), "note") == "Note\n"


# --- Item 2: templates nested too deeply ------------------------------------------

TOO_DEEP = "template syntax: blocks, brackets and operators are nested more than 32 levels deep"


@pytest.mark.parametrize("body", [
    pytest.param("{{ " + "(" * 200 + "1" + ")" * 200 + " }}", id="200-parentheses"),
    pytest.param("{{ name" + "|trim" * 3000 + " }}", id="trim-3000-times"),
    pytest.param("{% if a %}" * 300 + "x" + "{% endif %}" * 300, id="300-nested-ifs"),
    pytest.param("{{ " + " and ".join(["a"] * 20_000) + " }}", id="and-20000-times"),
    pytest.param("{{ " + "-" * 5000 + "1 }}", id="minus-5000-times"),
    pytest.param("{{ " + "not " * 5000 + "a }}", id="not-5000-times"),
    pytest.param("{{ " + "[" * 150 + "1" + "]" * 150 + " }}", id="150-brackets"),
    # Review round 3: a chain of subscripts or calls closes each bracket before the
    # next opens, yet each wraps the one before; 199 reached Python's own limit at render.
    pytest.param("{{ name" + "[0]" * 199 + " }}", id="199-chained-subscripts"),
    pytest.param("{{ name" + "(1)" * 600 + " }}", id="600-chained-calls"),
])
def test_a_template_nested_too_deeply_is_a_located_error_at_validate_not_an_internal_error(cli, book, body):
    path = book({"note.md.j2": "Dear someone,\n\n" + body + "\n"})
    err = assert_clean_failure(cli("validate", path), mentions="nested more than")
    assert err == f"{path.parent / 'templates' / 'mini' / 'note.md.j2'}:3: {TOO_DEEP}\n"


def test_loops_nested_deeper_than_python_allows_are_refused_at_validate(cli, book):
    path = book({"note.md.j2": "{% for a in b %}" * 17 + "x" + "{% endfor %}" * 17})
    err = assert_clean_failure(cli("validate", path), mentions="loops")
    assert err == f"{path.parent / 'templates' / 'mini' / 'note.md.j2'}:1: template syntax: " \
                  "loops are nested more than 16 deep\n"


def test_nesting_within_the_limit_validates_and_renders(book):
    path = book({"note.md.j2": "{% if true %}" * 8 + "{{ " + "(" * 20 + "1" + ")" * 20 + " }}"
                 + "{% endif %}" * 8 + "{% for a in [1] %}" * 16 + "." + "{% endfor %}" * 16})
    assert render(decide(path), "note") == "1."


def test_an_included_template_nested_too_deeply_is_a_render_error_naming_it(book):
    path = book({"note.md.j2": "{% include 'part.md.j2' if true %}", "part.md.j2": "\n{{ " + "not " * 5000 + "a }}"})
    with pytest.raises(RenderError) as info:
        render(decide(path), "note")
    assert info.value.message == f"case X: cannot render `note.md.j2` (in `part.md.j2` line 2): {TOO_DEEP}"


# --- Item 3: unknown filters and tests ----------------------------------------------

def test_an_unknown_filter_is_a_located_error_at_validate(cli, book):
    path = book({"note.md.j2": "Dear\n{{ name|trimm }}\n"})
    err = assert_clean_failure(cli("validate", path), mentions="filter")
    assert err == (f"{path.parent / 'templates' / 'mini' / 'note.md.j2'}:2: template uses filter `trimm`, "
                   "which does not exist (did you mean `trim`?)\n")


def test_an_unknown_test_is_caught_at_validate_not_at_render(cli, book):
    path = book({"note.md.j2": "{% if name is nosuchtest %}x{% endif %}\n"})
    err = assert_clean_failure(cli("validate", path), mentions="test")
    assert err == (f"{path.parent / 'templates' / 'mini' / 'note.md.j2'}:1: template uses test `nosuchtest`, "
                   "which does not exist\n")


# --- Item 4: folder trees ----------------------------------------------------------------

@pytest.fixture
def deep_folder(tmp_path):
    """``deep_folder(top, n)`` nests n folders ``d`` in ``top``; removed afterwards, without
    recursion (pytest's own clean-up of old temporary folders recurses, and would fail)."""
    made = []

    def make(top, count):
        cwd = os.getcwd()
        try:  # one step at a time: the full path is longer than PATH_MAX
            os.chdir(top)
            for _ in range(count):
                os.mkdir("d")
                os.chdir("d")
        finally:
            os.chdir(cwd)
        made.append((top, count))

    yield make
    cwd = os.getcwd()
    for top, count in made:
        try:
            os.chdir(top)
            for _ in range(count):
                os.chdir("d")
            for _ in range(count):
                os.chdir("..")
                os.rmdir("d")
        finally:
            os.chdir(cwd)


def test_a_folder_tree_1100_deep_is_refused_without_recursion(cli, book, deep_folder):
    path = book({"note.md.j2": "Note\n"})
    here = path.parent / "templates" / "mini"
    deep_folder(here, 1100)
    err = assert_clean_failure(cli("validate", path), mentions="nests folders")
    assert err == f"{here}: the templates folder nests folders more than 32 deep\n"


def test_empty_folders_count_toward_the_templates_folder_cap(cli, book):
    path = book({"note.md.j2": "Note\n"})
    here = path.parent / "templates" / "mini"
    for i in range(1001):
        (here / f"empty{i}").mkdir()
    err = assert_clean_failure(cli("validate", path), mentions="more than")
    assert err == f"{here}: the templates folder has more than 1,000 files and folders\n"


# --- Item 5: a lone surrogate in the output ----------------------------------------------

SURROGATE = ("case X: cannot render `note.md.j2`: the document holds text that is not a character "
             "(half of a UTF-16 surrogate pair)")


def test_a_document_holding_a_lone_surrogate_is_a_render_error_not_an_internal_error(cli, book, tmp_path):
    path = book({"note.md.j2": "A{{ '\\ud800' }}B\n"})
    with pytest.raises(RenderError) as info:
        render(decide(path), "note")
    assert info.value.message == SURROGATE
    case = tmp_path / "case.yaml"
    case.write_text("case_id: X\nlevel: low\n")
    result = cli("render", "--rulebook", path, case, "--document", "note", "--as-of", "2026-11-22")
    assert assert_clean_failure(result, mentions="not a character").endswith(SURROGATE + "\n")
    client = TestClient(create_app(str(path.parent)))
    api = client.post("/api/rulebooks/mini/render/note?as_of=2026-11-22", json={"case_id": "X", "level": "low"})
    assert (api.status_code, api.json()["error"]) == (422, SURROGATE)


# --- Item 8: one council's slow template and everyone else's letters -------------------------

def test_a_render_that_cannot_get_a_worker_before_its_deadline_says_the_server_is_busy(book, monkeypatch):
    decision = decide(book({"note.md.j2": "Note\n"}))
    busy = _render_worker.Pool()
    monkeypatch.setattr(_render_worker, "_pool", busy)
    monkeypatch.setattr(busy, "pid", os.getpid())
    for _ in range(_render_worker.MAX_WORKERS):
        busy._slots.acquire()
    started = time.monotonic()
    with pytest.raises(RenderError) as info:
        render(decision, "note", deadline=time.monotonic() + 1)
    assert info.value.message == ("case X: cannot render `note.md.j2`: "
                                  "the server is busy rendering other documents; try again in a moment")
    assert time.monotonic() - started < 5


def test_a_request_that_has_run_out_of_time_renders_nothing_more(book):
    decision = decide(book({"note.md.j2": "Note\n"}))
    with pytest.raises(RenderError) as info:
        render(decision, "note", deadline=time.monotonic() - 1)
    assert info.value.message == ("case X: cannot render `note.md.j2`: "
                                  "the time for this request ran out before it could be rendered")


def test_a_closed_pool_starts_no_worker(book, monkeypatch):
    decision = decide(book({"note.md.j2": "Note\n"}))
    closed = _render_worker.Pool()
    closed.close()
    monkeypatch.setattr(_render_worker, "_pool", closed)
    monkeypatch.setattr(closed, "pid", os.getpid())
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == "case X: cannot render `note.md.j2`: the server is shutting down"


def test_the_previews_of_one_page_share_one_deadline_and_the_page_is_still_shown(book, tmp_path):
    path = book({"note.md.j2": "Note\n", **{f"d{i}.md.j2": SLOW for i in range(6)}})
    path.write_text(path.read_text().replace(
        "documents:\n", "documents:\n" + "".join(
            f"  d{i}: {{title: D{i}, audience: record, template: d{i}.md.j2}}\n" for i in range(6))))
    client = TestClient(create_app(str(path.parent), max_seconds=12))
    page = client.get("/rulebooks/mini/evaluate")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    started = time.monotonic()
    preview = client.post("/rulebooks/mini/evaluate",
                          data={"csrf": csrf, "case_id": "X", "level": "low", "as_of": "2026-11-22"})
    took = time.monotonic() - started
    assert preview.status_code == 200
    assert "the time for this request ran out" in preview.text
    assert took < 12


def test_one_councils_slow_documents_leave_a_worker_for_another_council(book, tmp_path):
    slow = book({"note.md.j2": SLOW}, rid="slow", where=tmp_path / "rulebooks")
    book({"note.md.j2": "Dear family\n"}, rid="quick", where=tmp_path / "rulebooks")
    client = TestClient(create_app(str(slow.parent), max_workers=2))
    case = {"case_id": "X", "level": "low"}
    hostile = [threading.Thread(target=client.post, args=("/api/rulebooks/slow/render/note?as_of=2026-11-22",),
                                kwargs={"json": case}) for _ in range(4)]
    for thread in hostile:
        thread.start()
    time.sleep(1)
    started = time.monotonic()
    answer = client.post("/api/rulebooks/quick/render/note?as_of=2026-11-22", json=case)
    took = time.monotonic() - started
    for thread in hostile:
        thread.join(60)
    assert (answer.status_code, answer.json()["text"]) == (200, "Dear family\n")
    assert took < 4


SHUTDOWN = """
import datetime as dt, sys, threading, time
from policyengine import load_rulebook
from policyengine import render
from policyengine import RenderError
decision = load_rulebook(sys.argv[1]).evaluate({"case_id": "X", "level": "low"}, dt.date(2026, 11, 22))
def keep_rendering():
    while True:
        try:
            render(decision, "note")
        except RenderError as exc:
            if exc.message.endswith("the server is shutting down"):
                print("stopped", flush=True)
                return
threading.Thread(target=keep_rendering).start()
time.sleep(1)
"""


def test_a_process_shutting_down_stops_its_renders_and_starts_no_more_workers(book):
    path = book({"note.md.j2": SLOW})
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", SHUTDOWN, str(path)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.stdout == "stopped\n"
    assert time.monotonic() - started < 30


# --- The provenance hash and the template rendered ------------------------------------------

def test_a_template_edited_after_loading_is_refused_rather_than_rendered_under_the_old_hash(book):
    path = book({"note.md.j2": "version one\n", "part.md.j2": "part one\n"})
    path.parent.joinpath("templates/mini/note.md.j2").write_text("version one\n{% include 'part.md.j2' %}")
    loaded = load_rulebook(path)
    decision = loaded.evaluate({"case_id": "X", "level": "low"}, dt.date(2026, 11, 22))
    assert render(decision, "note") == "version one\npart one\n"
    (path.parent / "templates" / "mini" / "part.md.j2").write_text("part two\n")
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == ("case X: cannot render `note.md.j2` (line 2): "
                                  "includes a template that has changed since the rulebook was loaded")
    (path.parent / "templates" / "mini" / "note.md.j2").write_text("version two\n")
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == ("case X: cannot render `note.md.j2`: "
                                  "the template has changed since the rulebook was loaded")
    assert load_rulebook(path).sha256 != loaded.sha256  # a reload renders the new text, under a new hash
