"""The API keeps its word: each /api response a test receives is checked against
the schema /openapi.json declares for that operation and status.

``api_responses_keep_their_contract`` (autouse in tests/web and tests/adversarial)
wraps httpx's ``send``, which Starlette's TestClient and any ``httpx`` client over
an ASGI transport go through, so every existing API test checks the contract too:
a body that drifts from its model in ``policyengine.web.contract``, or a status
an operation does not declare, fails the test that received it.
"""
from __future__ import annotations

import re
import weakref

import httpx
import jsonschema
import pytest

#: A response to no operation (an unknown path, a method not allowed) is the app's own refusal.
REFUSAL = {"$ref": "#/components/schemas/Problem"}


class Contract:
    """One app's /openapi.json, as a check of the responses it sends."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.routes = [(re.compile(re.sub(r"\{[^/}]+\}", "[^/]+", path)), path, operations)
                       for path, operations in spec["paths"].items()]
        self.validators: dict[str, jsonschema.Draft202012Validator] = {}
        self.checked = 0

    def schema_for(self, method: str, path: str, status: int) -> dict:
        """The schema declared for this response, or a clear failure if it has none."""
        for pattern, template, operations in self.routes:
            operation = operations.get(method.lower())
            if pattern.fullmatch(path) and operation is not None:
                declared = operation["responses"]
                assert str(status) in declared, (
                    f"{method} {template} answered {status}, which /openapi.json does not declare "
                    f"(it declares {', '.join(declared)})")
                return declared[str(status)]["content"]["application/json"]["schema"]
        return REFUSAL

    def check(self, method: str, path: str, status: int, content_type: str, body: bytes) -> None:
        if method == "HEAD":
            return
        schema = self.schema_for(method, path, status)
        assert content_type.split(";")[0] == "application/json", f"{method} {path} answered {content_type}"
        key = repr(schema)
        if key not in self.validators:
            self.validators[key] = jsonschema.Draft202012Validator(
                {**schema, "components": self.spec["components"]},
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        errors = sorted(self.validators[key].iter_errors(httpx.Response(status, content=body).json()),
                        key=lambda e: e.json_path)
        assert not errors, (f"{method} {path} answered {status} with a body its declared schema refuses: "
                            + "; ".join(f"{e.json_path}: {e.message}" for e in errors[:5]))
        self.checked += 1


_CONTRACTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def contract_of(app) -> Contract | None:
    """The contract of ``app`` (read once per app), or None for an app without /openapi.json."""
    if not callable(getattr(app, "openapi", None)):
        return None
    if app not in _CONTRACTS:
        _CONTRACTS[app] = Contract(app.openapi())
    return _CONTRACTS[app]


def check_response(client: httpx.Client | httpx.AsyncClient, response: httpx.Response) -> None:
    """Check ``response`` if it is an /api answer of an app served in-process."""
    contract = contract_of(getattr(getattr(client, "_transport", None), "app", None))
    request = response.request
    if contract is None or not request.url.path.startswith("/api/"):
        return
    contract.check(request.method, request.url.path, response.status_code,
                   response.headers.get("content-type", ""), response.content)


@pytest.fixture(autouse=True)
def api_responses_keep_their_contract(monkeypatch):
    send, send_async = httpx.Client.send, httpx.AsyncClient.send

    def checked(self, request, *args, **kwargs):
        response = send(self, request, *args, **kwargs)
        if not kwargs.get("stream"):
            check_response(self, response)
        return response

    async def checked_async(self, request, *args, **kwargs):
        response = await send_async(self, request, *args, **kwargs)
        if not kwargs.get("stream"):
            check_response(self, response)
        return response

    monkeypatch.setattr(httpx.Client, "send", checked)
    monkeypatch.setattr(httpx.AsyncClient, "send", checked_async)
