"""Hostile rulebooks: escapes from the templates folder, forks that loop,
expressions after Python internals, templates that try to run forever or fill
memory, and broken logic. Each gives a clear, located error."""
import datetime as dt
import os

import pytest

from policyengine import RenderError
from policyengine import load_rulebook
from policyengine import render

from .conftest import assert_clean_failure

DOC = """
documents:
  note: {title: Note, audience: record, template: %s}
"""


@pytest.mark.parametrize("template", ["../../etc/passwd", "/etc/passwd", "sub/../../x.j2", "..\\\\x.j2"])
def test_a_template_path_that_leaves_the_templates_folder_is_refused(cli, mini_rulebook, template):
    path = mini_rulebook(DOC % f'"{template}"')
    err = assert_clean_failure(cli("validate", path), mentions="a template must be a file name inside")
    assert err.startswith(f"{path}:24:")


def test_a_template_symlinked_out_of_the_folder_is_refused(cli, mini_rulebook, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for templates")
    folder = tmp_path / "templates" / "mini"
    folder.mkdir(parents=True)
    os.symlink(secret, folder / "note.md.j2")
    path = mini_rulebook(DOC % "note.md.j2")
    assert_clean_failure(cli("validate", path), mentions="template `note.md.j2` is outside the templates folder")


def test_an_extends_cycle_is_refused(cli, hostile):
    hostile("a.yaml", "extends: b.yaml\n")
    b = hostile("b.yaml", "extends: a.yaml\n")
    err = assert_clean_failure(cli("validate", b.parent / "a.yaml"), mentions="`extends` makes a cycle")
    assert err == f"{b}:1:10: `extends` makes a cycle: a.yaml → b.yaml → a.yaml\n"


def test_an_extends_chain_deeper_than_the_limit_is_refused(cli, mini_rulebook, hostile):
    mini_rulebook(name="f0.yaml")
    for i in range(1, 11):
        last = hostile(f"f{i}.yaml", f"extends: f{i - 1}.yaml\n")
    assert_clean_failure(cli("validate", last), mentions="`extends` chains more than 8 rulebooks deep")


def test_extends_to_a_missing_file_is_refused(cli, hostile):
    path = hostile("a.yaml", "extends: nowhere.yaml\n")
    err = assert_clean_failure(cli("validate", path), mentions="the base rulebook `nowhere.yaml` does not exist")
    assert err.startswith(f"{path}:1:10:")


@pytest.mark.parametrize("expression", [
    "a.__class__.__mro__", "a.__globals__", "cycler.__init__.__globals__.os", "lipsum.__globals__",
    "a['__class__']", "a|attr('__class__')", "range(10)", "config", "self", "namespace()",
])
def test_an_expression_after_python_internals_is_refused_at_validate(cli, mini_rulebook, expression):
    path = mini_rulebook().read_text().replace("{when: a,", "{when: \"%s\"," % expression.replace('"', '\\"'))
    target = mini_rulebook(name="x.yaml")
    target.write_text(path)
    err = assert_clean_failure(cli("validate", target), mentions=f"in expression `{expression}`")
    assert err.startswith(f"{target}:19:")


def test_an_expression_cannot_build_huge_text(mini_rulebook):
    from policyengine import EvaluationError

    path = mini_rulebook()
    path.write_text(path.read_text().replace("{value: no_a, because:", "{expr: \"'x' * 100000000\", because:"))
    with pytest.raises(EvaluationError) as info:
        load_rulebook(path).evaluate({"case_id": "X", "level": "low"})
    assert info.value.message == ("case X: decisions `out` could not be evaluated: "
                                  "`*` needs numbers, got str")


def test_an_expression_has_no_power_operator_to_build_huge_numbers(cli, mini_rulebook):
    path = mini_rulebook()
    path.write_text(path.read_text().replace("{when: a,", "{when: \"9 ** 9 ** 9 > 1\","))
    assert_clean_failure(cli("validate", path), mentions="`**` is not allowed in a rulebook expression")


def template_book(mini_rulebook, tmp_path, body):
    folder = tmp_path / "templates" / "mini"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "note.md.j2").write_text(body)
    book = load_rulebook(mini_rulebook(DOC % "note.md.j2"))
    return book.evaluate({"case_id": "X", "level": "low"}, dt.date(2026, 11, 22))


@pytest.mark.parametrize("body, message", [
    ("{% for i in range(100000000) %}x{% endfor %}", "range() is limited to 10,000 items in a template"),
    ("{{ 'x' * 100000000 }}", "repeating text with `*` is limited to 10,000 characters"),
    ("{{ [1] * 100000000 }}", "repeating text with `*` is limited to 10,000 characters"),
    ("{{ 9 ** 9 ** 9 }}", "`**` is not allowed in a template"),
    ("{% for i in range(10000) %}{{ 'y' * 9999 }}{% endfor %}", "the document is longer than 200,000 characters"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "refused an unsafe operation (Python internals, or changing a value)"),
    ("{{ case.__class__ }}", "refused an unsafe operation (Python internals, or changing a value)"),
    ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "the template calls itself too deeply"),
])
def test_a_template_that_loops_recurses_or_grows_is_stopped(mini_rulebook, tmp_path, body, message):
    decision = template_book(mini_rulebook, tmp_path, body)
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert message in info.value.message


def test_a_template_that_runs_too_long_is_stopped(mini_rulebook, tmp_path, monkeypatch):
    import importlib

    rendering = importlib.import_module("policyengine.engine.render")

    monkeypatch.setattr(rendering, "RENDER_SECONDS", 0.3)
    decision = template_book(mini_rulebook, tmp_path,
                             "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}")
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert info.value.message == "case X: cannot render `note.md.j2`: the document took longer than 0.3 seconds to render"


def test_a_template_that_writes_to_the_context_is_refused(mini_rulebook, tmp_path):
    decision = template_book(mini_rulebook, tmp_path, "{{ case.update({'level': 'x'}) }}")
    with pytest.raises(RenderError):
        render(decision, "note")


def test_a_matrix_with_a_missing_cell_is_refused(cli, mini_rulebook):
    path = mini_rulebook("""
    matrices:
      m:
        by: [level, a]
        source: guide
        cells:
          low: {true: x, false: y}
          high: {true: z}
    """)
    assert_clean_failure(cli("validate", path), mentions="matrix `m` has no cell for level high × a no")


def test_a_decision_with_no_otherwise_is_refused(cli, mini_rulebook):
    path = mini_rulebook()
    path.write_text(path.read_text().replace("    otherwise: {value: no_a, because: a does not hold}\n", ""))
    err = assert_clean_failure(cli("validate", path), mentions="decisions.out is missing `otherwise`")
    assert err == f"{path}:16:3: decisions.out is missing `otherwise`\n"
