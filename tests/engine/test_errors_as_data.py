"""Errors are data: a stable code, the location, the "did you mean" name apart from the message."""
import datetime as dt

import pytest

from policyengine import CaseError, PolicyEngineError, RulebookInvalid, load_rulebook
from policyengine.errors import EvaluationError, Location, RulebookError, YamlError, closest

BOOK = "rulebooks/leicestershire.yaml"


@pytest.fixture(scope="module")
def book():
    return load_rulebook(BOOK)


def test_every_error_class_has_a_code_and_exits_1():
    for cls in (PolicyEngineError, YamlError, RulebookError, RulebookInvalid, CaseError, EvaluationError):
        assert cls.code and cls.exit_code == 1


def test_an_unknown_field_carries_its_suggestion_apart_and_keeps_the_hint_in_the_message(book):
    with pytest.raises(CaseError) as caught:
        book.evaluate({"case_id": "L-1", "supprot": "none"}, dt.date(2026, 11, 22))
    error = caught.value
    assert error.message == "unknown field `supprot` (did you mean `support`?)"
    first = {"code": "case.unknown_field", "message": error.message, "file": None,
             "line": None, "column": None, "path": "supprot", "suggestion": "support"}
    missing = [{"code": "case.missing_field", "message": f"missing required field `{name}`", "file": None,
                "line": None, "column": None, "path": name, "suggestion": None}
               for name in ("support", "risk", "priority", "complexity", "date_added")]
    assert error.as_dict() == {**first, "problems": [first, *missing]}


def test_a_missing_required_field_has_its_own_code(book):
    with pytest.raises(CaseError) as caught:
        book.evaluate({"case_id": "L-1"}, dt.date(2026, 11, 22))
    assert caught.value.code == "case.missing_field"
    assert caught.value.suggestion is None


def test_a_call_site_may_name_a_more_specific_code():
    error = CaseError("no", Location("f.yaml", 3, 1), code="case.special")
    assert (error.code, CaseError.code, str(error)) == ("case.special", "case.invalid", "f.yaml:3:1: no")


def test_a_hint_written_into_a_message_is_found_as_the_suggestion():
    assert RulebookError("unknown key `tittle` in rulebook (did you mean `title`?)").suggestion == "title"


BLOCK = """\
      - when: |
          level == 'low'
          and bogus > 3
        value: yes_a
        because: a holds
"""


def test_an_expression_error_on_a_later_line_of_a_block_scalar_is_reported_at_that_line(minimal):
    path = minimal(replace={"      - {when: a, value: yes_a, because: a holds}\n": BLOCK})
    with pytest.raises(RulebookInvalid) as caught:
        load_rulebook(path)
    error = caught.value.errors[0]
    line = path.read_text().splitlines().index("          and bogus > 3") + 1
    assert (error.code, error.line, error.column) == ("expression.unknown_name", line, None)
    assert error.message == "in expression `level == 'low'\nand bogus > 3\n`: unknown name `bogus`"


def test_an_expression_error_on_its_first_line_keeps_the_expression_s_own_place(minimal):
    path = minimal(replace={"{when: a,": "{when: bogus and a,"})
    with pytest.raises(RulebookInvalid) as caught:
        load_rulebook(path)
    assert (caught.value.line, caught.value.column) == (19, 16)
    assert caught.value.errors[0].code == "expression.unknown_name"


@pytest.mark.parametrize("name, candidates, expected", [
    ("famly_dynamics", ["family_dynamics", "case_id"], "family_dynamics"),   # a letter dropped
    ("reveiw_tray", ["review_tray", "pwt"], "review_tray"),                  # two letters swapped
    ("Family_Dynamics", ["family_dynamics"], "family_dynamics"),             # capitals
    ("hi", ["low", "high"], "high"),                                         # cut short
    ("pwy", ["pwt", "guide"], "pwt"),
    ("worker_name", ["referrer_name", "case_id"], None),                     # alike, but not a typo
    ("team", ["name", "case_id"], None),
    ("notes", ["nature", "risk"], None),
])
def test_did_you_mean_proposes_only_a_name_a_typing_mistake_away(name, candidates, expected):
    assert closest(name, candidates) == expected
