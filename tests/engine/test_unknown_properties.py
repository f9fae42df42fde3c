"""Issue #13, §4: deciding with unanswered questions is never wrong.

For a random complete case of each shipped rulebook (and of the same rulebook
with no boolean or list defaults, so every such question can go unanswered),
leave out a random set of the answers that then become unknown: every outcome
that is not pending equals the complete case's, and every pending outcome
really takes two different values over completions of the questions it waits
for (a completion that cannot be evaluated counts as a value of its own).
"""
import copy
import datetime as dt
import itertools
import random

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from policyengine import EvaluationError, load_rulebook
from policyengine.engine.candidates import candidates
from policyengine.engine.pipeline import load_rulebook_mapping
from policyengine.engine.unknown import UNKNOWN

from ..conftest import RULEBOOKS

PATHS = sorted(RULEBOOKS.glob("*.yaml"))
AS_OF = dt.date(2026, 11, 24)
FAULT = "could not be evaluated"
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def without_defaults(path):
    """The rulebook with every boolean and list default taken out: those questions can go unanswered."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    for spec in data["inputs"].values():
        if spec["type"] in ("boolean", "list"):
            spec.pop("default", None)
    return load_rulebook_mapping(data, name=str(path), base_dir=path.parent)


BOOKS = {p.stem: load_rulebook(p) for p in PATHS}
BOOKS.update({f"{p.stem}-no-defaults": without_defaults(p) for p in PATHS})


def answer(spec):
    return {
        "boolean": st.booleans(),
        "integer": st.integers(spec.minimum if spec.minimum is not None else -5,
                               spec.maximum if spec.maximum is not None else 60),
        "string": st.sampled_from(["a", "b", "yes", "other"]),
        "date": st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31)),
        "enum": st.sampled_from(spec.values),
        "list": st.lists(st.sampled_from(spec.values), unique=True, max_size=4),
    }[spec.type]


def removable(book):
    """The inputs that are unknown when a partial case leaves them out."""
    return [n for n, s in book.inputs.items()
            if n != "case_id" and (s.required or s.default is UNKNOWN)]


def outcome(book, case, name):
    try:
        return book.evaluate(case, AS_OF).outcomes[name]
    except EvaluationError:
        return FAULT


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_an_outcome_decided_without_some_answers_is_the_complete_cases_and_a_pending_one_really_varies(name):
    book = BOOKS[name]
    inputs = {n: answer(s) for n, s in book.inputs.items() if n != "case_id"}
    can_go = removable(book)
    if not can_go:
        pytest.skip("every question has a default")

    @SETTINGS
    @given(st.fixed_dictionaries(inputs), st.sets(st.sampled_from(can_go), min_size=1))
    def check(answers, gone):
        complete = {"case_id": "P1", **answers}
        try:
            whole = book.evaluate(complete, AS_OF)
        except EvaluationError:
            return
        case = {k: v for k, v in complete.items() if k not in gone}
        try:
            partial = book.evaluate(case, AS_OF, partial=True)
        except EvaluationError:
            raise AssertionError("a case that decides when complete cannot fault with answers left out")
        for out, value in partial.outcomes.items():
            if out not in partial.pending:
                assert value == whole.outcomes[out] and type(value) is type(whole.outcomes[out]), out
        over = " ".join(partial.warnings)
        for out, needs in partial.pending.items():
            assert needs and set(needs) <= gone, out
            if f"`{out}` is not decided" in over:
                continue
            # the questions it does not wait for cannot change it: answer them as the complete case did
            combos = list(itertools.product(*(candidates(book, book.inputs[n], AS_OF) for n in needs)))
            random.Random(0).shuffle(combos)
            seen = set()
            for combo in combos:
                seen.add(repr(outcome(book, {**complete, **dict(zip(needs, combo))}, out)))
                if len(seen) > 1:
                    break
            assert len(seen) > 1, out

    check()
