"""#17 on the upload page: the template to fill in, and an XLSX caseload uploaded."""
import io
import re

import pytest
from fastapi.testclient import TestClient
from python_calamine import CalamineWorkbook

from policyengine.web import create_app

from ..caseload.sheets import workbook
from ..conftest import ROOT

UPLOAD = "/rulebooks/leicestershire/upload"


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(str(ROOT / "rulebooks")))


def test_the_upload_page_offers_the_template_in_xlsx_and_csv(client, books):
    page = client.get(UPLOAD).text
    assert '<a href="/rulebooks/leicestershire/template.xlsx" download>' in page
    assert '<a href="/rulebooks/leicestershire/template.csv" download>' in page
    xlsx = client.get("/rulebooks/leicestershire/template.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.headers["content-disposition"] == 'attachment; filename="leicestershire-caseload-template.xlsx"'
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content)).get_sheet_by_index(0)
    assert sheet.to_python() == [list(books["leicestershire"].inputs)]
    csv = client.get("/rulebooks/leicestershire/template.csv")
    assert csv.content == ("\ufeff" + ",".join(books["leicestershire"].inputs) + "\r\n").encode()


def test_an_unknown_rulebooks_template_is_not_found(client):
    assert client.get("/rulebooks/nowhere/template.xlsx").status_code == 404


def test_an_xlsx_upload_is_decided_as_its_csv_would_be(client, tmp_path):
    rows = [["case_id", "support", "risk", "priority", "complexity", "date_added"],
            ["0012345", "full", "low", "low", "low", "2026-11-01"],
            ["C-2", "Moderate", "hgh", "low", "low", "01/11/2026"]]
    body = workbook(tmp_path / "c.xlsx", {"Cases": rows}).read_bytes()
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(UPLOAD).text).group(1)
    page = client.post(UPLOAD, data={"csrf": token, "as_of": "2026-11-23", "action": "worklist"},
                       files={"caseload": ("export.xlsx", body, "application/octet-stream")})
    assert page.status_code == 200
    assert "row 3 (case C-2): field `risk` must be one of high, moderate, low" in page.text
    assert "0012345" in page.text  # named, with what it waits for (no route answers in this export)
    assert "Is the person ordinarily resident in Leicestershire?" in page.text
