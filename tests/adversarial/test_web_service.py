"""The web app stays up for everyone: slow requests, bad rulebooks, hostile forms."""
import asyncio
import json
import re
import tempfile
import threading

import httpx
import pytest
from fastapi.testclient import TestClient

from policyengine.web import catalogue, pages
from policyengine.web import upload as web_upload
from policyengine.web import create_app

from ..conftest import MINIMAL, ROOT

UPLOAD = "/rulebooks/leicestershire/upload"
CASELOAD = (b"case_id,urgent_need,ordinarily_resident,support,risk,priority,complexity,date_added\n"
            b"A1,no,yes,full,low,low,low,2026-11-01\n")
#: The longest any test here waits for another request (never a sleep).
DEADLINE = 10


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(str(ROOT / "rulebooks")))


def token(client, path):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def upload(client, body: bytes, as_of="2026-11-23", action="worklist"):
    form = {"csrf": token(client, UPLOAD), "as_of": as_of, "action": action}
    return client.post(UPLOAD, data=form, files={"caseload": ("c.csv", body, "text/csv")})


# -- one request cannot stop the others --------------------------------------------
class Gate:
    """Holds a caseload's worklist until another request has been answered."""

    def __init__(self) -> None:
        self.started, self.released = threading.Event(), threading.Event()
        self.was_released = None

    def hold(self, build):
        def held(*args, **kwargs):
            self.started.set()
            self.was_released = self.released.wait(DEADLINE)
            return build(*args, **kwargs)

        return held


def test_a_slow_caseload_upload_does_not_stop_another_user_being_answered(monkeypatch):
    gate = Gate()
    monkeypatch.setattr(web_upload, "build_worklist", gate.hold(web_upload.build_worklist))
    app = create_app(str(ROOT / "rulebooks"))

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as slow, \
                httpx.AsyncClient(transport=transport, base_url="http://test") as other:
            csrf = re.search(r'name="csrf" value="([^"]+)"', (await slow.get(UPLOAD)).text).group(1)
            slow_upload = asyncio.create_task(slow.post(
                UPLOAD, data={"csrf": csrf, "as_of": "2026-11-23", "action": "worklist"},
                files={"caseload": ("c.csv", CASELOAD, "text/csv")}))
            await asyncio.wait_for(asyncio.to_thread(gate.started.wait, DEADLINE), DEADLINE)
            answered = await asyncio.wait_for(other.get("/api/rulebooks/knowsley"), DEADLINE)
            gate.released.set()
            return answered, await slow_upload

    answered, slow_page = asyncio.run(scenario())
    assert answered.status_code == 200 and answered.json()["id"] == "knowsley"
    assert gate.was_released is True  # the other user was answered while the upload was working
    assert slow_page.status_code == 200 and "A1" in slow_page.text


def test_a_request_that_works_too_long_is_answered_with_503_and_the_server_carries_on(monkeypatch):
    gate = Gate()
    monkeypatch.setattr(web_upload, "build_worklist", gate.hold(web_upload.build_worklist))
    client = TestClient(create_app(str(ROOT / "rulebooks"), max_seconds=0.2))
    try:
        page = upload(client, CASELOAD)
        assert page.status_code == 503
        assert "This took too long to work out, so it was stopped. Nothing you entered has been kept." in page.text
        assert client.get("/").status_code == 200
    finally:
        gate.released.set()


# -- uploads stay in memory ---------------------------------------------------------
def test_an_upload_over_one_mebibyte_is_never_written_to_a_temporary_file(client, monkeypatch):
    written = []

    def recording(make):
        def make_file(*args, **kwargs):
            written.append(make.__name__)
            return make(*args, **kwargs)

        return make_file

    for name in ("TemporaryFile", "NamedTemporaryFile", "mkstemp", "mkdtemp"):
        monkeypatch.setattr(tempfile, name, recording(getattr(tempfile, name)))
    body = b"\xff" * (2 * 1024 * 1024)  # 2 MiB, under the 5 MiB cap; refused later, as not UTF-8
    page = upload(client, body)
    assert page.status_code == 422
    assert written == []


# -- hostile forms are refused cleanly ------------------------------------------------
def document_form(client, case: str):
    return {"csrf": token(client, "/rulebooks/knowsley/evaluate"), "as_of": "2026-11-22", "action": "print",
            "case": case}


@pytest.mark.parametrize("case", [
    "[" * 100_000 + "]" * 100_000,                              # a JSON bomb: nested past Python's limit
    json.dumps({"case_id": 1}),                                   # a number where the form sends text
    json.dumps({"case_id": "K1", "family_dynamics": 1}),
    json.dumps({"case_id": "K1", "tasks": [1, 2]}),
    json.dumps({"case_id": {"nested": "x"}}),
    '{"case_id": "K1", "case_id": "K2"}',                       # a repeated key (was last-wins)
])
def test_a_hostile_case_in_the_hidden_field_is_a_400_not_a_crash(client, case):
    response = client.post("/rulebooks/knowsley/documents/allocation_note", data=document_form(client, case))
    assert response.status_code == 400
    assert "The case could not be read" in response.text


FILE_MESSAGE = "The form sent a file where it expects text. Go back, reload the page and try again."


@pytest.mark.parametrize("path, text_fields, file_field", [
    ("/rulebooks/knowsley/evaluate", {"as_of": "2026-11-22"}, "family_dynamics"),
    ("/rulebooks/knowsley/evaluate", {"case_id": "K1"}, "as_of"),
    ("/rulebooks/knowsley/documents/allocation_note", {"as_of": "2026-11-22"}, "case"),
    (UPLOAD, {"action": "worklist"}, "ignore"),
])
def test_a_file_sent_where_a_form_expects_text_is_a_400_not_a_crash(client, path, text_fields, file_field):
    form = {"csrf": token(client, path if "documents" not in path else "/rulebooks/knowsley/evaluate"),
            **text_fields}
    files = {file_field: ("x.txt", b'{"case_id": "K1"}', "text/plain")}
    response = client.post(path, data=form, files=files)
    assert response.status_code == 400
    assert FILE_MESSAGE in response.text


def test_a_worklist_upload_as_of_the_last_date_there_is_is_answered_not_an_overflow(client):
    page = upload(client, CASELOAD, as_of="9999-12-31")
    assert page.status_code == 200 and "A1" in page.text


# -- one bad rulebook takes no council offline ------------------------------------------
@pytest.fixture
def folder(tmp_path):
    (tmp_path / "mini.yaml").write_text(MINIMAL)
    (tmp_path / "mini_again.yaml").write_text(MINIMAL)  # the same id as mini.yaml
    (tmp_path / "<i>broken.yaml").write_text(MINIMAL.replace("type: boolean", "type: truthy"))
    return tmp_path


def test_the_index_lists_every_error_of_each_invalid_rulebook_and_the_rest_are_served(folder):
    client = TestClient(create_app(str(folder)))
    index = client.get("/")
    assert index.status_code == 200
    broken = f"{folder}/&lt;i&gt;broken.yaml"  # escaped, as every error line is
    assert "<i>broken" not in index.text
    assert f"<li>{broken}:11:13: inputs.a.type must be one of boolean, integer, string, date, enum, list</li>" \
        in index.text
    assert f"<li>{broken}:12:13: inputs.b.type must be one of boolean, integer, string, date, enum, list</li>" \
        in index.text
    assert (f"{folder}/mini_again.yaml: the rulebook&#39;s id is `mini`, so its file must be named `mini.yaml` "
            "to be served") in index.text
    assert [b["id"] for b in client.get("/api/rulebooks").json()] == ["mini"]  # the list omits the invalid
    form = {"csrf": token(client, "/rulebooks/mini/evaluate"), "case_id": "M1", "level": "low",
            "as_of": "2026-11-22"}
    assert client.post("/rulebooks/mini/evaluate", data=form).status_code == 200


def test_a_file_that_sorts_first_cannot_take_over_another_councils_rulebook_id(tmp_path):
    # Review round 2: `0knowsley.yaml` claiming the id `knowsley` (with its own threshold)
    # was served as Knowsley, and the real file was refused as "already served".
    (tmp_path / "mini.yaml").write_text(MINIMAL)
    (tmp_path / "0mini.yaml").write_text(MINIMAL.replace("title: Minimal", "title: Impostor"))
    client = TestClient(create_app(str(tmp_path)))
    assert [(b["id"], b["title"]) for b in client.get("/api/rulebooks").json()] == [("mini", "Minimal")]
    assert "0mini.yaml: the rulebook&#39;s id is `mini`, so its file must be named `mini.yaml`" in client.get("/").text


def test_one_id_in_two_files_serves_neither(tmp_path):
    (tmp_path / "mini.yaml").write_text(MINIMAL)
    (tmp_path / "mini.yml").write_text(MINIMAL.replace("title: Minimal", "title: Other"))
    client = TestClient(create_app(str(tmp_path)))
    assert client.get("/api/rulebooks").json() == []
    index = client.get("/").text
    assert f"{tmp_path}/mini.yml: the rulebook id `mini` is also in mini.yaml; neither is served" in index
    assert f"{tmp_path}/mini.yaml: the rulebook id `mini` is also in mini.yml; neither is served" in index


def test_a_rulebook_that_crashes_the_loader_is_listed_and_the_rest_are_served(folder, monkeypatch):
    load = catalogue.load_rulebook

    def crash_on_broken(path):
        if path.endswith("<i>broken.yaml"):
            raise RecursionError("maximum recursion depth exceeded")
        return load(path)

    monkeypatch.setattr(catalogue, "load_rulebook", crash_on_broken)
    client = TestClient(create_app(str(folder)))
    broken = f"{folder}/&lt;i&gt;broken.yaml"
    assert (f"{broken}: internal error (RecursionError) while loading; run policyengine validate {broken}"
            in client.get("/").text)
    assert client.get("/api/rulebooks/mini").status_code == 200


# -- a bug is one line on stderr, never a traceback --------------------------------------
@pytest.mark.parametrize("path", ["/rulebooks/knowsley", "/api/rulebooks/knowsley/evaluate"])
def test_a_bug_while_answering_is_a_500_page_and_one_line_on_stderr_without_its_text(monkeypatch, capfd, path):
    def crash(*args, **kwargs):
        raise RuntimeError("Pat Example, diagnosis")  # a bug's message may hold a case's data

    monkeypatch.setattr(pages, "render_docs", crash)
    monkeypatch.setattr("policyengine.engine.compile.Rulebook.evaluate", crash, raising=False)
    monkeypatch.delenv("POLICYENGINE_DEBUG", raising=False)
    client = TestClient(create_app(str(ROOT / "rulebooks")))
    response = client.get(path) if "api" not in path else client.post(path, json={"case_id": "K1"})
    assert response.status_code == 500
    assert "Something went wrong on our side. Nothing you entered has been kept." in response.text
    assert "Pat Example" not in response.text
    assert capfd.readouterr().err == ("policyengine: internal error (RuntimeError) answering a request; run with "
                                      "POLICYENGINE_DEBUG=1 to see where\n")


@pytest.mark.parametrize("path", ["/", "/rulebooks/knowsley", "/api/rulebooks", "/static/app.css"])
def test_head_answers_as_get_does_without_a_body(client, path):
    # Monitoring and link checkers send HEAD; `HEAD /` answered 405 (issue #20).
    get, head = client.get(path), client.head(path)
    assert (head.status_code, head.content) == (get.status_code, b"")
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-security-policy"] == get.headers["content-security-policy"]
