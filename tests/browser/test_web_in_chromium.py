"""End to end in a real browser: Playwright driving Debian's Chromium against the
app on a free localhost port. Screenshots go to test-output/screenshots/.

Playwright's own browser download is not available here, so these tests use
/usr/bin/chromium (`apt-get install chromium`) and skip, saying why, without it.
"""
import datetime as dt
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from policyengine.engine.dates import long_date

from ..conftest import ROOT

CHROMIUM = os.environ.get("POLICYENGINE_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not os.path.exists(CHROMIUM):
    pytest.skip(f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` "
                "to run the browser tests", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    import uvicorn

    from policyengine.web import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(str(ROOT / "rulebooks")), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False)
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not instance.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        except Exception as exc:  # noqa: BLE001 - any launch failure is a reason to skip
            pytest.skip(f"Chromium at {CHROMIUM} could not start: {exc}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900},
                                  locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fill_leicestershire(page, server, *, support="none"):
    page.goto(f"{server}/rulebooks/leicestershire/evaluate")
    page.fill("#case_id", "LCC-PWT-2001")
    page.fill("#person_name", "Pat Example")
    page.check("#urgent_need-no")  # both must be answered before a case goes on the tray (#14)
    page.check("#ordinarily_resident-yes")
    if support:
        page.check(f"#support-{support}")
    page.check("#risk-high")
    page.check("#priority-high")
    page.check("#complexity-medium")
    page.check("#risk_indicators-carer_breakdown")
    type_date(page, "date_added", 20, 10, 2026)
    type_date(page, "as_of", 22, 11, 2026)
    page.click("button[type=submit]")
    if support is None:
        page.wait_for_selector(".error-summary")  # the form again, with what to fix
    else:
        page.wait_for_url("**/decision?case=**")  # sent on from the form to the decision's own address


def type_date(page, name: str, day, month, year) -> None:
    """A date typed into its three boxes, as a person types it."""
    for part, value in (("day", day), ("month", month), ("year", year)):
        page.fill(f"#{name}-{part}", str(value))


def test_the_rulebooks_page_lists_the_rulebooks(page, server):
    page.goto(server)
    assert page.title() == "Rulebooks – policyengine"
    assert page.locator("table tbody tr").count() == 5
    shot(page, "rulebooks")


def test_no_support_and_high_risk_is_red_with_the_contact_date_and_escalation(page, server):
    fill_leicestershire(page, server)
    assert page.locator("h1").inner_text() == "Decision for case LCC-PWT-2001"
    assert page.locator("#outcome-rag .answer").inner_text() == "Red"
    assert page.locator("#outcome-next_contact_due .answer").inner_text() == "27 October 2026"
    assert page.locator("#outcome-escalate_to_ssm .answer").inner_text() == "Yes"
    assert page.locator("#outcome-escalate_to_ssm .cite").inner_text() == \
        "When to escalate to Strategic Service Manager / Head of Service"  # the place, not the key "pwt"
    shot(page, "decision")


def test_the_letter_to_the_person_has_the_phone_number_and_a_british_date(page, server):
    fill_leicestershire(page, server)
    letter = page.locator("#document-person_letter")
    letter.locator("summary").click()
    preview = letter.locator(".letter-preview article.letter").inner_text()
    # Dated the day it is produced (today), as a British date; a DRAFT while the phone number is a placeholder.
    assert "0116 000 0000" in preview and long_date(dt.date.today()) in preview
    assert "DRAFT – not to be sent: the team phone and the urgent help line are still placeholders" in preview
    letter.locator("a.print-link").click()
    page.wait_for_selector("article.letter")
    assert "Dear Pat Example," in page.locator("article.letter").inner_text()
    assert "Phone: 0116 000 0000" in page.locator("article.letter").inner_text()
    shot(page, "letter")


def test_a_missing_required_field_shows_the_error_summary(page, server):
    fill_leicestershire(page, server, support=None)
    summary = page.locator(".error-summary")
    assert summary.locator("h2").inner_text() == "There is a problem"
    assert "What support does the person have?" in summary.inner_text()
    assert page.locator("#support-error").is_visible()
    summary.locator("a").first.click()
    assert page.url.endswith("#support-none")
    # The first radio of the group takes focus (a link to the fieldset left focus nowhere)
    assert page.evaluate("document.activeElement.id") == "support-none"
    assert page.evaluate("document.activeElement.type") == "radio"
    shot(page, "form-error")


def test_a_caseload_upload_shows_the_worklist_and_downloads_the_results(page, server, tmp_path):
    export = tmp_path / "caseload.csv"
    export.write_text("case_id,urgent_need,ordinarily_resident,support,risk,priority,complexity,date_added,last_contact\n"
                      "W1,no,yes,none,high,high,medium,2026-10-20,2026-11-10\n"
                      "W2,no,yes,full,low,low,low,2026-11-20,\n")
    page.goto(f"{server}/rulebooks/leicestershire/upload")
    page.set_input_files("#caseload", str(export))
    type_date(page, "as_of", 23, 11, 2026)
    page.click("button[value=worklist]")
    assert page.locator("h1").inner_text() == "Worklist"
    assert "Escalations due (1)" in page.content()
    shot(page, "worklist")
    page.goto(f"{server}/rulebooks/leicestershire/upload")
    page.set_input_files("#caseload", str(export))
    type_date(page, "as_of", 23, 11, 2026)
    with page.expect_download() as info:
        page.click("button[value=download]")
    download = info.value
    assert download.suggested_filename == "leicestershire-decisions-2026-11-23.csv"
    saved = Path(download.path()).read_text()
    assert saved.splitlines()[0].lstrip("\ufeff").startswith("case_id,route,rag,")
    assert saved.splitlines()[1].startswith("W1,pwt,red,7 days,2026-11-17,true,true,")


def test_the_page_runs_under_its_content_security_policy(page, server):
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{server}/rulebooks/leicestershire")
    page.goto(f"{server}/rulebooks/leicestershire/evaluate")
    assert problems == []
    assert page.evaluate("getComputedStyle(document.querySelector('.button')).backgroundColor") == "rgb(0, 112, 60)"


def test_the_interview_asks_one_question_a_page_and_reaches_a_decision(page, server):
    page.goto(f"{server}/rulebooks/leicestershire/interview")
    assert page.locator("h1").inner_text() == "What is the case reference?"
    assert page.locator("button[value=not_known]").count() == 0  # the reference is needed for the record
    page.fill("#case_id", "LCC-INT-0001")
    type_date(page, "as_of", 22, 11, 2026)
    page.click("button[value=answer]")
    asked = []
    while not page.locator("h1").inner_text().startswith("Decision for case"):
        assert len(asked) < 40, asked
        question = page.locator("h1").inner_text()
        asked.append(question)
        assert page.locator("input:checked").count() == 0  # nothing is chosen for the user
        if len(asked) == 3:  # one question left not known, as a duty worker would
            page.click("button[value=not_known]")
            continue
        _answer_the_question_on_the_page(page)
        if len(asked) == 1:
            shot(page, "interview-question")
        page.click("button[value=answer]")
    assert len(asked) == len(set(asked))  # no question asked twice
    assert page.locator("h1").inner_text() == "Decision for case LCC-INT-0001"
    assert page.locator("#outcome-route .answer").inner_text() != ""
    assert page.locator("#what-happens-next h2").inner_text() == "What happens next if nothing changes"
    assert page.locator("#what-would-change h2").inner_text() == "What would change this"
    shot(page, "interview-decision")


def _answer_the_question_on_the_page(page):
    """The first choice of a radio question, "None of these" for a list, a date or some text."""
    if page.locator("input[type=radio]").count():
        page.locator("input[type=radio]").first.check()
    elif page.locator("input[type=checkbox]").count():
        page.locator("input[type=checkbox][value=_none]").check()
    elif page.locator(".date-input").count():
        for part, value in (("day", "20"), ("month", "10"), ("year", "2026")):
            page.locator(f".date-input input[name$='-{part}']").first.fill(value)
    else:
        page.locator("input.input").first.fill("Pat Example")


def test_the_interview_goes_back_a_question_and_refuses_an_answer_that_does_not_fit(page, server):
    page.goto(f"{server}/rulebooks/leicestershire/interview")
    page.fill("#case_id", "LCC-INT-0002")
    page.click("button[value=answer]")
    first = page.locator("h1").inner_text()
    page.click("button[value=answer]")  # nothing chosen
    assert page.locator(".error-summary").is_visible()
    assert page.locator("h1").inner_text() == first
    _answer_the_question_on_the_page(page)
    page.click("button[value=answer]")
    assert page.locator("h1").inner_text() != first
    page.click("button[value=back]")
    assert page.locator("h1").inner_text() == first


def test_a_date_is_three_boxes_and_an_impossible_one_is_refused_at_its_box(page, server):
    page.goto(f"{server}/rulebooks/leicestershire/evaluate")
    assert page.locator("input[type=date]").count() == 0  # never the browser's picker (mm/dd/yyyy in Chromium)
    boxes = page.locator("#date_added input")
    assert [boxes.nth(i).get_attribute("name") for i in range(3)] == \
        ["date_added-day", "date_added-month", "date_added-year"]
    assert [boxes.nth(i).get_attribute("inputmode") for i in range(3)] == ["numeric"] * 3
    fill_leicestershire(page, server)  # a real date in the boxes reaches a decision
    page.goto(f"{server}/rulebooks/leicestershire/evaluate")
    page.fill("#case_id", "LCC-DATE-1")
    page.check("#support-none")
    type_date(page, "date_added", 31, 2, 2026)
    page.click("button[type=submit]")
    summary = page.locator(".error-summary")
    link = summary.locator("a[href='#date_added-day']")
    assert link.inner_text() == "The date must be a real date"
    assert page.input_value("#date_added-day") == "31"  # what was typed is kept
    link.click()
    assert page.evaluate("document.activeElement.id") == "date_added-day"
    shot(page, "date-error")


def test_back_after_the_print_view_returns_to_the_decision(page, server):
    fill_leicestershire(page, server)
    decision_url = page.url
    assert "/decision?case=" in decision_url
    page.locator("#document-person_letter a.print-link").click()
    page.wait_for_selector("article.letter")
    assert page.locator("h1").inner_text().startswith("Print view: ")
    page.go_back()
    assert page.url == decision_url
    assert page.locator("h1").inner_text() == "Decision for case LCC-PWT-2001"  # not ERR_CACHE_MISS
    assert page.locator("#outcome-rag .answer").inner_text() == "Red"
    page.go_forward()
    page.locator("nav a").click()  # the print view's own way back
    assert page.locator("h1").inner_text() == "Decision for case LCC-PWT-2001"


# -- axe-core over every page ----------------------------------------------------------------
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed")


#: Left out of axe's check, each for a reason. The faint DRAFT across a draft letter is a
#: watermark (aria-hidden, pale on purpose so the letter stays readable): what it says, the
#: banner above the letter says in full contrast, and the banner is checked.
DECORATIVE = {"exclude": [[".draft-mark"]]}


def serious(page) -> list[str]:
    """Each serious or critical axe-core violation on the page, with the elements it names."""
    found = axe_api.Axe().run(page, context=DECORATIVE).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
            for v in found if v["impact"] in ("serious", "critical")]


def _pages(page, server):
    """Every page of the service, reached as a person reaches it: (name, how to get there)."""
    def form_with_errors():
        fill_leicestershire(page, server, support=None)

    def decision():
        fill_leicestershire(page, server)

    def print_view():
        fill_leicestershire(page, server)
        page.locator("#document-person_letter a.print-link").click()

    def document_preview():
        fill_leicestershire(page, server)
        page.locator("#document-person_letter summary").click()

    def interview_error():
        page.goto(f"{server}/rulebooks/leicestershire/interview")
        page.click("button[value=answer]")

    def upload_result():
        export = ROOT / "examples" / "leicestershire" / "caseload.csv"
        page.goto(f"{server}/rulebooks/leicestershire/upload")
        page.set_input_files("#caseload", str(export))
        page.click("button[value=worklist]")  # refused: unknown columns, with the box to skip them

    def worklist():
        upload_result()
        page.check("#ignore")
        page.set_input_files("#caseload", str(ROOT / "examples" / "leicestershire" / "caseload.csv"))
        page.click("button[value=worklist]")

    visit = lambda path: lambda: page.goto(f"{server}{path}")  # noqa: E731
    return {"home": visit("/"), "rulebook page": visit("/rulebooks/leicestershire"),
            "form": visit("/rulebooks/leicestershire/evaluate"), "form with errors": form_with_errors,
            "decision": decision, "document preview": document_preview, "print view": print_view,
            "interview": visit("/rulebooks/leicestershire/interview"), "interview with an error": interview_error,
            "upload page": visit("/rulebooks/leicestershire/upload"), "upload refused": upload_result,
            "upload result": worklist, "not found": visit("/rulebooks/nowhere")}


PAGES = ["home", "rulebook page", "form", "form with errors", "decision", "document preview", "print view",
         "interview", "interview with an error", "upload page", "upload refused", "upload result", "not found"]


@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_nothing_serious_or_critical(page, server, name):
    _pages(page, server)[name]()
    page.wait_for_load_state()
    assert page.locator("main").count() == 1 and page.locator("h1").count() == 1, name
    assert serious(page) == [], name
