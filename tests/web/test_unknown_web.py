"""Unknown is not No on the web (issue #13): the API's ?partial=true, and a form that pre-selects nothing."""
import re

import pytest
from fastapi.testclient import TestClient

from policyengine.web import create_app

from ..conftest import ROOT
from ..engine.test_unknown import KLEENE


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(str(ROOT / "rulebooks")))


@pytest.fixture
def kleene_client(tmp_path):
    (tmp_path / "kleene.yaml").write_text(KLEENE, encoding="utf-8")
    return TestClient(create_app(str(tmp_path)))


def test_the_api_decides_a_partial_case_only_when_asked(client):
    case = {"case_id": "C1", "urgent_need": False, "ordinarily_resident": True}
    refused = client.post("/api/rulebooks/leicestershire/evaluate?as_of=2026-11-24", json=case)
    assert refused.status_code == 422 and "missing required field `support`" in refused.text
    data = client.post("/api/rulebooks/leicestershire/evaluate?as_of=2026-11-24&partial=true", json=case).json()
    assert data["outcomes"]["route"] == "pwt" and data["outcomes"]["rag"] is None
    assert data["pending"]["rag"] == ["support", "risk"]
    assert list(data)[3:6] == ["outcomes", "pending", "explanation"]


def test_a_question_without_a_default_is_not_pre_selected_and_left_unanswered_is_not_no(kleene_client):
    page = kleene_client.get("/rulebooks/kleene/evaluate").text
    assert 'name="a" type="radio" value="no"' in page
    assert not re.search(r'name="(a|b)" type="radio" value="(yes|no)" checked', page)
    assert " checked" not in page  # nothing is chosen for the user, even where a default stands:
    assert "If you leave this unanswered, the rulebook takes “No”." in page  # it is named instead
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = kleene_client.post("/rulebooks/kleene/evaluate",
                                data={"csrf": csrf, "case_id": "K1", "level": "low", "score": "50", "b": "no",
                                      "as_of": "2026-11-24"})
    assert answer.status_code == 200
    assert "Not known yet" in answer.text and "Traceback" not in answer.text
