"""Whatever a case holds, evaluate answers or raises the engine's own error."""
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from policyengine import PolicyEngineError
from policyengine import load_rulebook

from ..conftest import RULEBOOKS

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15), st.text(max_size=12),
                    st.floats(allow_nan=True), st.dates(min_value=dt.date(1900, 1, 1)))


def case_strategy(book):
    fields = {}
    for name, spec in book.inputs.items():
        good = {
            "boolean": st.booleans(),
            "integer": st.integers(spec.minimum if spec.minimum is not None else -5,
                                   spec.maximum if spec.maximum is not None else 50),
            "string": st.text(max_size=10),
            "date": st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2030, 12, 31)),
            "enum": st.sampled_from(spec.values or ("x",)),
            "list": st.lists(st.sampled_from(spec.values or ("x",)), unique=True),
        }[spec.type]
        fields[name] = st.one_of(good, good, good, SCALARS, st.lists(SCALARS, max_size=2))
    required = {n: fields.pop(n) for n in book.reader.required}
    return st.fixed_dictionaries(required, optional=fields)


@pytest.mark.parametrize("path", sorted(RULEBOOKS.glob("*.yaml")), ids=lambda p: p.stem)
def test_no_case_makes_evaluate_raise_anything_but_engine_errors(path):
    book = load_rulebook(path)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case_strategy(book), st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)))
    def check(case, as_of):
        try:
            decision = book.evaluate(case, as_of)
        except PolicyEngineError:
            return
        assert set(decision.outcomes) == set(book.outcomes)
        for doc in decision.documents:
            from policyengine import render

            render(decision, doc, draft=True)  # a draft: the shipped letters' phone numbers are placeholders

    check()
