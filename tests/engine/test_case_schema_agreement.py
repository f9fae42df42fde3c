"""The case schema `policyengine schema` exports and the engine agree on every case (#20).

A system that checks a case against the exported schema before sending it must
get the engine's own verdict: the same generated cases, good and bad, go
through jsonschema and through the engine's case reader.
"""
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from policyengine import CaseError, load_rulebook
from policyengine.errors import Location

from ..conftest import RULEBOOKS

#: Text a case reference or note may hold (control characters are refused by the
#: engine for reasons a schema cannot say: a case id must be one line).
TEXT = st.text(alphabet="abcXYZ 0123456789-'", max_size=8)
ANYTHING = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False), TEXT,
                     st.sampled_from(["2026-11-24", "2026-02-30", "24/11/2026", "2026-11-24T10:00:00", "yes", "no"]),
                     st.lists(TEXT, max_size=2))


def good(spec):
    return {
        "boolean": st.booleans(),
        "integer": st.integers(*(b if b is not None else d for b, d in ((spec.minimum, -5), (spec.maximum, 50)))),
        "string": st.one_of(TEXT, st.integers(0, 10**9)),
        "date": st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2030, 12, 31)).map(dt.date.isoformat),
        "enum": st.sampled_from(spec.values),
        "list": st.lists(st.sampled_from(spec.values), unique=True),
    }[spec.type]


def cases(book):
    fields = {name: st.one_of(good(spec), good(spec), ANYTHING) for name, spec in book.inputs.items()
              if name != "case_id"}
    required = {name: fields.pop(name) for name in book.reader.required if name != "case_id"}
    return st.fixed_dictionaries({"case_id": st.one_of(TEXT.filter(str.strip), st.integers(0, 10**9)),
                                  **required}, optional={**fields, "not_an_input": st.just("x")})


@pytest.mark.parametrize("path", sorted(RULEBOOKS.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_exported_case_schema_and_the_engine_give_the_same_verdict(path):
    book = load_rulebook(path)
    schema = Draft202012Validator(book.case_schema(), format_checker=FormatChecker())

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases(book))
    def check(case):
        try:
            book.reader.read(case, Location())
            engine = True
        except CaseError:
            engine = False
        assert schema.is_valid(case) == engine, [e.message for e in schema.iter_errors(case)]

    check()
