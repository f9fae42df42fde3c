"""schemathesis explores the JSON API from its own OpenAPI document and checks
that no request, however odd, makes the server fail. Bounded for CI."""
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from policyengine.web import create_app

from ..conftest import ROOT

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(str(ROOT / "rulebooks")))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail(case):
    case.call_and_validate(checks=[not_a_server_error])
