"""The web interview (/rulebooks/<id>/interview): one question a page, only the
questions that can still change the decision, answers carried in a signed
hidden field, then the decision with what is still needed, what would change
it and what happens next."""
import re

import pytest
from fastapi.testclient import TestClient

from policyengine.web import create_app

from ..conftest import MINIMAL, ROOT
from ..engine.test_interview import ROUTES
from .boxes import boxed

LISTS = """
  tasks: {type: list, values: [court, visit], question: 'Which tasks are needed?'}
"""


@pytest.fixture
def client(tmp_path):
    head = MINIMAL.split("inputs:")[0].replace("id: mini", "id: routes")
    rulebook = head + ROUTES.replace("  ticked:", LISTS.strip("\n") + "\n  ticked:").replace(
        "      - {when: ticked,", "      - {when: \"'court' in tasks\", value: court, because: court}\n"
                                  "      - {when: ticked,")
    (tmp_path / "routes.yaml").write_text(rulebook, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(rulebook.replace("id: routes", "id: other"), encoding="utf-8")
    return TestClient(create_app(str(tmp_path)))


def heading(page: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)).strip()


def send(client, page: str, rulebook: str = "routes", **answers):
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    state = re.search(r'name="state" value="([^"]+)"', page).group(1)
    return client.post(f"/rulebooks/{rulebook}/interview", data=boxed({"csrf": csrf, "state": state, **answers}))


def start(client, case_id="R-1"):
    first = client.get("/rulebooks/routes/interview")
    return send(client, first.text, case_id=case_id, as_of="2026-11-22", action="answer")


def test_the_first_page_asks_the_case_reference_and_cannot_be_left_not_known(client):
    page = client.get("/rulebooks/routes/interview")
    assert page.status_code == 200
    assert heading(page.text) == "Case reference?"
    assert 'value="not_known"' not in page.text and " checked" not in page.text
    refused = send(client, page.text, case_id="", action="answer")
    assert refused.status_code == 422
    assert "Answer “Case reference?”: it is needed for the record" in refused.text


def test_an_answer_that_decides_everything_goes_straight_to_the_decision(client):
    page = start(client)
    assert heading(page.text) == "Urgent?"
    decision = send(client, page.text, urgent="yes", action="answer")
    assert heading(decision.text) == "Decision for case R-1"
    assert re.search(r'id="outcome-route">.*?<strong>Duty</strong>', decision.text, re.S)
    assert 'id="still-needed"' not in decision.text
    assert "What happens next if nothing changes" in decision.text


def test_only_questions_that_can_still_change_the_outcome_are_asked(client):
    asked = []
    page = start(client)
    for answer in ({"urgent": "no"}, {"risk": "low"}, {"tasks": "_none"}, {"ticked": "no"}):
        asked.append(heading(page.text))
        page = send(client, page.text, action="answer", **answer)
    assert asked == ["Urgent?", "Risk?", "Which tasks are needed?", "Ticked?"]  # never support nor notes
    assert heading(page.text) == "Decision for case R-1"
    assert re.search(r'id="outcome-route">.*?<strong>Tray</strong>', page.text, re.S)


def test_a_question_left_not_known_is_listed_as_still_needed(client):
    page = send(client, start(client).text, action="not_known")
    page = send(client, page.text, risk="high", action="answer")
    page = send(client, page.text, support="none", action="answer")
    assert heading(page.text) == "Decision for case R-1"
    assert re.search(r'id="outcome-route">.*?Not known yet', page.text, re.S)
    needed = re.search(r'<section id="still-needed">(.*?)</section>', page.text, re.S).group(1)
    assert "<strong>Route</strong>: Urgent?" in needed


def test_an_answer_that_does_not_fit_is_refused_on_the_same_page(client):
    page = start(client)
    refused = send(client, page.text, urgent="perhaps", action="answer")
    assert refused.status_code == 422
    assert heading(refused.text) == "Urgent?"
    assert "Select yes or no" in refused.text
    nothing = send(client, page.text, action="answer")
    assert nothing.status_code == 422 and "Select an answer, or choose “I do not know”" in nothing.text


def test_none_of_these_cannot_be_ticked_with_another_box(client):
    page = send(client, send(client, start(client).text, urgent="no", action="answer").text, risk="low",
                action="answer")
    assert heading(page.text) == "Which tasks are needed?"
    assert 'value="_none"' in page.text and ">None of these<" in page.text
    both = send(client, page.text, tasks=["court", "_none"], action="answer")
    assert both.status_code == 422 and "not both" in both.text
    court = send(client, page.text, tasks=["court"], action="answer")
    assert re.search(r'id="outcome-route">.*?<strong>Court</strong>', court.text, re.S)


def test_back_forgets_the_last_answer_and_asks_it_again(client):
    page = send(client, start(client).text, urgent="no", action="answer")
    assert heading(page.text) == "Risk?"
    back = send(client, page.text, action="back")
    assert heading(back.text) == "Urgent?"
    assert heading(send(client, back.text, urgent="yes", action="answer").text) == "Decision for case R-1"


def test_answers_changed_in_the_hidden_field_are_refused(client):
    page = start(client).text
    state = re.search(r'name="state" value="([^"]+)"', page).group(1)
    body, mac = state.split(".")
    forged = page.replace(state, body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac)
    refused = send(client, forged, urgent="yes", action="answer")
    assert refused.status_code == 400
    assert "Your answers so far could not be read" in refused.text


def test_answers_signed_for_one_rulebook_are_refused_by_another(client):
    refused = send(client, start(client).text, rulebook="other", urgent="yes", action="answer")
    assert refused.status_code == 400


def test_the_evaluate_form_decision_shows_what_would_change_it(client):
    page = client.get("/rulebooks/routes/evaluate").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    decision = client.post("/rulebooks/routes/evaluate", data={
        "csrf": csrf, "case_id": "F1", "level": "low", "urgent": "no", "risk": "high", "support": "some",
        "tasks": ["visit"], "ticked": "no", "as_of": "2026-11-22"})
    assert decision.status_code == 200
    would = re.search(r'<section id="what-would-change">(.*?)</section>', decision.text, re.S).group(1)
    assert "Route would be <strong>Duty</strong> if: Urgent? <strong>Yes</strong>" in would
    assert "Route would be <strong>Red</strong> if: Support? <strong>None</strong>" in would


def test_a_shipped_rulebook_can_be_interviewed_to_a_decision_leaving_everything_not_known():
    client = TestClient(create_app(str(ROOT / "rulebooks")))
    page = client.get("/rulebooks/knowsley/interview")
    page = send(client, page.text, "knowsley", case_id="K-1", as_of="2026-11-22", action="answer")
    for _ in range(40):
        if heading(page.text).startswith("Decision for case"):
            break
        page = send(client, page.text, "knowsley", action="not_known")
    assert heading(page.text) == "Decision for case K-1"


def test_the_evaluate_form_tells_none_of_these_from_a_list_left_unanswered(client):
    page = client.get("/rulebooks/routes/evaluate").text
    assert ">None of these<" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    base = {"csrf": csrf, "case_id": "F1", "level": "low", "urgent": "no", "risk": "low", "ticked": "no",
            "as_of": "2026-11-22"}
    unanswered = client.post("/rulebooks/routes/evaluate", data=base)
    assert re.search(r'id="outcome-route">.*?Not known yet', unanswered.text, re.S)
    none = client.post("/rulebooks/routes/evaluate", data={**base, "tasks": ["_none"]})
    assert re.search(r'id="outcome-route">.*?<strong>Tray</strong>', none.text, re.S)
    both = client.post("/rulebooks/routes/evaluate", data={**base, "tasks": ["_none", "visit"]})
    assert both.status_code == 422 and "not both" in both.text


def test_nothing_ticked_on_a_list_question_is_not_an_answer(client):
    page = send(client, send(client, start(client).text, urgent="no", action="answer").text, risk="low",
                action="answer")
    nothing = send(client, page.text, action="answer")
    assert nothing.status_code == 422 and "Select an answer, or choose “I do not know”" in nothing.text


def test_a_document_of_an_interview_decision_renders_from_the_answers_it_carries():
    client = TestClient(create_app(str(ROOT / "rulebooks")))
    page = client.get("/rulebooks/knowsley/interview")
    page = send(client, page.text, "knowsley", case_id="K-2", as_of="2026-11-22", action="answer")
    while not heading(page.text).startswith("Decision for case"):
        name = re.search(r'<input id="([a-z_0-9]+)-', page.text)
        if name and 'value="_none"' in page.text:
            page = send(client, page.text, "knowsley", action="answer", **{name.group(1): "_none"})
        else:
            page = send(client, page.text, "knowsley", action="not_known")
    form = re.search(r'<form method="post" action="(/rulebooks/knowsley/documents/[a-z_]+)".*?</form>',
                     page.text, re.S)
    fields = dict(re.findall(r'name="(csrf|decision)" value="([^"]*)"', form.group(0)))
    assert set(fields) == {"csrf", "decision"}  # the decision's own sealed link: its answers, read as it read them
    shown = client.post(form.group(1), data={**fields, "action": "text"})
    assert shown.status_code == 200, shown.text
    assert "Case: K-2" in shown.text


def test_the_date_of_the_decision_is_three_boxes_and_a_wrong_one_is_linked_to_its_first_box(client):
    page = client.get("/rulebooks/routes/interview")
    assert 'id="as_of-day" name="as_of-day" type="text" inputmode="numeric"' in page.text
    assert 'type="date"' not in page.text
    refused = send(client, page.text, case_id="R-9", action="answer",
                   **{"as_of-day": "29", "as_of-month": "2", "as_of-year": "2026"})
    assert refused.status_code == 422 and heading(refused.text) == "Case reference?"
    assert '<li><a href="#as_of-day">The date of the decision must be a real date</a></li>' in refused.text
    assert 'id="case_id" name="case_id" type="text" value="R-9"' in refused.text  # what was typed is kept
    assert 'id="as_of-month" name="as_of-month" type="text" inputmode="numeric" value="2"' in refused.text


def test_a_radio_questions_error_is_linked_to_its_first_radio(client):
    nothing = send(client, start(client).text, action="answer")
    assert '<li><a href="#urgent-yes">Select an answer, or choose “I do not know”</a></li>' in nothing.text


def test_the_interviews_decision_is_a_page_of_its_own_that_keeps_what_was_not_known(client):
    page = send(client, start(client).text, action="not_known")
    page = send(client, page.text, risk="high", action="answer")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    state = re.search(r'name="state" value="([^"]+)"', page.text).group(1)
    posted = client.post("/rulebooks/routes/interview", data={"csrf": csrf, "state": state, "support": "none",
                                                               "action": "answer"}, follow_redirects=False)
    assert posted.status_code == 303 and posted.headers["location"].startswith("/rulebooks/routes/decision?case=")
    again = client.get(posted.headers["location"])  # Back, or a reload: the same decision
    assert re.search(r'id="outcome-route">.*?Not known yet', again.text, re.S)  # "not known" is never "no"
    assert '<a href="/rulebooks/routes/interview" class="back-link">Decide another case</a>' in again.text
