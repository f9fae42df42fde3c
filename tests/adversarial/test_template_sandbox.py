"""Hostile templates from another council's rulebook (issue #11, section 2).

A fork ships its own templates folder. Nothing in it may read a file outside
the rulebook's templates folders, and no render may take more than its time
or memory, from the CLI, a thread, or the web app's previews. Render errors
name the template, its line and the kind of problem, never a case's value.
"""
import datetime as dt
import os
import re
import resource
import threading
import time

import pytest
from fastapi.testclient import TestClient

from policyengine import RenderError
from policyengine import load_rulebook
from policyengine import render
from policyengine.web import create_app

from ..conftest import MINIMAL
from .conftest import assert_clean_failure

#: The minimal rulebook with a free-text input (where a person's name would go) and one document.
NAME_INPUT = "  name: {type: string, question: 'Name?'}\n"
RULEBOOK = MINIMAL.replace("  a: {type: boolean", NAME_INPUT + "  a: {type: boolean") + """
documents:
  note: {title: Note, audience: record, template: note.md.j2}
"""
SECRET = "Zelda Quartermaine,1984-02-29,safeguarding concern\n"
#: Renders here must finish well within this, busy machine or not (the limit is 5 s).
GENEROUS_SECONDS = 30


@pytest.fixture
def fork(tmp_path):
    """A rulebook folder: ``fork({"note.md.j2": "..."})`` writes the templates; returns the rulebook path."""
    (tmp_path / "caseload.csv").write_text("name,dob,notes\n" + SECRET)  # another caseload, outside

    def make(files: dict):
        folder = tmp_path / "templates" / "mini"
        folder.mkdir(parents=True, exist_ok=True)
        for name, body in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(body)
        path = tmp_path / "mini.yaml"
        path.write_text(RULEBOOK)
        return path

    return make


def decide(path, **values):
    return load_rulebook(path).evaluate({"case_id": "X", "level": "low", **values}, dt.date(2026, 11, 22))


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- A template can read any file -------------------------------------------

def test_validate_reports_a_link_to_the_root_in_the_templates_folder(cli, fork):
    path = fork({"note.md.j2": '{% include "fs/etc/passwd" %}\n'})
    folder = path.parent / "templates" / "mini"
    os.symlink("/", folder / "fs")
    err = assert_clean_failure(cli("validate", path), mentions="leads outside the templates folder")
    assert err == (f"{folder / 'fs'}: `fs` is a link that leads outside the templates folder\n"
                   f"{folder / 'note.md.j2'}:1: template `fs/etc/passwd` leads outside the templates folder\n")


def test_validate_reports_a_link_to_another_caseload_even_if_no_document_names_it(cli, fork):
    path = fork({"note.md.j2": "Note\n"})
    os.symlink(path.parent / "caseload.csv", path.parent / "templates" / "mini" / "other.md.j2")
    err = assert_clean_failure(cli("validate", path), mentions="`other.md.j2` is a link")
    assert err.endswith("other.md.j2: `other.md.j2` is a link that leads outside the templates folder\n")


@pytest.mark.parametrize("statement", [
    '{% include "part.md.j2" %}',
    '{% import "part.md.j2" as part %}{{ part.x }}',
    '{% from "part.md.j2" import x %}{{ x }}',
    '{% extends "part.md.j2" %}',
])
def test_an_include_changed_into_a_link_after_validate_is_refused_at_render(fork, statement):
    path = fork({"note.md.j2": statement + "\n", "part.md.j2": "{% set x = 1 %}part\n"})
    decision = decide(path)
    part = path.parent / "templates" / "mini" / "part.md.j2"
    part.unlink()
    os.symlink(path.parent / "caseload.csv", part)
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == ("case X: cannot render `note.md.j2` (line 1): "
                                  "includes a template that leads outside the templates folder")
    assert "Zelda" not in str(info.value)


def test_a_folder_link_to_the_root_made_after_validate_cannot_include_system_files(fork):
    path = fork({"note.md.j2": "{% include 'fs/etc/' ~ name %}\n"})
    decision = decide(path, name="passwd")
    os.symlink("/", path.parent / "templates" / "mini" / "fs")
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == ("case X: cannot render `note.md.j2` (line 1): "
                                  "includes a template that leads outside the templates folder")
    assert info.value.file == str(path.parent / "templates" / "mini" / "note.md.j2")


def test_a_link_inside_the_templates_folder_still_works(fork):
    path = fork({"note.md.j2": '{% include "shared/part.md.j2" %}', "parts/part.md.j2": "hello\n"})
    os.symlink("parts", path.parent / "templates" / "mini" / "shared")
    assert render(decide(path), "note") == "hello\n"


def test_a_fork_includes_its_bases_templates_but_nothing_beside_them(fork, tmp_path):
    fork({"note.md.j2": '{% include "part.md.j2" %}', "part.md.j2": "from the base\n"})
    child = tmp_path / "child" / "kid.yaml"
    child.parent.mkdir()
    child.write_text("extends: ../mini.yaml\nrulebook: {id: kid}\n")
    (tmp_path / "child" / "templates" / "kid").mkdir(parents=True)
    (tmp_path / "child" / "templates" / "kid" / "note.md.j2").write_text('{% include "part.md.j2" %}')
    assert render(decide(child), "note") == "from the base\n"


def test_the_provenance_hash_covers_every_file_a_document_can_include(fork):
    path = fork({"note.md.j2": "{% include 'parts/' ~ name %}\n", "parts/a.md.j2": "A\n"})
    first = load_rulebook(path).sha256
    assert load_rulebook(path).sha256 == first  # deterministic
    part = path.parent / "templates" / "mini" / "parts" / "a.md.j2"
    part.write_text("A, changed\n")
    changed = load_rulebook(path).sha256
    assert changed != first
    (part.parent / "b.md.j2").write_text("B\n")
    assert load_rulebook(path).sha256 not in (first, changed)


def test_a_huge_sparse_template_is_refused_before_it_is_read(cli, fork):
    path = fork({"note.md.j2": "Note\n"})
    with open(path.parent / "templates" / "mini" / "note.md.j2", "r+b") as fh:
        fh.truncate(5 * 1024 ** 3)
    before = peak_memory_mb()
    err = assert_clean_failure(cli("validate", path), mentions="larger than")
    assert err == f"{path}:25:51: template `note.md.j2` is larger than 1,000,000 bytes\n"
    assert peak_memory_mb() - before < 100


def test_a_template_grown_huge_after_validate_is_refused_at_render(fork):
    path = fork({"note.md.j2": '{% include "part.md.j2" %}', "part.md.j2": "part\n"})
    decision = decide(path)
    with open(path.parent / "templates" / "mini" / "part.md.j2", "r+b") as fh:
        fh.truncate(5 * 1024 ** 3)
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == ("case X: cannot render `note.md.j2` (line 1): "
                                  "includes a template that is larger than 1,000,000 bytes")


def test_a_named_pipe_in_the_templates_folder_is_refused_without_waiting(cli, fork):
    path = fork({"note.md.j2": '{% include "pipe" %}'})
    os.mkfifo(path.parent / "templates" / "mini" / "pipe")
    err = assert_clean_failure(cli("validate", path), mentions="not a regular file")
    assert err == f"{path.parent / 'templates' / 'mini' / 'pipe'}: `pipe` is not a regular file\n"


def test_a_named_pipe_made_after_validate_is_refused_at_render_without_waiting(fork):
    path = fork({"note.md.j2": '{% include "part.md.j2" %}', "part.md.j2": "part\n"})
    decision = decide(path)
    part = path.parent / "templates" / "mini" / "part.md.j2"
    part.unlink()
    os.mkfifo(part)
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == ("case X: cannot render `note.md.j2` (line 1): "
                                  "includes a template that is not a regular file")


# --- Template resources ---------------------------------------------------------

TOO_MUCH_MEMORY = "case X: cannot render `note.md.j2`: the document needs more than 512 MB of memory to render"
TOO_SLOW = "case X: cannot render `note.md.j2`: the document took longer than 5 seconds to render"


@pytest.mark.parametrize("body, message", [
    pytest.param("{{ '%1000000000d' % 1 }}", TOO_MUCH_MEMORY, id="percent-format-width"),
    pytest.param("{{ 'x'.ljust(1500000000) }}", TOO_MUCH_MEMORY, id="ljust"),
    pytest.param("{{ 'x'.center(1500000000) }}", TOO_MUCH_MEMORY, id="center"),
    pytest.param("{{ '{:>1500000000}'.format(1) }}", TOO_MUCH_MEMORY, id="format-width"),
    pytest.param("{{ 'x\ny'|indent(1500000000) }}", TOO_MUCH_MEMORY, id="indent"),
    pytest.param("{% set s = 'xxxxxxxxxxxxxxxx' %}" + "{% set s = s ~ s %}" * 40 + "{{ s|length }}",
                 TOO_MUCH_MEMORY, id="tilde-doubling"),
    pytest.param("{{ ([[0]*9999]*9999)|sum(start=[]) }}", TOO_SLOW, id="sum-of-lists"),
    # Whichever limit a machine reaches first: 3 × 10^12 characters of text.
    pytest.param("{{ [[[0]*9999]*9999]*9999 }}", (TOO_SLOW, TOO_MUCH_MEMORY), id="printing-a-list-of-lists"),
    pytest.param("{{ [[[0]*9999]*9999]*9999 == [[[0]*9999]*9999]*9999 }}", TOO_SLOW, id="comparing-lists"),
    pytest.param("{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}"
                 "{% endfor %}{% endfor %}{% endfor %}",
                 TOO_SLOW, id="empty-nested-loops"),
])
def test_a_template_that_needs_too_much_memory_or_time_is_stopped(fork, body, message):
    decision = decide(fork({"note.md.j2": body}))
    before, started = peak_memory_mb(), time.monotonic()
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message in (message if isinstance(message, tuple) else (message,))
    assert info.value.path == "note"
    assert time.monotonic() - started < GENEROUS_SECONDS
    assert peak_memory_mb() - before < 100  # the memory was the worker's, not ours


def test_validating_a_template_does_not_run_its_constant_expressions(fork):
    before = peak_memory_mb()
    path = fork({"note.md.j2": "{{ 'x\ny'|indent(1500000000) }}{{ '%1000000000d' % 1 }}"
                               "{% autoescape 'x'|indent(1500000000) %}{% endautoescape %}"})
    load_rulebook(path)
    assert peak_memory_mb() - before < 100


def render_in_a_thread(decision) -> list:
    """What rendering from a thread other than the main one raised."""
    outcome = []

    def work():
        try:
            render(decision, "note")
        except Exception as exc:  # noqa: BLE001 - the test says which
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(GENEROUS_SECONDS)
    assert not thread.is_alive()
    return outcome


def test_the_time_limit_holds_off_the_main_thread(fork):
    decision = decide(fork({"note.md.j2": "{% for a in range(10000) %}{% for b in range(10000) %}"
                                          "{% for c in range(10000) %}{% endfor %}{% endfor %}{% endfor %}"}))
    assert [(type(e), str(e.message)) for e in render_in_a_thread(decision)] == [(RenderError, TOO_SLOW)]


def test_the_memory_limit_holds_off_the_main_thread(fork):
    decision = decide(fork({"note.md.j2": "{{ 'x'.ljust(1500000000) }}"}))
    assert [(type(e), str(e.message)) for e in render_in_a_thread(decision)] == [(RenderError, TOO_MUCH_MEMORY)]


def test_the_limits_hold_in_the_web_apps_preview_and_api(fork):
    path = fork({"note.md.j2": "{% for a in range(10000) %}{% for b in range(10000) %}"
                               "{% for c in range(10000) %}{% endfor %}{% endfor %}{% endfor %}"})
    client = TestClient(create_app(str(path.parent)))
    page = client.get("/rulebooks/mini/evaluate")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    started = time.monotonic()
    preview = client.post("/rulebooks/mini/evaluate",
                          data={"csrf": csrf, "case_id": "X", "level": "low", "as_of": "2026-11-22"})
    assert preview.status_code == 200
    assert f"This document could not be prepared: {TOO_SLOW}" in preview.text
    printed = client.post("/rulebooks/mini/documents/note", data={
        "csrf": csrf, "case": '{"case_id": "X", "level": "low"}', "as_of": "2026-11-22", "action": "print"})
    assert printed.status_code == 400 and TOO_SLOW in printed.text
    api = client.post("/api/rulebooks/mini/render/note?as_of=2026-11-22", json={"case_id": "X", "level": "low"})
    assert api.status_code == 422
    assert api.json() == {"error": TOO_SLOW, "field": "note", "problems": [{"error": TOO_SLOW, "field": "note"}]}
    assert time.monotonic() - started < 3 * GENEROUS_SECONDS


def test_a_broken_render_worker_does_not_break_the_next_render(fork):
    path = fork({"note.md.j2": "{{ 'x'.ljust(1500000000) }}"})
    with pytest.raises(RenderError):
        render(decide(path), "note")
    (path.parent / "templates" / "mini" / "note.md.j2").write_text("fine\n")
    assert render(decide(path), "note") == "fine\n"


# --- Messages never repeat case values ------------------------------------------

@pytest.mark.parametrize("body, kind", [
    ("{{ settings[name] }}", "reads a name, key or attribute that has no value"),
    ("{{ name.format() }}", "reads a key or item that is not there"),
    ("{{ name.encode('ascii') }}", "passes a value an operation or filter cannot use"),
    ("{% include name %}", "includes a template that does not exist"),
    ("{{ name.__class__ }}", "refused an unsafe operation (Python internals, or changing a value)"),
    ("{{ name + 1 }}", "uses a value of the wrong type for an operation or filter"),
])
def test_a_render_error_names_the_template_line_and_kind_never_the_value(fork, body, kind):
    path = fork({"note.md.j2": "Dear someone,\n" + body + "\n"})
    with pytest.raises(RenderError) as info:
        render(decide(path, name="{Zelda} Quartermainë"), "note")
    assert info.value.message == f"case X: cannot render `note.md.j2` (line 2): {kind}"
    assert info.value.line == 2
    assert "Zelda" not in str(info.value) and "Quarterma" not in str(info.value)


def test_an_error_in_an_included_template_names_that_template(fork):
    path = fork({"note.md.j2": "Dear someone,\n{% include 'parts/body.md.j2' %}\n",
                 "parts/body.md.j2": "line one\n{{ settings[name] }}\n"})
    with pytest.raises(RenderError) as info:
        render(decide(path, name="Zelda"), "note")
    assert info.value.message == ("case X: cannot render `note.md.j2` (in `parts/body.md.j2` line 2): "
                                  "reads a name, key or attribute that has no value")
    assert info.value.file == str(path.parent / "templates" / "mini" / "parts" / "body.md.j2")


def test_the_render_command_reports_the_template_and_line_without_the_value(cli, fork, tmp_path):
    path = fork({"note.md.j2": "Dear someone,\n{{ settings[name] }}\n"})
    case = tmp_path / "case.yaml"
    case.write_text("case_id: X\nlevel: low\nname: Zelda Quartermaine\n")
    err = assert_clean_failure(cli("render", "-r", path, case, "-d", "note", "--as-of", "2026-11-22"),
                               mentions="cannot render")
    assert err == (f"{path.parent / 'templates' / 'mini' / 'note.md.j2'}:2: case X: cannot render `note.md.j2` "
                   "(line 2): reads a name, key or attribute that has no value\n")
