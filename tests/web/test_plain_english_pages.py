"""Every web page speaks the reader's language (issue #15): the text people read on
every page, for every shipped rulebook and its shipped examples, has no identifier,
no comparison symbol and no ISO date. What is not read as text is left out: tags,
scripts, styles and attribute values (a form's field names and values are ids on
purpose), the policy document's technical appendix (for policy owners), and the
upload page's column names, which are the caseload's headers (shown as code beside
their labels)."""
import datetime as dt
import html
import re

import pytest
from fastapi.testclient import TestClient

from policyengine.engine.cases import read_case_file
from policyengine.web import create_app
from policyengine.web.pages import decision_link

from ..conftest import EXAMPLES, RULEBOOKS
from ..formats.test_plain_english import code_in
from .boxes import boxed
from .test_web import RED_CASE

AS_OF = "2026-11-22"
ISO_DATE = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b")
BOOKS = sorted(p.stem for p in RULEBOOKS.glob("*.yaml"))
#: Each shipped caseload with its rulebook (the fork's is Northfield's, served from its own folder).
CASELOADS = [(p, p.parent.name if p.parent.name != "forks" else "northfield")
             for p in sorted(EXAMPLES.glob("*/caseload.*"))]


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(str(RULEBOOKS)))


@pytest.fixture(scope="module")
def forks():
    return TestClient(create_app(str(EXAMPLES / "forks")))


def read_text(page: str) -> str:
    """What a person reads on ``page``: its text, without markup, scripts, styles or attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = page.split("Technical appendix: the rules as written", 1)[0]  # the policy document's, for its owners
    page = re.sub(r'<code class="(cell|technical)">[^<]*</code>', " ", page)  # what is typed in a file, as typed
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def not_for_people(page: str) -> list[str]:
    """The identifiers, comparison symbols and ISO dates a person would read on ``page``."""
    text = read_text(page)
    return code_in(text) + ISO_DATE.findall(text)


def token(client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def as_form(case: dict) -> dict:
    """A case file's answers as the form sends them: yes/no, a box per list item, ISO dates (boxed)."""
    form = {}
    for name, value in case.items():
        if isinstance(value, bool):
            form[name] = "yes" if value else "no"
        elif isinstance(value, list):
            form[name] = [str(v) for v in value] or ["_none"]
        elif isinstance(value, dt.date):
            form[name] = value.isoformat()
        elif value is not None:
            form[name] = str(value)
    return form


def interview_link(client, book: str, case: dict) -> str:
    """The decision page of ``case`` as the interview reaches it, the rest not known."""
    site = client.app.state.site
    raw = {k: [] if v == ["_none"] else v for k, v in as_form(case).items()}
    return decision_link(site, site.books[book], raw, dt.date.fromisoformat(AS_OF), "interview")


def examples():
    return [(book, case) for book in BOOKS
            for case in sorted((EXAMPLES / book).glob("*.y*ml")) + sorted((EXAMPLES / book).glob("*.json"))]


@pytest.mark.parametrize("book", BOOKS)
def test_the_policy_page_reads_without_code_but_in_its_appendix(client, book):
    page = client.get(f"/rulebooks/{book}")
    assert page.status_code == 200
    assert "Technical appendix: the rules as written" in page.text
    assert not_for_people(page.text) == []


@pytest.mark.parametrize("book", BOOKS)
def test_the_form_and_the_form_with_errors_read_without_code(client, book):
    form = client.get(f"/rulebooks/{book}/evaluate")
    refused = client.post(f"/rulebooks/{book}/evaluate",
                          data=boxed({"csrf": token(client, f"/rulebooks/{book}/evaluate"), "as_of": "2026-02-30"}))
    assert (form.status_code, refused.status_code) == (200, 422)
    assert "There is a problem" in refused.text
    assert not_for_people(form.text) == []
    assert not_for_people(refused.text) == []


def test_a_field_the_engine_refuses_is_named_by_its_label(client):
    form = {"csrf": token(client, "/rulebooks/leicestershire/evaluate"), **RED_CASE, "case_id": "L-1\tL-2"}
    refused = client.post("/rulebooks/leicestershire/evaluate", data=boxed(form))
    assert refused.status_code == 422
    assert ("<span class=\"visually-hidden\">Error:</span> “Case ID” holds a control character (such as a line "
            "break or a tab)") in refused.text
    assert not_for_people(refused.text) == []


@pytest.mark.parametrize("book, case", examples(), ids=lambda p: getattr(p, "stem", p))
def test_each_examples_decision_and_print_views_read_without_code(client, book, case):
    answers, _ = read_case_file(case)
    form = {"csrf": token(client, f"/rulebooks/{book}/evaluate"), **as_form(answers), "as_of": AS_OF}
    decision = client.post(f"/rulebooks/{book}/evaluate", data=boxed(form))
    if decision.status_code == 422:  # an example that leaves required answers out (at the front door)
        assert "it is required" in decision.text
        assert not_for_people(decision.text) == []
        decision = client.get(interview_link(client, book, answers))  # its answers as an interview's
    assert decision.status_code == 200, read_text(decision.text)[:2000]
    assert "Decision for case" in decision.text
    assert not_for_people(decision.text) == []
    for link in re.findall(r'href="(/rulebooks/[^"]+/documents/[^"]+)"', decision.text):
        printed = client.get(html.unescape(link))
        assert printed.status_code == 200
        assert not_for_people(printed.text) == []


@pytest.mark.parametrize("book", BOOKS)
def test_the_interviews_first_page_and_a_later_one_read_without_code(client, book):
    first = client.get(f"/rulebooks/{book}/interview")
    state = re.search(r'name="state" value="([^"]+)"', first.text).group(1)
    later = client.post(f"/rulebooks/{book}/interview", data=boxed({
        "csrf": token(client, f"/rulebooks/{book}/interview"), "state": state, "case_id": "C-1", "as_of": AS_OF,
        "action": "answer"}))
    assert (first.status_code, later.status_code) == (200, 200)
    assert "question 2" in later.text
    assert not_for_people(first.text) == []
    assert not_for_people(later.text) == []


@pytest.mark.parametrize("book", BOOKS)
def test_the_upload_page_reads_without_code_but_its_column_names(client, book):
    page = client.get(f"/rulebooks/{book}/upload")
    assert page.status_code == 200
    assert not_for_people(page.text) == []


@pytest.mark.parametrize("caseload, book", CASELOADS, ids=lambda p: getattr(p, "name", p))
def test_the_worklist_of_each_shipped_caseload_reads_without_code(client, forks, caseload, book):
    client = forks if book == "northfield" else client
    form = {"csrf": token(client, f"/rulebooks/{book}/upload"), "as_of": AS_OF, "action": "worklist",
            "ignore": "worker_name, team, notes"}
    page = client.post(f"/rulebooks/{book}/upload", data=boxed(form),
                       files={"caseload": (caseload.name, caseload.read_bytes())})
    assert page.status_code == 200, read_text(page.text)[:2000]
    assert "<h1>Worklist</h1>" in page.text
    assert not_for_people(page.text) == []


def test_the_error_pages_read_without_code(client):
    missing = client.get("/rulebooks/no_such_rulebook")
    stale = client.get("/rulebooks/leicestershire/decision?case=changed")
    assert (missing.status_code, stale.status_code) == (404, 400)
    assert not_for_people(missing.text) == []
    assert not_for_people(stale.text) == []


def test_the_checker_finds_what_a_person_should_not_read():
    assert not_for_people("<p>Escalate to ssm: <b>escalate_to_ssm</b> as of 2026-11-22, 3 &gt;= 2</p>") == [
        "escalate_to_ssm", ">=", "2026-11-22"]
    assert not_for_people('<input name="risk_level" value="2026-11-22"><p>Risk level</p>') == []


# -- the labels are the ones the guidance uses (the checks above would pass a humanised id) --
def test_the_decision_page_names_outcomes_and_values_by_their_labels(client):
    answers, _ = read_case_file(EXAMPLES / "leicestershire" / "amber-on-tray.yaml")
    form = {"csrf": token(client, "/rulebooks/leicestershire/evaluate"), **as_form(answers), "as_of": AS_OF}
    page = client.post("/rulebooks/leicestershire/evaluate", data=boxed(form)).text
    route = page.split('<tr id="outcome-route">')[1].split("</tr>")[0]
    assert '<th scope="row">Route</th>' in route and "<strong>Planned Work Tray</strong>" in route
    assert '<th scope="row">RAG rating</th>' in page and '<th scope="row">Rag</th>' not in page


def test_form_choices_read_by_their_labels_and_send_their_ids(client):
    page = client.get("/rulebooks/leicestershire/evaluate").text
    assert ('<input id="risk-high" name="risk" type="radio" value="high">\n'
            '<label for="risk-high">High risk of harm</label>') in page
    assert ('value="mha_assessment_request">\n'
            '<label for="risk_indicators-mha_assessment_request">Mental Health Act assessment request</label>') in page


def test_the_worklist_page_names_outcomes_and_values_by_their_labels(client):
    caseload = EXAMPLES / "leicestershire" / "caseload.csv"
    form = {"csrf": token(client, "/rulebooks/leicestershire/upload"), "as_of": AS_OF, "action": "worklist",
            "ignore": "worker_name, team, notes"}
    page = client.post("/rulebooks/leicestershire/upload", data=boxed(form),
                       files={"caseload": (caseload.name, caseload.read_bytes())}).text
    summary = page.split("<h2>Summary</h2>")[1]
    assert "<tr><th>Route</th><td>Planned Work Tray: " in summary
    assert "<th>RAG rating</th>" in summary
    assert "<td>20 October 2026</td>" in page  # a date in a table, the British way
    assert "<td>Actions</td><td>gains: The review contact is overdue." in page  # a list by what it gains


def test_the_upload_page_shows_each_column_by_its_name_and_its_label(client):
    page = client.get("/rulebooks/leicestershire/upload").text
    assert ('<tr><td><code class="cell">risk</code> Risk of harm</td>' in page)
    assert ('one of: <code class="cell">high</code> (High risk of harm), <code class="cell">moderate</code> '
            '(Moderate risk of harm), <code class="cell">low</code> (Low risk of harm)</td>') in page


def test_an_interview_asking_a_date_second_shows_its_page(client):
    first = client.get("/rulebooks/cambridgeshire/interview")
    state = re.search(r'name="state" value="([^"]+)"', first.text).group(1)
    later = client.post("/rulebooks/cambridgeshire/interview", data=boxed({
        "csrf": token(client, "/rulebooks/cambridgeshire/interview"), "state": state, "case_id": "C-1",
        "as_of": AS_OF, "action": "answer"}))
    assert later.status_code == 200
    assert 'class="date-input"' in later.text  # was a 500: the error summary asked a date without an error for its box


def test_the_list_of_rulebooks_reads_without_code(client):
    assert not_for_people(client.get("/").text) == []
