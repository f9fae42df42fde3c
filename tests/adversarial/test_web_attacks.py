"""The hardening holds through the web layer too."""
import csv
import io
import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from policyengine.web import create_app

from ..conftest import ROOT

FORMULA = '=HYPERLINK("http://x","click")'


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(str(ROOT / "rulebooks")))


def token(client, path):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


def upload(client, body: bytes, action="download"):
    form = {"csrf": token(client, "/rulebooks/leicestershire/upload"), "as_of": "2026-11-23", "action": action}
    return client.post("/rulebooks/leicestershire/upload", data=form,
                       files={"caseload": ("c.csv", body, "text/csv")})


def test_a_formula_in_an_uploaded_caseload_is_neutralised_in_the_download(client):
    body = ('case_id,support,risk,priority,complexity,date_added\n'
            '"=HYPERLINK(""http://x"",""click"")",full,low,low,low,2026-11-01\n').encode()
    rows = list(csv.DictReader(io.StringIO(upload(client, body).text)))
    assert rows[0]["case_id"] == "'" + FORMULA


def test_an_upload_that_is_not_utf8_is_read_as_windows_1252_and_its_row_decided(client):
    page = upload(client, "case_id,support\nA1,n\xe9\n".encode("latin-1"), action="worklist")
    assert page.status_code == 200
    assert "row 2 (case A1): field `support` must be one of none, moderate, full" in page.text


def test_an_upload_with_a_hostile_row_decides_the_others(client):
    body = b"case_id,support,risk,priority,complexity,date_added\nA1,full,low,low,low,2026-11-01\nA2,full,low,low,low,2026-02-30\n"
    page = upload(client, body, action="worklist")
    assert page.status_code == 200 and "row 3 (case A2): field `date_added` must be a real date" in page.text


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e999"])
def test_nan_and_infinity_in_an_api_case_are_refused(client, literal):
    body = '{"case_id": "A", "factor_1": %s, "factor_2": 1, "factor_3": 1, "factor_4": 1, "factor_5": 1, "factor_6": 1}' % literal
    response = client.post("/api/rulebooks/adass_tiers/evaluate", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_a_json_body_that_is_not_an_object_is_refused(client):
    for body in ("[1, 2]", '"x"', "null", "{not json"):
        response = client.post("/api/rulebooks/knowsley/evaluate", content=body,
                               headers={"content-type": "application/json"})
        assert response.status_code == 422, body
        assert "error" in response.json()


def test_a_document_path_that_tries_to_escape_is_refused(client):
    form = {"csrf": token(client, "/rulebooks/knowsley/evaluate"), "case": json.dumps({"case_id": "K1"}),
            "as_of": "2026-11-22", "action": "print"}
    for name in ("..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "nope"):
        response = client.post(f"/rulebooks/knowsley/documents/{name}", data=form)
        assert response.status_code in (400, 404) and "root:" not in response.text


def test_a_hostile_case_in_the_hidden_field_is_refused_cleanly(client):
    form = {"csrf": token(client, "/rulebooks/knowsley/evaluate"), "as_of": "2026-11-22", "action": "print"}
    for case in ("{not json", json.dumps([1]), json.dumps({"case_id": "K1", "stage": "<script>"})):
        response = client.post("/rulebooks/knowsley/documents/allocation_note", data={**form, "case": case})
        assert response.status_code == 400 and "<script>" not in response.text


def test_a_values_own_html_is_escaped_on_the_decision_page(client):
    form = {"csrf": token(client, "/rulebooks/knowsley/evaluate"), "case_id": "<script>alert(1)</script>",
            "as_of": "2026-11-22"}
    page = client.post("/rulebooks/knowsley/evaluate", data=form)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_a_broken_rulebook_in_the_folder_is_listed_not_fatal(tmp_path):
    (tmp_path / "evil.yaml").write_text("a: &a [1]\nb: *a\n")
    (tmp_path / "adass_tiers.yaml").write_text((ROOT / "rulebooks" / "adass_tiers.yaml").read_text())
    shutil.copytree(ROOT / "rulebooks" / "templates", tmp_path / "templates")  # a linked folder is refused
    page = TestClient(create_app(str(tmp_path))).get("/").text
    assert "Allocating cases to social workers by complexity" in page
    assert "evil.yaml" in page and "YAML aliases (*name) are not allowed" in page
