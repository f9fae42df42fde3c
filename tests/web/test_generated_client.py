"""A client generated from /openapi.json with openapi-python-client, as an integrating
system would make one, decides a shipped case through the API with typed results (#20).

The client is generated once for the module, offline, from the app's own document,
and talks to the app in-process over ``httpx.ASGITransport``: nothing leaves the machine.
"""
import asyncio
import datetime as dt
import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from policyengine.web import create_app

from ..conftest import EXAMPLES, MINIMAL, ROOT

pytest.importorskip("openapi_python_client", reason="openapi-python-client is not installed: "
                                                    "pip install -e '.[test]' to test a generated client")

PACKAGE = "policyengine_api_client"


@pytest.fixture(scope="module")
def app():
    return create_app(str(ROOT / "rulebooks"))


@pytest.fixture(scope="module")
def generated(app, tmp_path_factory):
    """The generated package, imported from its folder (and forgotten after the module)."""
    folder = tmp_path_factory.mktemp("generated")
    (folder / "openapi.json").write_bytes(TestClient(app).get("/openapi.json").content)
    (folder / "config.yaml").write_text("post_hooks: []\n")  # no formatter run: the code is only imported
    made = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--meta", "none",
                           "--path", folder / "openapi.json", "--config", folder / "config.yaml",
                           "--output-path", folder / PACKAGE, "--fail-on-warning"],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stdout + made.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(folder))
        yield importlib.import_module(PACKAGE)
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def call(generated, app, operation: str, **arguments):
    """``operation`` (an operationId) through the generated client, against ``app`` in-process."""
    module = importlib.import_module(f"{PACKAGE}.api.default.{operation}")

    async def ask():
        transport = httpx.ASGITransport(app=app)
        client = generated.Client(base_url="http://testserver").set_async_httpx_client(
            httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        async with client:
            return await module.asyncio(client=client, **arguments)

    return asyncio.run(ask())


def models(name: str):
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def test_each_operation_is_a_module_with_a_short_name(generated):
    folder = Path(generated.__path__[0]) / "api" / "default"
    assert sorted(p.stem for p in folder.glob("*.py")) == [
        "__init__", "evaluate_case", "get_case_schema", "get_rulebook", "list_rulebooks", "render_document"]


def test_a_generated_client_evaluates_a_shipped_case_with_typed_results(generated, app):
    case = models("Case").from_dict(json.loads((EXAMPLES / "knowsley" / "straightforward.json").read_text()))
    decision = call(generated, app, "evaluate_case", rulebook_id="knowsley", body=case, as_of=dt.date(2026, 11, 22))
    assert isinstance(decision, models("Decision"))
    assert decision.as_of == dt.date(2026, 11, 22) and decision.case_id == "KN-2026-0190"
    assert decision.outcomes.to_dict() == {
        "factor_count": 1, "complex": False, "may_be_complex": False, "reserved_tasks": [],
        "recommended_role": "assistant_care_manager", "allocation_permitted": True, "reallocation_review": False}
    assert decision.explanation[0].outcome == "factor_count" and decision.explanation[0].source == "guide §2.1"
    assert decision.documents == ["allocation_note"] and decision.alternatives is None
    assert (decision.rulebook.id, decision.provenance.rulebook_id) == ("knowsley", "knowsley")


def test_a_refused_case_is_a_typed_problem_naming_its_field(generated, app):
    case = models("Case").from_dict({"case_id": "K1", "family_dynamic": True})
    problem = call(generated, app, "evaluate_case", rulebook_id="knowsley", body=case)
    assert isinstance(problem, models("Problem"))
    assert (problem.error, problem.field) == ("unknown field `family_dynamic` (did you mean `family_dynamics`?)",
                                              "family_dynamic")


def test_a_rulebook_added_after_the_client_was_generated_is_served_to_it(generated, tmp_path):
    (tmp_path / "mini.yaml").write_text(MINIMAL, encoding="utf-8")
    rulebooks = call(generated, create_app(str(tmp_path)), "list_rulebooks")
    assert [(r.id, r.effective_from) for r in rulebooks] == [("mini", dt.date(2026, 1, 1))]
    detail = call(generated, create_app(str(tmp_path)), "get_rulebook", rulebook_id="mini")
    assert isinstance(detail, models("RulebookDetail")) and detail.outcomes == ["out"]
