"""Every API operation in the OpenAPI schema, fed generated input by schemathesis as an agent and as
a manager: bad input gets a 4xx, never a server error (schemathesis's not_a_server_error check)."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error

from config.wsgi import application

raw = SchemaGenerator().get_schema(request=None, public=True)
schema = schemathesis.openapi.from_dict(raw)
schema.app = application


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()  # one operation's throttled requests must not starve the next


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Requests go through the WSGI application, whose end-of-request hook would close the test's
    database connection; Django's own test client switches that hook off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "mona"])
@schema.parametrize()
# Derandomized: the same inputs each run, so CI does not turn red by chance; a change to the
# schema or the code changes the inputs.
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case, persona, request):
    user = request.getfixturevalue(persona)
    _, token = AuthToken.objects.create(user=user)  # a fresh one: a generated logout may end the last
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=[not_a_server_error])
