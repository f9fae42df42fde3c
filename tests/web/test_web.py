"""The web app, through Starlette's test client: pages, forms, API, safety."""
import json
import re

import pytest
from fastapi.testclient import TestClient

from policyengine.web import create_app
from policyengine import load_rulebook

from ..change.test_change_control import rag_row
from ..conftest import ROOT
from .boxes import boxed

RED_CASE = {"case_id": "L-RED", "person_name": "Pat Example", "urgent_need": "no", "ordinarily_resident": "yes",
            "support": "none", "risk": "high",
            "priority": "high", "complexity": "medium", "date_added": "2026-10-20", "as_of": "2026-11-22"}


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(str(ROOT / "rulebooks")))


def token(client, path):
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def submit(client, rulebook, fields, **extra):
    form = {"csrf": token(client, f"/rulebooks/{rulebook}/evaluate"), **fields, **extra}
    return client.post(f"/rulebooks/{rulebook}/evaluate", data=boxed(form))


def test_the_rulebooks_page_lists_every_rulebook_and_flags_review_dates(client):
    page = client.get("/").text
    for title in ("Managing Planned Work Trays in Leicestershire ASC", "1.2.2 Framework for Case Management",
                  "Allocating and Managing Cases which vary in Complexity"):
        assert title in page
    row = page.split("Managing Planned Work Trays")[1].split("</tr>")[0]
    assert "Past its review date" in row


def test_a_rulebook_page_is_the_policy_document_inside_the_services_page(client):
    page = client.get("/rulebooks/leicestershire")
    assert page.status_code == 200
    assert rag_row(load_rulebook(ROOT / "rulebooks" / "leicestershire.yaml").labels) in page.text
    assert page.text.count("<main") == 1 and page.text.count("<h1") == 1
    assert '<a href="/" class="header-link">policyengine</a>' in page.text  # the service header
    assert '<a href="/" class="back-link">Back to rulebooks</a>' in page.text
    assert '<a href="/rulebooks/leicestershire/evaluate">Evaluate a case</a>' in page.text
    assert '<a href="/rulebooks/leicestershire/upload">Upload a caseload</a>' in page.text


def test_the_form_is_generated_from_the_rulebook_inputs(client):
    page = client.get("/rulebooks/leicestershire/evaluate").text
    assert '<legend class="legend">What support does the person have?' in page
    assert 'type="radio" value="none"' in page and 'name="risk_indicators" type="checkbox"' in page
    assert 'type="date"' not in page  # three boxes, never the browser's picker (mm/dd/yyyy in Chromium)
    for part, label in (("day", "Day"), ("month", "Month"), ("year", "Year")):
        assert (f'<label class="label date-input-label" for="date_added-{part}">{label}</label>\n'
                f'<input class="input date-input-input input-width-{4 if part == "year" else 2}" '
                f'id="date_added-{part}" name="date_added-{part}" type="text" inputmode="numeric" value="">') in page
    assert '<legend class="legend">Is the person ordinarily resident in Leicestershire? </legend>' not in page
    # #13: nothing is chosen for the user; a rulebook's default is named, not pre-selected
    assert " checked" not in page
    assert "If you leave this unanswered, the rulebook takes “No”." in page
    assert "takes “Yes”" not in page  # ordinary residence must be confirmed (#14): no default stands for it
    assert page.count('<strong class="tag">required</strong>') == 7  # 6 fields + the key above the form


def test_a_red_case_gives_the_rating_the_contact_date_and_the_escalation(client):
    page = submit(client, "leicestershire", RED_CASE)
    assert page.status_code == 200
    html = page.text
    assert '<tr id="outcome-rag">' in html and "<strong>Red</strong>" in html.split('id="outcome-rag"')[1].split("</tr>")[0]
    assert "27 October 2026" in html.split('id="outcome-next_contact_due"')[1].split("</tr>")[0]
    assert "<strong>Yes</strong>" in html.split('id="outcome-escalate_to_ssm"')[1].split("</tr>")[0]
    assert "pwt When to escalate" in html
    assert "Letter to the person that their case is on the Planned Work Tray" in html
    assert "0116 000 0000" in html and "22 November 2026" in html


def test_a_missing_required_field_shows_the_error_summary_and_the_message_beside_it(client):
    fields = {k: v for k, v in RED_CASE.items() if k != "support"}
    page = submit(client, "leicestershire", fields)
    assert page.status_code == 422
    html = page.text
    assert '<h2 id="error-summary-title">There is a problem</h2>' in html
    # Linked to the first radio, which takes focus (a fieldset cannot)
    assert '<li><a href="#support-none">Answer “What support does the person have?”: it is required</a></li>' in html
    assert 'id="support-none" name="support" type="radio"' in html
    assert 'id="support-error" class="error-message"' in html
    assert 'value="high" checked' in html  # what was entered is kept


def test_a_wrong_date_is_reported_beside_its_field(client):
    page = submit(client, "leicestershire", {**RED_CASE, "date_added": "2026-02-30"})
    assert page.status_code == 422 and '<li><a href="#date_added-day">The date must be a real date</a></li>' in page.text
    assert 'class="input date-input-input input-width-2 input-error" id="date_added-day"' in page.text
    assert 'class="input date-input-input input-width-2" id="date_added-month"' in page.text  # only the day is wrong


def test_an_impossible_date_is_refused_at_its_box_and_never_read_month_first(client):
    fields = {k: v for k, v in RED_CASE.items() if k != "date_added"}
    page = submit(client, "leicestershire", fields, **{"date_added-day": "10", "date_added-month": "20",
                                                      "date_added-year": "2026"})
    assert page.status_code == 422
    assert '<li><a href="#date_added-month">The date must be a real date</a></li>' in page.text
    assert 'id="date_added-month" name="date_added-month" type="text" inputmode="numeric" value="20"' in page.text


def test_a_date_missing_a_box_says_which(client):
    fields = {k: v for k, v in RED_CASE.items() if k != "date_added"}
    page = submit(client, "leicestershire", fields, **{"date_added-day": "20", "date_added-year": "26"})
    assert '<li><a href="#date_added-month">The date must include a month</a></li>' in page.text
    page = submit(client, "leicestershire", fields, **{"date_added-day": "20", "date_added-month": "10",
                                                      "date_added-year": "26"})
    assert '<li><a href="#date_added-year">The year must include 4 numbers</a></li>' in page.text


def test_a_wrong_date_of_the_decision_is_linked_to_its_first_box(client):
    page = submit(client, "leicestershire", {**RED_CASE, "as_of": "2026-02-29"})
    assert page.status_code == 422
    assert '<li><a href="#as_of-day">The date of the decision must be a real date</a></li>' in page.text
    assert '<p id="as_of-error" class="error-message">' in page.text


def test_a_decision_is_a_page_of_its_own_that_can_be_fetched_again(client):
    """POST, then a redirect to GET: Back from the print view (or a reload) shows the decision again."""
    form = boxed({"csrf": token(client, "/rulebooks/leicestershire/evaluate"), **RED_CASE})
    posted = client.post("/rulebooks/leicestershire/evaluate", data=form, follow_redirects=False)
    assert posted.status_code == 303
    link = posted.headers["location"]
    assert link.startswith("/rulebooks/leicestershire/decision?case=")
    assert "Pat" not in link and "L-RED" not in link  # the case is sealed: history holds no one's name
    again = client.get(link)
    assert again.status_code == 200 and "<h1>Decision for case L-RED</h1>" in again.text
    printed = re.search(r'href="(/rulebooks/leicestershire/documents/person_letter\?case=[^"]+)"', again.text)
    view = client.get(printed.group(1).replace("&amp;", "&"))
    assert view.status_code == 200 and "Dear Pat Example," in view.text
    assert view.text.count("<main>") == 1 and "<h1 class=\"no-print\">Print view: " in view.text
    assert f'<a href="{link}">Back to the decision</a>' in view.text


def test_a_changed_decision_link_is_refused_not_guessed(client):
    form = boxed({"csrf": token(client, "/rulebooks/leicestershire/evaluate"), **RED_CASE})
    link = client.post("/rulebooks/leicestershire/evaluate", data=form, follow_redirects=False).headers["location"]
    changed = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    page = client.get(changed)
    assert page.status_code == 400 and "link can no longer be read" in page.text
    assert client.get(link.replace("leicestershire", "knowsley", 1)).status_code == 400  # bound to its rulebook


def test_a_form_without_the_csrf_token_is_refused(client):
    page = client.post("/rulebooks/leicestershire/evaluate", data={**RED_CASE, "csrf": "forged"})
    assert page.status_code == 403
    assert "did not come from this site" in page.text


def test_a_notes_preview_heading_sits_under_its_documents_heading_not_beside_the_pages_h1(client):
    page = submit(client, "leicestershire", RED_CASE).text
    assert page.count("<h1") == 1
    assert '<h4 class="note-title">Escalation note to the Strategic Service Manager</h4>' in page


def test_documents_print_and_download(client):
    page = submit(client, "leicestershire", RED_CASE).text
    sealed = re.search(r'name="decision" value="([^"]+)"', page).group(1)
    form = {"csrf": token(client, "/rulebooks/leicestershire/evaluate"), "decision": sealed}
    printed = client.post("/rulebooks/leicestershire/documents/person_letter", data={**form, "action": "print"})
    assert printed.status_code == 200 and "Dear Pat Example," in printed.text
    download = client.post("/rulebooks/leicestershire/documents/person_letter", data={**form, "action": "text"})
    # The phone number and the urgent-help line are still placeholders: the letter is held back as a DRAFT.
    assert download.headers["content-disposition"] == \
        'attachment; filename="leicestershire-person_letter-L-RED-DRAFT.txt"'
    assert download.text.startswith("DRAFT – not to be sent: the team phone and the urgent help line are still "
                                    "placeholders\n")
    assert "Phone: 0116 000 0000" in download.text


def upload(client, body: bytes, action: str, **extra):
    form = {"csrf": token(client, "/rulebooks/leicestershire/upload"), "as_of": "2026-11-23", "action": action, **extra}
    return client.post("/rulebooks/leicestershire/upload", data=boxed(form),
                       files={"caseload": ("caseload.csv", body, "text/csv")})


EXPORT = (ROOT / "examples" / "leicestershire" / "caseload.csv").read_bytes()


def test_a_caseload_upload_shows_the_worklist(client):
    page = upload(client, EXPORT, "worklist", ignore="worker_name, team, notes")
    assert page.status_code == 200
    assert "Escalations due (2)" in page.text and "Overdue, most overdue first (1)" in page.text
    assert "row 6 (case LCC-PWT-1005): field `risk` must be one of high, moderate, low" in page.text


def test_a_caseload_upload_downloads_every_decision_as_csv(client):
    download = upload(client, EXPORT, "download", ignore="worker_name,team,notes")
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    lines = download.text.splitlines()
    assert lines[0].startswith("\ufeffcase_id,route,rag,") and len(lines) == 8  # a BOM: Excel reads UTF-8


def test_an_upload_with_unknown_columns_says_which_and_what_to_do_in_the_browser(client):
    page = upload(client, EXPORT, "worklist")
    assert page.status_code == 422
    assert ("unknown columns `worker_name`, `team`, `notes`; rename them or tick “Skip them” below. Then choose "
            "the file again: a browser does not keep a chosen file once a page has been sent.") in page.text
    assert "--ignore-column" not in page.text
    assert ('<input id="ignore" name="ignore" type="checkbox" value="worker_name, team, notes" '
            'aria-describedby="ignore-hint">') in page.text
    assert '<li><a href="#caseload">' in page.text and '<p id="caseload-error" class="error-message">' in page.text


def test_ticking_skip_reads_the_file_without_the_columns_named(client):
    page = upload(client, EXPORT, "worklist", ignore="worker_name, team, notes")
    assert page.status_code == 200 and "Escalations due (2)" in page.text


def test_a_misspelt_column_is_never_offered_to_be_skipped(client):
    body = EXPORT.replace(b"complexity", b"complexty", 1)
    page = upload(client, body, "worklist")
    assert "`complexty` (did you mean `complexity`?)" in page.text
    assert 'value="worker_name, team, notes"' in page.text  # only the columns that are no field's misspelling


@pytest.mark.parametrize("column", ["last_contact_date", "date_of_last_contact", "LAST_CONTACT"])
def test_a_column_that_names_a_field_in_other_words_is_never_offered_to_be_skipped(client, column):
    # Skipping it would decide every case with the field not recorded (no contact yet, not overdue)
    page = upload(client, EXPORT.replace(b"last_contact", column.encode(), 1), "worklist")
    assert page.status_code == 422 and f"`{column}`" in page.text
    assert 'value="worker_name, team, notes"' in page.text


def test_the_upload_page_lists_the_columns_with_their_questions_and_allowed_values(client):
    page = client.get("/rulebooks/leicestershire/upload").text
    assert ('<tr><td><code class="cell">support</code> Support</td><td>What support does the person have? (none: no '
            "formal or informal support, or about to lose it; moderate: support that does not meet their eligible "
            'needs; full: eligible needs are met) (required)</td><td>one of: <code class="cell">none</code> (No '
            'support), <code class="cell">moderate</code> (Moderate support), <code class="cell">full</code> (Full '
            "support)</td></tr>") in page
    assert ('<tr><td><code class="cell">urgent_need</code> Immediate and urgent social care need</td>' in page
            and "<td>yes or no</td>" in page)
    assert '<a href="/rulebooks/leicestershire/template.xlsx" download>' in page
    assert '<a href="/rulebooks/leicestershire/template.csv" download>' in page


def test_an_oversized_upload_is_refused(client):
    page = upload(client, b"x" * (5 * 1024 * 1024 + 1), "worklist")
    assert page.status_code == 413


def test_security_headers_on_every_response(client):
    for path in ("/", "/rulebooks/knowsley/evaluate", "/api/rulebooks", "/nowhere"):
        headers = client.get(path).headers
        assert "script-src" not in headers["content-security-policy"]
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"


def test_pages_have_no_inline_scripts_or_styles(client):
    for path in ("/", "/rulebooks/knowsley/evaluate", "/rulebooks/knowsley/upload"):
        html = client.get(path).text
        assert "<script" not in html and "style=" not in html and "<style" not in html


def test_errors_are_pages_not_tracebacks(client):
    page = client.get("/rulebooks/nowhere/evaluate")
    assert page.status_code == 404 and "Page not found" in page.text and "Traceback" not in page.text


def test_the_api_returns_the_cli_json_contract(client, cli):
    api = client.post("/api/rulebooks/knowsley/evaluate?as_of=2026-11-22",
                      json=json.loads((ROOT / "examples/knowsley/straightforward.json").read_text())).json()
    command = json.loads(cli("evaluate", "-r", "rulebooks/knowsley.yaml", "examples/knowsley/straightforward.json",
                             "--as-of", "2026-11-22", "--format", "json").output)
    for part in (api, command):
        part["explanation"] = [{k: v for k, v in s.items() if k != "location"} for s in part["explanation"]]
    assert api == command


def test_the_api_lists_describes_and_schemas_rulebooks(client):
    assert {r["id"] for r in client.get("/api/rulebooks").json()} >= {"knowsley", "leicestershire"}
    detail = client.get("/api/rulebooks/knowsley").json()
    assert detail["outcomes"][0] == "factor_count" and "allocation_note" in detail["documents"]
    assert client.get("/api/rulebooks/knowsley/schema").json()["required"] == ["case_id"]


def test_the_api_renders_documents_and_explains_refusals(client):
    body = {"case_id": "K1", "stage": "post_allocation", "worker_role": "assistant_care_manager", "tasks": ["dst_sign_off"]}
    done = client.post("/api/rulebooks/knowsley/render/reallocation_note", json=body)
    assert done.status_code == 200 and "(b) reallocate the case" in done.json()["text"]
    wrong = client.post("/api/rulebooks/knowsley/evaluate", json={"case_id": "K1", "family_dynamic": True})
    assert wrong.status_code == 422
    first = {"error": "unknown field `family_dynamic` (did you mean `family_dynamics`?)", "field": "family_dynamic"}
    assert wrong.json() == {**first, "problems": [first]}
    assert client.post("/api/rulebooks/nope/evaluate", json={}).status_code == 404
    assert client.post("/api/rulebooks/knowsley/render/nope", json={"case_id": "x"}).status_code == 404


def test_openapi_is_published(client):
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {"/api/rulebooks", "/api/rulebooks/{rulebook_id}", "/api/rulebooks/{rulebook_id}/schema",
                                  "/api/rulebooks/{rulebook_id}/evaluate",
                                  "/api/rulebooks/{rulebook_id}/render/{document_id}"}


def test_an_oversized_request_body_is_refused(client):
    response = client.post("/api/rulebooks/knowsley/evaluate", content=b"{" + b" " * (6 * 1024 * 1024) + b"}",
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def _as_form_text(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, list) else str(value)


@pytest.mark.parametrize("rulebook", ["adass_tiers", "cambridgeshire", "knowsley", "leicestershire", "waltham_forest"])
def test_every_shipped_rulebook_works_through_its_form(client, books, rulebook):
    """Each rulebook's own first test case, entered through the generated form."""
    test = books[rulebook].tests[0]
    fields = {name: _as_form_text(value) for name, value in test["case"].items()}
    page = submit(client, rulebook, fields, as_of="2026-11-23")
    assert page.status_code == 200, page.text[:2000]
    assert f"Decision for case {test['case']['case_id']}" in page.text
    for outcome in books[rulebook].outcomes:
        assert f'<tr id="outcome-{outcome}">' in page.text


@pytest.mark.parametrize("path", ["/", "/rulebooks/leicestershire/evaluate", "/rulebooks/leicestershire/upload",
                                  "/rulebooks/leicestershire", "/rulebooks/leicestershire/interview"])
def test_pages_carry_no_inline_style_and_allow_none(client, path):
    page = client.get(path)
    policy = page.headers["content-security-policy"]
    assert "style-src 'self';" in policy and "unsafe-inline" not in policy and "'sha256-" not in policy
    assert "<style" not in page.text and " style=" not in page.text


def test_the_policy_page_is_styled_by_the_services_stylesheet_and_allows_no_inline_style(client):
    page = client.get("/rulebooks/leicestershire")
    policy = page.headers["content-security-policy"]
    assert "style-src 'self';" in policy and "'sha256-" not in policy
    assert "<style" not in page.text and " style=" not in page.text


def test_the_worklist_page_shows_what_changes_in_the_next_days(client):
    page = upload(client, EXPORT, "worklist", ignore="worker_name, team, notes").text
    assert "<h2>Changes in the next 7 days (7)</h2>" in page  # not LCC-PWT-1007, a Duty Point case (#14)
    assert ("<tr><td>LCC-PWT-1002</td><td>Review contact overdue</td><td>becomes yes</td><td>24 November 2026</td>"
            "<td>1</td></tr>") in page


def test_a_case_too_long_for_a_link_is_decided_on_the_spot_with_its_print_view_a_form(client):
    import os
    fields = {**RED_CASE, "pwt_rationale": os.urandom(4000).hex()}  # does not compress into a link
    form = boxed({"csrf": token(client, "/rulebooks/leicestershire/evaluate"), **fields})
    page = client.post("/rulebooks/leicestershire/evaluate", data=form, follow_redirects=False)
    assert page.status_code == 200 and "<h1>Decision for case L-RED</h1>" in page.text
    assert 'name="action" value="print"' in page.text and "print-link" not in page.text


def test_a_document_posted_with_its_case_is_read_as_the_decision_it_came_from_read_it(client):
    """The fallback for a case too long for a link: an interview's answers (risk not known) are
    read as the interview reads them, never as a form missing a required answer."""
    case = {k: v for k, v in RED_CASE.items() if k not in ("risk", "as_of")}
    form = {"csrf": token(client, "/rulebooks/leicestershire/evaluate"), "case": json.dumps(case),
            "as_of": "2026-11-22", "action": "text"}
    path = "/rulebooks/leicestershire/documents/person_letter"
    assert client.post(path, data={**form, "via": "interview"}).status_code == 200
    assert client.post(path, data={**form, "via": "evaluate"}).status_code == 400  # the form requires risk
    assert client.post(path, data={**form, "via": "elsewhere"}).status_code == 400  # unknown: read as the form


def test_the_guidance_column_names_the_place_in_the_guidance_and_the_page_names_the_guidance_once(client):
    page = submit(client, "leicestershire", RED_CASE).text
    row = page.split('<tr id="outcome-rag">')[1].split("</tr>")[0]
    assert '<td class="cite">Recording priority and complexity and the RAG matrix</td>' in row  # not "pwt Rec..."
    assert ('<p class="cite" id="guidance">Guidance: Adults and Communities Care Pathway Managers Guidance – '
            "Managing Planned Work Trays in Leicestershire ASC (March 2023 (agreed by DMT; review date March 2025))"
            "</p>") in page
    assert page.count("Managing Planned Work Trays in Leicestershire ASC (March 2023") == 1
