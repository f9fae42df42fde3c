"""The expression language: what it allows, and escapes it refuses."""
import datetime as dt

import pytest

from policyengine.engine.dates import calendar
from policyengine.errors import Location, RulebookError
from policyengine.engine.expressions import ExprFault, compile_expression, functions

FUNCS = functions(calendar())
NAMES = {"a", "b", "n", "role", "tasks", "day", "as_of"}


def run(source, **values):
    return compile_expression(source, Location("r.yaml", 1, 1), NAMES, FUNCS)(values)


@pytest.mark.parametrize("source, values, expected", [
    ("a and not b", {"a": True, "b": False}, True),
    ("a or b", {"a": False, "b": False}, False),
    ("role == 'social_worker'", {"role": "social_worker"}, True),
    ("role != 'social_worker'", {"role": None}, True),
    ("'safeguarding_plan' in tasks", {"tasks": ["safeguarding_plan"]}, True),
    ("role not in ['a', 'b']", {"role": "c"}, True),
    ("n >= 3", {"n": 3}, True),
    ("1 <= n <= 9", {"n": 10}, False),
    ("n + 2 * 3", {"n": 1}, 7),
    ("tasks | length", {"tasks": ["x", "y"]}, 2),
    ("role is none", {"role": None}, True),
    ("role is not none", {"role": None}, False),
    ("'x' if a else 'y'", {"a": False}, "y"),
    ("add(day, '1 month')", {"day": dt.date(2026, 1, 31)}, dt.date(2026, 2, 28)),
    ("add(day, '1 working day')", {"day": dt.date(2026, 12, 24)}, dt.date(2026, 12, 29)),
    ("as_of > add(day, '1 month')", {"day": dt.date(2026, 10, 22), "as_of": dt.date(2026, 11, 22)}, False),
    ("as_of > add(day, '1 month')", {"day": dt.date(2026, 10, 22), "as_of": dt.date(2026, 11, 23)}, True),
    ("first(day, as_of)", {"day": None, "as_of": dt.date(2026, 1, 1)}, dt.date(2026, 1, 1)),
    ("add(day, '14 days')", {"day": None}, None),
    ("days_between(day, as_of)", {"day": dt.date(2026, 1, 1), "as_of": dt.date(2026, 1, 31)}, 30),
    ("only(tasks, ['x'])", {"tasks": ["y", "x"]}, ["x"]),
    ("any_in(tasks, ['x'])", {"tasks": ["y"]}, False),
])
def test_allowed_expressions_evaluate(source, values, expected):
    assert run(source, **values) == expected


@pytest.mark.parametrize("source, message", [
    ("''.__class__.__mro__", "attribute access (`.`) is not allowed in a rulebook expression"),
    ("a.__globals__", "attribute access (`.`) is not allowed in a rulebook expression"),
    ("tasks[0]", "subscripting (`[...]`) is not allowed in a rulebook expression"),
    ("{'a': 1}", "a dictionary is not allowed in a rulebook expression"),
    ("cycler.__init__.__globals__", "attribute access (`.`) is not allowed in a rulebook expression"),
    ("lipsum()", "unknown function `lipsum`; the functions are add, subtract, days_between, first, any_in, only, is_working_day"),
    ("range(10**9)", "unknown function `range`; the functions are add, subtract, days_between, first, any_in, only, is_working_day"),
    ("add(day, every='1 day')", "`add` takes plain arguments only"),
    ("a | attr('x')", "the filter `attr` is not allowed; the filters are length"),
    ("a is callable", "the test `is callable` is not allowed; use `is none`"),
    ("a ~ b", "joining text with `~` is not allowed in a rulebook expression"),
    ("secret", "unknown name `secret`"),
    ("config", "unknown name `config`"),
    ("(a", "unexpected end of template, expected ')'."),
])
def test_escapes_and_unknown_things_are_refused_at_compile_time(source, message):
    with pytest.raises(RulebookError) as info:
        compile_expression(source, Location("r.yaml", 4, 9), NAMES, FUNCS)
    assert info.value.message == f"in expression `{source}`: {message}"
    assert (info.value.file, info.value.line, info.value.column) == ("r.yaml", 4, 9)


@pytest.mark.parametrize("source, values, message", [
    ("n > 3", {"n": None}, "cannot compare a missing (null) value with `>`"),
    ("n > 'x'", {"n": 1}, "cannot compare int with str using `>`"),
    ("n + 1", {"n": "x"}, "`+` needs numbers, got str"),
    ("'x' in n", {"n": 3}, "`in` needs a list on its right, got int"),
])
def test_type_faults_at_evaluation_are_clear(source, values, message):
    with pytest.raises(ExprFault) as info:
        run(source, **values)
    assert str(info.value) == message


def test_template_sandbox_refuses_python_internals(tmp_path, minimal):
    from policyengine import RenderError, load_rulebook, render

    folder = tmp_path / "templates" / "mini"
    folder.mkdir(parents=True)
    (folder / "note.md.j2").write_text("{{ out.__class__.__mro__ }}\n")
    path = minimal(extra="""
    documents:
      note: {title: Note, audience: record, template: note.md.j2}
    """)
    book = load_rulebook(path)
    decision = book.evaluate({"case_id": "X", "level": "low"}, dt.date(2026, 11, 22))
    with pytest.raises(RenderError) as info:
        render(decision, "note")
    assert "cannot render" in info.value.message or "unsafe" in info.value.message
    assert info.value.file == str(folder / "note.md.j2")


def test_the_function_names_the_compiler_allows_are_the_functions_there_are():
    from policyengine.engine.expressions import FUNCTION_NAMES

    assert tuple(FUNCTION_NAMES) == tuple(FUNCS)
