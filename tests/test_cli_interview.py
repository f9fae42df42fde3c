"""`policyengine interview`: the terminal asks only what can still change the
decision, takes choices by number, re-asks a refused answer, and saves the case."""
import pytest
import yaml

from policyengine import load_rulebook
from tests.conftest import RULEBOOKS
from tests.engine.test_interview import ROUTES


@pytest.fixture
def routes(minimal):
    head = minimal().read_text().split("inputs:")[0]
    path = minimal().with_name("routes.yaml")
    path.write_text(head + ROUTES)
    return path


def test_the_interview_asks_until_the_outcome_is_decided_then_prints_the_decision(cli, routes, tmp_path):
    out = tmp_path / "case.yaml"
    result = cli("interview", "--rulebook", routes, "--as-of", "2026-11-22", "-o", out,
                 input="R-1\nno\n2\n1\n")
    assert result.exit_code == 0, result.output
    prompts = [line.split(":")[0] for line in result.output.splitlines() if "?" in line]
    assert prompts == ["Case reference?", "Urgent? (yes or no)", "Risk?", "Support?"]
    assert "  Route: Red\n" in result.output
    assert yaml.safe_load(out.read_text()) == {"case_id": "R-1", "urgent": False, "risk": "high",
                                               "support": "none"}
    decision = load_rulebook(routes).evaluate(yaml.safe_load(out.read_text()), None)
    assert decision.outcomes == {"route": "red"}


def test_an_answer_that_does_not_fit_is_refused_and_asked_again(cli, routes):
    result = cli("interview", "--rulebook", routes, "--as-of", "2026-11-22", input="R-1\nperhaps\nyes\n")
    assert result.exit_code == 0, result.output
    assert "  Select yes or no.\n" in result.output
    assert "  Route: Duty\n" in result.output


def test_a_choice_out_of_range_is_refused_and_asked_again(cli, routes):
    result = cli("interview", "--rulebook", routes, "--as-of", "2026-11-22", input="R-1\nno\n7\n1\n2\n\n")
    assert result.exit_code == 0, result.output
    assert "  Select one of the options.\n" in result.output
    assert "  Route: Tray\n" in result.output  # risk low, support never asked, ticked left not known


def test_questions_left_not_known_leave_the_outcome_pending_and_say_what_is_still_needed(cli, routes):
    result = cli("interview", "--rulebook", routes, "--as-of", "2026-11-22", input="R-1\n\n2\n1\n")
    assert result.exit_code == 0, result.output
    assert "Still needed to decide route: Urgent?" in result.output


def test_the_case_reference_must_be_given(cli, routes):
    result = cli("interview", "--rulebook", routes, "--as-of", "2026-11-22", input="\nR-1\nyes\n")
    assert "  This question must be answered.\n" in result.output
    assert result.exit_code == 0


@pytest.mark.parametrize("rulebook", sorted(p.stem for p in RULEBOOKS.glob("*.yaml")))
def test_every_shipped_rulebook_can_be_interviewed_leaving_everything_not_known(cli, rulebook):
    result = cli("interview", "--rulebook", RULEBOOKS / f"{rulebook}.yaml", "--as-of", "2026-11-22",
                 input="X-1\n" + "\n" * 60)
    assert result.exit_code == 0, result.output
    assert "case X-1 · as of 22 November 2026" in result.output


def test_choices_are_listed_by_their_labels_as_on_the_web_form(cli):
    result = cli("interview", "--rulebook", RULEBOOKS / "leicestershire.yaml", "--as-of", "2026-11-22",
                 input="L-1\nno\nyes\nno\n1\n1\n" + "\n" * 30)
    assert result.exit_code == 0, result.output
    assert "  1  High risk of harm\n  2  Moderate risk of harm\n  3  Low risk of harm\n" in result.output
