"""Conditions in plain English (engine/english.py): what a practitioner reads
instead of the expression a policy owner wrote."""
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from policyengine import load_rulebook
from policyengine.engine.constructs.unary import in_words
from policyengine.engine.english import condition, in_sentence, phrase
from tests.conftest import EXAMPLES, RULEBOOKS

#: What may never appear in English for people: an identifier, an operator, a quoted value, a bracket.
SNAKE = re.compile(r"\b[A-Za-z0-9]+_[A-Za-z0-9_]+\b")
SYMBOLS = ("==", "!=", ">=", "<=", "<", ">", "≥", "≤", "[", "]", "(", ")", "{", "}", "|")
QUOTED = re.compile(r"(^|\s)['\"]\w|\w['\"](\s|$)")


def problems(text: str) -> list[str]:
    """What in ``text`` is not plain English (an empty list when it is)."""
    found = SNAKE.findall(text) + [s for s in SYMBOLS if s in text]
    return found + (["a quoted value"] if QUOTED.search(text.replace("’", "").replace("'s ", " ")) else [])


LABELS = """
labels:
  level: {label: Level of need, values: {high: High need}}
  when: Date of referral
  a: Worker is skilled
  b: Worker consents
"""


@pytest.fixture
def labels(minimal):
    return load_rulebook(minimal(LABELS, replace={
        "  when: {type: date, question: 'When?'}\n":
        "  when: {type: date, question: 'When?'}\n"
        "  count: {type: integer, question: 'How many?'}\n"
        "  worker_role: {type: enum, values: [social_worker, assistant_care_manager], question: 'Role?'}\n"
        "  tasks: {type: list, values: [review, court_work], default: [], question: 'Tasks?'}\n"
        "  roles: {type: list, values: [social_worker, assistant_care_manager], default: [], question: 'Roles?'}\n"
        })).labels


@pytest.mark.parametrize("source, english", [
    ("level == 'high'", "the level of need is High need"),
    ("level != 'high'", "the level of need is not High need"),
    ("'high' == level", "the level of need is High need"),
    ("level in ['low', 'high']", "the level of need is Low or High need"),
    ("level not in ['low', 'high']", "the level of need is neither Low nor High need"),
    ("a", "worker is skilled"),
    ("not a", "not worker is skilled"),
    ("a == false", "not worker is skilled"),
    ("a and not (a and b)", "worker is skilled and not both worker is skilled and worker consents"),
    ("not (a or b)", "neither worker is skilled nor worker consents"),
    ("(a or b) and level == 'low'", "either worker is skilled or worker consents, and the level of need is Low"),
    ("(a and b) or level == 'low'", "both worker is skilled and worker consents, or the level of need is Low"),
    ("not (a or b) and level == 'low'", "neither worker is skilled nor worker consents, and the level of need is Low"),
    ("level == 'low' and (a or b) and count > 1",
     "the level of need is Low, either worker is skilled or worker consents, and the count is more than 1"),
    ("not (1 < count < 5)", "not both 1 is less than the count and the count is less than 5"),
    ("worker_role in roles", "the roles include the worker role"),
    ("worker_role not in roles", "the roles do not include the worker role"),
    ("tasks == []", "the tasks is none"),
    ("a or b and level == 'low'", "worker is skilled or both worker consents and the level of need is Low"),
    ("count >= 3", "the count is at least 3"),
    ("count < 3", "the count is less than 3"),
    ("count > 3", "the count is more than 3"),
    ("count <= 3", "the count is at most 3"),
    ("when < as_of", "the date of referral is before the date of the decision"),
    ("when >= add(as_of, '2 weeks')", "the date of referral is on or after 2 weeks after the date of the decision"),
    ("when is none", "the date of referral is not recorded"),
    ("when is not none", "the date of referral is recorded"),
    ("not (when is none)", "the date of referral is recorded"),
    ("when", "the date of referral is recorded"),
    ("not when", "the date of referral is not recorded"),
    ("worker_role == 'assistant_care_manager'", "the worker role is Assistant care manager"),
    ("'review' in tasks", "the tasks include Review"),
    ("tasks", "the tasks include at least one"),
    ("not tasks", "the tasks include none"),
    ("tasks|length >= 2", "the number of tasks is at least 2"),
    ("any_in(tasks, ['review', 'court_work'])", "the tasks include any of Review and Court work"),
    ("days_between(when, as_of) > 28", "the number of days from the date of referral to the date of the "
                                       "decision is more than 28"),
    ("is_working_day(first(when, as_of))", "the date of referral, or if that is not recorded the date of the "
                                           "decision is a working day"),
    ("count * 2 - 1 > -count", "the count times 2 minus 1 is more than minus the count"),
])
def test_a_condition_reads_as_english(labels, source, english):
    assert condition(source, labels) == english


def test_a_value_reads_as_a_phrase(labels):
    assert phrase("subtract(when, '10 working days')", labels) == "10 working days before the date of referral"
    assert phrase("count", labels) == "the count"


@pytest.mark.parametrize("text, english", [
    ("-", "any"), ("[10..13]", "from 10 to 13"), ("(10..13)", "over 10 up to but not 13"), (">= 18", "at least 18"),
    ("< 12", "less than 12"), ("high", "High need"), ('"low","high"', "Low or High need"),
    ("not(low)", "not Low"), ("not(low, high)", "neither Low nor High need"), ("null", "not recorded"), ("true", "yes"), ("2026-11-22", "22 November 2026"),
])
def test_a_table_cell_reads_as_english(labels, text, english):
    assert in_words(text, "level", labels) == english


@pytest.mark.parametrize("label, shown", [
    ("Worker's role", "worker's role"), ("RAG rating", "RAG rating"), ("Planned Work Tray", "Planned Work Tray"),
    ("Escalate to SSM", "escalate to SSM"), ("Strategic Service Manager", "Strategic Service Manager"),
])
def test_a_label_inside_a_sentence_keeps_acronyms_and_titles(label, shown):
    assert in_sentence(label) == shown


def shipped():
    paths = sorted(RULEBOOKS.glob("*.yaml")) + [EXAMPLES / "forks" / "northfield.yaml"]
    return [(p.name, load_rulebook(p)) for p in paths]


@pytest.mark.parametrize("name, book", shipped(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_expression_in_every_shipped_rulebook_reads_as_english(name, book):
    assert book.expressions, name
    for expr in book.expressions:
        for text in (condition(expr.source, book.labels), phrase(expr.source, book.labels)):
            assert problems(text) == [], (expr.source, text)


NAMES = st.sampled_from(["a", "b", "count", "when", "level", "worker_role", "tasks", "as_of"])
LEAVES = NAMES | st.sampled_from(["3", "'high'", "'low'", "none", "true", "['review', 'court_work']",
                                  "add(when, '2 days')", "tasks|length", "first(when, as_of)"])


def _tree(children):
    ops = st.sampled_from([" and ", " or ", " == ", " != ", " < ", " >= ", " in ", " not in ", " + ", " * "])
    return st.tuples(children, ops, children).map(lambda t: f"({t[0]}{t[1]}{t[2]})") | \
        children.map(lambda c: f"(not {c})") | children.map(lambda c: f"({c} is none)")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(LEAVES, _tree, max_leaves=6))
def test_any_expression_reads_without_code(labels, source):
    for text in (condition(source, labels), phrase(source, labels)):
        assert problems(text) == [], (source, text)
