"""schemathesis explores the JSON API from its own OpenAPI document and checks
that no request, however odd, makes the server fail, and that every answer has
a status and a body the document declares for it. Bounded for CI."""
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from policyengine.web import create_app

from ..conftest import ROOT

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(str(ROOT / "rulebooks")))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail_or_answer_off_its_document(case):
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])
