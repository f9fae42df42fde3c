"""Property tests: whatever the input, only the engine's own documented errors
escape from the loader, the expression compiler and the evaluator.

Bounded for CI by the `ci` hypothesis profile; for a longer search run
    HYPOTHESIS_PROFILE=long python -m pytest tests/adversarial/test_fuzzing.py -q
"""
import datetime as dt
import textwrap

import pytest
from hypothesis import given, strategies as st

from policyengine import PolicyEngineError
from policyengine import load_rulebook
from policyengine.engine.dates import calendar
from policyengine.errors import Location, RulebookError, YamlError
from policyengine.engine.expressions import compile_expression, functions
from policyengine.engine.load import decode, parse_yaml

from ..conftest import MINIMAL

YAML_PIECES = st.sampled_from(["a", ": ", "- ", "\n", "  ", "[", "]", "{", "}", ",", "&x ", "*x", "!!",
                               "python/object", "'", '"', "#", "2026-02-30", "\t", "?", "|", ">", "~",
                               "null", "1e9", ".nan", "<<: ", "%YAML", "---", "...", "\\u0000"])


@given(st.lists(YAML_PIECES, max_size=40).map("".join))
def test_the_loader_raises_only_yaml_errors_on_yaml_like_text(text):
    try:
        parse_yaml(text, "f.yaml")
    except YamlError:
        pass


@given(st.binary(max_size=200))
def test_the_loader_raises_only_yaml_errors_on_any_bytes(raw):
    try:
        parse_yaml(decode(raw, "f.yaml"), "f.yaml")
    except YamlError:
        pass


NAMES = ["a", "b", "n", "when", "level", "as_of", "tasks", "nope"]
TOKENS = st.sampled_from(NAMES + ["and", "or", "not", "==", "!=", "<", ">=", "in", "not in", "is", "none",
                                  "true", "false", "(", ")", "[", "]", ",", "'x'", "'low'", "1", "0", "-3",
                                  "+", "*", "**", "/", ".", "__class__", "|", "length", "attr", "add(",
                                  "'1 month'", "first(", "if", "else", "~", "{", "}", ":", "range(", "lipsum"])
EXPRESSIONS = st.lists(TOKENS, min_size=1, max_size=12).map(" ".join)
KNOWN = {"a", "b", "n", "when", "level", "as_of"}


@given(EXPRESSIONS)
def test_the_expression_compiler_raises_only_rulebook_errors(source):
    try:
        compile_expression(source, Location("r.yaml", 1, 1), KNOWN, functions(calendar()))
    except RulebookError:
        pass


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["low", "high", "x"]),
                   st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)))


@given(EXPRESSIONS, st.fixed_dictionaries({"a": VALUES, "b": VALUES, "n": VALUES, "when": VALUES,
                                           "level": VALUES}))
def test_a_random_rule_over_random_cases_fails_only_with_engine_errors(tmp_path_factory, source, case):
    """A random expression as a decision in a real rulebook, evaluated on a case."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "r.yaml"
    text = MINIMAL.replace("{when: a, value: yes_a, because: a holds}",
                           "{when: %s, value: yes_a, because: fuzz}" % _quote(source))
    text = text.replace("  a: {type: boolean", "  n: {type: integer, question: 'N?'}\n  a: {type: boolean")
    _load_and_evaluate(path, text, case)


def _load_and_evaluate(path, text: str, case: dict, *, explain: bool = False) -> None:
    """Compile a rulebook and evaluate a case; only the engine's own errors may escape."""
    path.write_text(text)
    try:
        book = load_rulebook(path)
    except PolicyEngineError:
        return
    raw = {"case_id": "F1", **{k: v for k, v in case.items() if v is not None}}
    try:
        book.evaluate(raw, dt.date(2026, 11, 23), explain=explain)
    except PolicyEngineError:
        pass


def _quote(source: str) -> str:
    return '"' + source.replace("\\", "\\\\").replace('"', '\\"') + '"'


FRAGMENT_TEXTS = [
    "thresholds:\n  t: {of: n, at_least: %d, source: guide}\n",
    "thresholds:\n  t: {of: n, source: guide, bands: [{value: lo, to: %d}, {value: hi, from: 3}]}\n",
    "cadences:\n  c: {from: when, every: '%d days', overdue_as: c_late, source: guide}\n",
    "cadences:\n  c: {from: when, every: '%d months', source: guide}\n",
    "checklists:\n  k: {when: a, items: [{item: 'Item %d.', when: b}], source: guide}\n",
    "matrices:\n  m: {by: [level], cells: {low: %d, high: 2}, source: guide}\n",
    "factors:\n  f: {measure: count, items: [a, b], source: guide}\n# %d\n",
    # A document's `when:` is evaluated with the case too (it once escaped run()'s guard).
    "documents:\n  d: {title: D, audience: the person, template: d.md.j2, when: 'n > %d', source: guide}\n",
]
FRAGMENTS = st.sampled_from(FRAGMENT_TEXTS)


def _fragment_book(folder, fragment: str):
    path = folder / "r.yaml"
    (folder / "templates" / "mini").mkdir(parents=True, exist_ok=True)
    (folder / "templates" / "mini" / "d.md.j2").write_text("Dear {{ case_id }}\n")
    text = MINIMAL.replace("  a: {type: boolean", "  n: {type: integer, question: 'N?'}\n  a: {type: boolean")
    return path, text + textwrap.dedent(fragment)


@pytest.mark.parametrize("fragment", FRAGMENT_TEXTS)
def test_every_fuzz_fragment_makes_a_valid_rulebook_so_the_fuzzer_reaches_evaluation(tmp_path, fragment):
    # A fragment that never validates (once: every one cited an undeclared source)
    # would make the fuzzer below pass without evaluating anything.
    path, text = _fragment_book(tmp_path, fragment % 2)
    path.write_text(text)
    load_rulebook(path)


@given(FRAGMENTS, st.integers(-3, 40), st.fixed_dictionaries(
    {"a": VALUES, "b": VALUES, "n": VALUES, "when": VALUES, "level": VALUES}))
def test_random_rulebook_fragments_with_random_cases_fail_only_with_engine_errors(
        tmp_path_factory, fragment, number, case):
    path, text = _fragment_book(tmp_path_factory.mktemp("frag"), fragment % number)
    _load_and_evaluate(path, text, case, explain=True)
