"""The API describes what it returns (#20): every body declared, short operation ids,
no rulebook id in the document, and the declaration checked against what is sent."""
import asyncio
import datetime as dt
import json

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from policyengine.web import create_app

from ..conftest import EXAMPLES, MINIMAL, ROOT
from .contract import Contract, contract_of

AS_OF = "2026-11-22"
KNOWSLEY_CASE = json.loads((EXAMPLES / "knowsley" / "straightforward.json").read_text())
SHIPPED = ["adass_tiers", "cambridgeshire", "knowsley", "leicestershire", "waltham_forest"]


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(str(ROOT / "rulebooks")))


@pytest.fixture(scope="module")
def spec(client):
    return client.get("/openapi.json").json()


def operations(spec):
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def enums(node):
    """Every enum anywhere in a JSON document."""
    if isinstance(node, dict):
        return ([node["enum"]] if "enum" in node else []) + [e for v in node.values() for e in enums(v)]
    return [e for v in node for e in enums(v)] if isinstance(node, list) else []


def test_every_operation_has_a_short_id(spec):
    assert {(method, path): op["operationId"] for path, method, op in operations(spec)} == {
        ("get", "/api/rulebooks"): "list_rulebooks",
        ("get", "/api/rulebooks/{rulebook_id}"): "get_rulebook",
        ("get", "/api/rulebooks/{rulebook_id}/schema"): "get_case_schema",
        ("post", "/api/rulebooks/{rulebook_id}/evaluate"): "evaluate_case",
        ("post", "/api/rulebooks/{rulebook_id}/render/{document_id}"): "render_document",
    }


def test_the_document_is_the_same_whatever_rulebooks_are_served_so_a_client_outlives_them(spec, tmp_path):
    (tmp_path / "mini.yaml").write_text(MINIMAL, encoding="utf-8")
    assert TestClient(create_app(str(tmp_path))).get("/openapi.json").json() == spec
    assert enums(spec) == []


def test_a_rulebook_id_is_a_plain_string_with_a_description_and_an_example(spec):
    for path, method, op in operations(spec):
        for param in op.get("parameters", []):
            if param["in"] == "path":
                assert param["schema"]["type"] == "string" and param["schema"]["maxLength"] == 100, path
                assert param["description"] and param["schema"]["examples"], (path, param["name"])


def test_every_refusal_declares_the_body_the_app_sends_not_fastapis(spec):
    assert "HTTPValidationError" not in json.dumps(spec) and "ValidationError" not in spec["components"]["schemas"]
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            if status != "200":
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert set(spec["paths"]["/api/rulebooks/{rulebook_id}"]["get"]["responses"]) == {"200", "404", "422", "500"}
    assert set(spec["paths"]["/api/rulebooks/{rulebook_id}/evaluate"]["post"]["responses"]) == {
        "200", "400", "404", "413", "422", "500", "503"}


def test_a_get_with_an_id_over_100_characters_is_the_declared_422(client):
    response = client.get("/api/rulebooks/" + "k" * 101)
    assert response.status_code == 422
    assert response.json() == {"error": "path.rulebook_id: String should have at most 100 characters"}


def test_the_decision_is_declared_key_by_key_in_the_order_it_is_sent(client, spec):
    sent = client.post(f"/api/rulebooks/knowsley/evaluate?as_of={AS_OF}", json=KNOWSLEY_CASE).json()
    declared = spec["components"]["schemas"]["Decision"]
    assert list(sent) == list(declared["properties"]) == declared["required"] == [
        "rulebook", "case_id", "as_of", "outcomes", "pending", "explanation", "documents", "warnings",
        "alternatives", "changes_ahead", "provenance"]
    assert declared["additionalProperties"] is False


def test_the_models_describe_the_json_and_never_remake_it(client, books):
    """Byte for byte the engine's own dict: its order, and its nulls (a pending outcome, no alternatives)."""
    case = {"case_id": "C1", "urgent_need": True}
    sent = client.post(f"/api/rulebooks/leicestershire/evaluate?as_of={AS_OF}&partial=true", json=case)
    made = books["leicestershire"].evaluate(case, dt.date(2026, 11, 22), partial=True).as_dict()
    assert made["outcomes"]["rag"] is None and made["alternatives"] is None
    assert sent.content == json.dumps(made, ensure_ascii=False, separators=(",", ":")).encode()


def test_the_horizon_bounds_changes_ahead_as_the_command_lines_does(client):
    case = yaml.safe_load((EXAMPLES / "leicestershire" / "amber-on-tray.yaml").read_text())
    case = json.loads(json.dumps(case, default=str))

    def ahead(horizon):
        response = client.post(f"/api/rulebooks/leicestershire/evaluate?as_of={AS_OF}&horizon={horizon}", json=case)
        return response.status_code, [c["outcome"] for c in response.json().get("changes_ahead", [])]

    assert ahead(8) == (200, ["contact_overdue", "actions"])
    assert ahead(1) == (200, [])
    refused = client.post(f"/api/rulebooks/leicestershire/evaluate?as_of={AS_OF}&horizon=3651", json=case)
    assert (refused.status_code, refused.json()) == (
        422, {"error": "query.horizon: Input should be less than or equal to 3650"})


@pytest.mark.parametrize("rulebook", SHIPPED)
def test_every_shipped_rulebook_answers_as_declared(client, books, rulebook):
    """Each route once per rulebook; the check in contract.py validates each answer against /openapi.json."""
    contract = contract_of(client.app)
    before = contract.checked
    case = json.loads(json.dumps(books[rulebook].tests[0]["case"], default=str))
    assert client.get("/api/rulebooks").status_code == 200
    assert client.get(f"/api/rulebooks/{rulebook}").status_code == 200
    assert client.get(f"/api/rulebooks/{rulebook}/schema").status_code == 200
    query = f"?as_of={AS_OF}&alternatives=true"
    assert client.post(f"/api/rulebooks/{rulebook}/evaluate{query}", json=case).status_code == 200
    partial = client.post(f"/api/rulebooks/{rulebook}/evaluate?as_of={AS_OF}&partial=true", json={"case_id": "P-1"})
    assert partial.status_code == 200
    for document in books[rulebook].documents:
        assert client.post(f"/api/rulebooks/{rulebook}/render/{document}?as_of={AS_OF}",
                           json=case).status_code in (200, 422)
    assert client.post(f"/api/rulebooks/{rulebook}/evaluate", json={**case, "no_such_field": 1}).status_code == 422
    assert contract.checked == before + 6 + len(books[rulebook].documents)


# -- the check itself can fail -------------------------------------------------------------
def test_the_contract_check_refuses_a_body_that_drifts_from_its_declaration(client, spec):
    contract = Contract(spec)
    good = client.post(f"/api/rulebooks/knowsley/evaluate?as_of={AS_OF}", json=KNOWSLEY_CASE).json()
    evaluate = "/api/rulebooks/knowsley/evaluate"

    def check(status, body, method="POST", path=evaluate):
        contract.check(method, path, status, "application/json", json.dumps(body).encode())

    check(200, good)
    drifted = [
        (200, {**good, "verdict": "x"}, "Additional properties are not allowed ('verdict' was unexpected)"),
        (200, {k: v for k, v in good.items() if k != "provenance"}, "'provenance' is a required property"),
        (200, {**good, "as_of": "22/11/2026"}, "$.as_of: '22/11/2026' is not a 'date'"),
        (200, {**good, "explanation": [{**good["explanation"][0], "rule": None}]}, "$.explanation[0].rule"),
        (422, {"detail": [{"loc": ["body"], "msg": "x", "type": "y"}]}, "'error' is a required property"),
        (404, {"error": "no rulebook `x`", "detail": "x"}, "('detail' was unexpected)"),
    ]
    for status, body, message in drifted:
        with pytest.raises(AssertionError) as refused:
            check(status, body)
        assert message in str(refused.value)
    with pytest.raises(AssertionError, match="answered 418, which /openapi.json does not declare"):
        check(418, {"error": "teapot"})
    with pytest.raises(AssertionError, match="'error' is a required property"):
        check(405, {"detail": "Method Not Allowed"}, method="GET")  # no operation: the app's own refusal
    assert contract.checked == 1


def test_an_api_answer_through_an_asgi_transport_is_checked_too(client):
    async def ask():
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            return await other.get("/api/rulebooks/knowsley")

    before = contract_of(client.app).checked
    assert asyncio.run(ask()).status_code == 200
    assert contract_of(client.app).checked == before + 1
