"""The ADASS tiers say only what survives of the article (#14): no factor it does not name, the
scores and bands it gives, and eligibility (Fair Access to Care Services) flagged as coming first.
"""
import datetime as dt
import re

import pytest
import yaml

from policyengine import load_rulebook, render
from policyengine.engine.english import name

from ..conftest import RULEBOOKS

AS_OF = dt.date(2026, 11, 22)
FACTORS = [f"factor_{n}" for n in range(1, 7)]
TEMPLATE = RULEBOOKS / "templates" / "adass_tiers" / "tier_note.md.j2"


def scores(*values):
    return dict(zip(FACTORS, values))


def decide(books, case_id="A-1", **case):
    return books["adass_tiers"].evaluate({"case_id": case_id, **case}, AS_OF)


# The article: "it is applying to cases the following factors:" is followed by nothing.
def test_no_factor_is_named_that_the_article_does_not_name():
    text = (RULEBOOKS / "adass_tiers.yaml").read_text(encoding="utf-8") + TEMPLATE.read_text(encoding="utf-8")
    for invented in ("risk", "breadth", "depth"):
        assert not re.search(invented, text, flags=re.I), invented


def test_the_inputs_are_six_unnamed_factors_each_scored_1_to_3(books):
    inputs = books["adass_tiers"].inputs
    assert list(inputs) == ["case_id", *FACTORS]
    for name in FACTORS:
        assert (inputs[name].type, inputs[name].minimum, inputs[name].maximum, inputs[name].required) == (
            "integer", 1, 3, True)


def test_the_source_note_quotes_exactly_what_survives_of_the_vignette():
    data = yaml.safe_load((RULEBOOKS / "adass_tiers.yaml").read_text(encoding="utf-8"))
    note = " ".join(data["rulebook"]["sources"]["article"]["note"].split())
    assert '"After taking into account Fair Access to Care Services eligibility it is applying to cases ' \
           'the following factors:" (followed by nothing: no factor is named)' in note
    assert '"Scores are given for each (1-3) and tiers of complexity worked out: Tier 1 – 1-9 points ' \
           'Tier 2 – 10-13 points Tier 3 – 14-18 points"' in note


def test_each_factor_name_is_a_placeholder_the_council_replaces(books):
    book = books["adass_tiers"]
    assert book.placeholders == {f"{f}_name" for f in FACTORS}
    assert book.settings["factor_1_name"] == "Factor 1 (not named in the surviving article)"


# "Tier 1 – 1-9 points Tier 2 – 10-13 points Tier 3 – 14-18 points"
@pytest.mark.parametrize("total", range(6, 19))
def test_every_possible_total_falls_in_the_articles_band(books, total):
    values = [1] * 6
    for i in range(total - 6):
        values[i % 6] += 1
    d = decide(books, **scores(*values))
    assert d.outcomes["score"] == total
    assert d.outcomes["tier"] == (1 if total <= 9 else 2 if total <= 13 else 3)


# "After taking into account Fair Access to Care Services eligibility it is applying ..."
def test_eligibility_coming_first_is_flagged_in_the_reason_and_the_note(books):
    d = decide(books, **scores(2, 2, 2, 2, 2, 2))
    because = next(s.because for s in d.explanation if s.outcome == "score")
    assert '"after taking into account Fair Access to Care Services eligibility"' in because
    assert "which this rulebook does not check (the Care Act 2014's eligibility criteria have since replaced it)" \
        in because
    note = render(d, "tier_note")
    assert "This note does not record eligibility" in note


def test_a_fork_names_its_factors_and_the_note_uses_them(tmp_path):
    fork = tmp_path / "ours.yaml"
    fork.write_text(
        f"extends: {RULEBOOKS / 'adass_tiers.yaml'}\n"
        "rulebook: {id: ours, council: Our Council}\n"
        "settings: {factor_1_name: Safeguarding concerns, factor_2_name: Carer breakdown, "
        "factor_3_name: Health needs, factor_4_name: Housing, factor_5_name: Capacity, "
        "factor_6_name: Family conflict}\n"
        "tests:\n  - {name: lowest, case: {case_id: O1, factor_1: 1, factor_2: 1, factor_3: 1, factor_4: 1, "
        "factor_5: 1, factor_6: 1}, expect: {tier: 1}}\n", encoding="utf-8")
    book = load_rulebook(fork)
    assert book.placeholders == frozenset()
    note = render(book.evaluate({"case_id": "O-1", **scores(3, 3, 2, 2, 1, 1)}, AS_OF), "tier_note")
    assert "| Safeguarding concerns | 3 |" in note and "| Family conflict | 1 |" in note
    assert "not named" not in note


# Two realistic cases: the note says the case's scores and tier, and no other tier's band.
def test_the_tier_2_note_gives_its_band_and_no_other(cli, books):
    score = name(books["adass_tiers"].labels, "score")
    result = cli("render", "-r", "rulebooks/adass_tiers.yaml", "examples/adass_tiers/tier-2.yaml",
                 "-d", "tier_note", "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.stderr
    note = result.output
    assert "| Factor 1 (not named in the surviving article) | 3 |\n" in note
    assert "| **Total** | **11** |" in note
    assert f"Tier 2: {score} is 11, from 10 to 13: Tier 2 – 10–13 points (article, workload vignette)." in note
    assert "Tier 1 –" not in note and "Tier 3 –" not in note
    assert "the model does not say what each tier means for allocation" in note
    assert "not recorded" not in note


def test_a_note_from_a_partial_case_says_not_recorded_and_invents_no_tier(books):
    d = books["adass_tiers"].evaluate({"case_id": "P-1", "factor_1": 1, "factor_2": 3}, AS_OF, partial=True)
    note = render(d, "tier_note")
    assert "| Factor 3 (not named in the surviving article) | not recorded |" in note
    assert "| **Total** | **not recorded** |" in note
    assert "Tier: not known yet: a score is not recorded (article, workload vignette)." in note
    assert not re.search(r"Tier [123]", note)


def test_a_tier_already_settled_by_the_scores_in_is_given_before_the_last_score(books):
    d = books["adass_tiers"].evaluate({"case_id": "P-2", **scores(3, 3, 3, 3, 3)}, AS_OF, partial=True)
    assert (d.outcomes["score"], d.outcomes["tier"]) == (None, 3)  # 16 to 18: tier 3 whatever factor 6 is
    assert "Tier 3: Tier 3 – 14–18 points" in render(d, "tier_note")
