"""The API as schemathesis sees it from the OpenAPI schema. Every operation fed generated input, valid and
invalid, as each role (no login, agent, lead, manager, executive); every boundary and kind of invalid value
as the manager (slow); operations chained by OpenAPI links, most inferred by schemathesis, the rest added
here (the stateful phase). For every answer: no server error; body and status code as documented; invalid
input refused; an operation needing a login refuses none and a forged one; an object just created is there
for the operations taking its id, and one deleted is gone (RELIABILITY.md 19)."""

import copy
from collections import defaultdict

import jsonschema_rs
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, seed, settings
from knox.models import AuthToken
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from complaints.incidents import services as incident_services
from config.wsgi import application
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory, ServiceFactory
from tests.feedback.factories import make_policy, make_suggestion
from tests.recognition.factories import tell

PERSONAS = ["anonymous", "alice", "lena", "mona", "erin"]  # no login, agent, lead, manager, executive
# Derandomized: the same inputs each run, so CI does not turn red by chance; a change to the schema or
# the code changes the inputs.
GENERATION = {"deadline": None, "derandomize": True, "suppress_health_check": list(HealthCheck)}

raw_schema = SchemaGenerator().get_schema(request=None, public=True)


def with_case_links(document):
    """OpenAPI links schemathesis does not infer from the schema (it does an id in a response to an {id} in a
    path): from a customer to opening a case for them, and from a case to every operation on it by reference."""
    paths = document["paths"]

    def link(operation, status, name, target):
        operation["responses"][status].setdefault("links", {})[name] = target

    for operation, status, customer in [
        (paths["/api/v1/customers/"]["post"], "201", "$response.body#/id"),
        (paths["/api/v1/customers/"]["get"], "200", "$response.body#/results/*/id"),
        (paths["/api/v1/customers/{id}/"]["get"], "200", "$response.body#/id"),
    ]:
        opening = {"requestBody": {"customer": customer}, "x-schemathesis": {"merge_body": True}}
        link(operation, status, "OpenCase", {"operationId": paths["/api/v1/cases/"]["post"]["operationId"], **opening})
    on_a_case = [
        operation["operationId"]
        for path, item in paths.items()
        if path.startswith("/api/v1/cases/{reference}/") and "{promise_id}" not in path
        for operation in item.values()
    ]
    for operation, status, reference in [
        (paths["/api/v1/cases/"]["post"], "201", "$response.body#/reference"),
        (paths["/api/v1/cases/"]["get"], "200", "$response.body#/results/*/reference"),
        (paths["/api/v1/cases/{reference}/"]["get"], "200", "$response.body#/reference"),
    ]:
        for target in on_a_case:
            by_reference = {"operationId": target, "parameters": {"path.reference": reference}}
            link(operation, status, f"case_{target}", by_reference)
    return document


def schema_with(phases):
    # Credentials are the persona's, never generated: ignored_auth itself sends each request without them
    # and with forged ones.
    config = {"phases": phases, "generation": {"with-security-parameters": False}}
    document = with_case_links(copy.deepcopy(raw_schema))
    loaded = schemathesis.openapi.from_dict(document, config=SchemathesisConfig.from_dict(config))
    loaded.app = application  # every request through the real WSGI application
    return loaded


# Generated input, valid and invalid.
generated = schema_with({"coverage": {"enabled": False}})
# Schemathesis's coverage phase: each boundary and each kind of invalid value of every parameter and body
# property, about 100 requests an operation.
boundaries = schema_with({"fuzzing": {"enabled": False}, "coverage": {"unexpected-methods": []}})


def numbers_read_as_text(case):
    """Whether the request is invalid only by numbers in a JSON body where the schema says string. DRF reads a
    scalar by its text (the same serializers read form and multipart bodies, where everything is text), so
    {"full_name": 0} is the name "0": valid, and held to every rule of its field."""
    body, meta = case.body, case.meta
    if case.media_type != "application/json" or not isinstance(body, dict) or meta is None:
        return False
    if any(meta.is_negative_at(location) for location in ParameterLocation if location != ParameterLocation.BODY):
        return False
    body_schema = case.operation.get_body_for_media_type(case.media_type).optimized_schema
    reference = body_schema.get("$ref", "")  # "#/x-bundled/schema000001": schemathesis bundles components
    declared = body_schema["x-bundled"][reference.rpartition("/")[2]] if reference else body_schema
    properties = declared.get("properties", {})
    as_read = {
        name: str(value)
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and properties.get(name, {}).get("type") == "string"
        else value
        for name, value in body.items()
    }
    return as_read != body and jsonschema_rs.Draft4Validator(body_schema).is_valid(as_read)


def negative_data_rejection_as_drf_reads(ctx, response, case):
    if numbers_read_as_text(case):
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    negative_data_rejection_as_drf_reads,
    ignored_auth,
    use_after_free,
    ensure_resource_availability,
]


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Requests go through the WSGI application, whose end-of-request hook would close the test's
    database connection; Django's own test client switches that hook off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    """The throttles have tests of their own (tests/complaints/intake, tests/config/test_auth.py); here a 429
    would only stand in for the answer under test."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", defaultdict(lambda: None))


@pytest.fixture
def sent():
    """The operations a test sent requests to: none means schemathesis skipped its operation."""
    operations: list[str] = []
    yield operations
    assert operations, "no request sent: the operation was not exercised"


def login_headers(user):
    if user is None:
        return {}
    # A fresh token each time, as a generated logout may end the last; the only one, as knox reads all of
    # a user's tokens on each request.
    AuthToken.objects.filter(user=user).delete()
    _, token = AuthToken.objects.create(user=user)
    return {"Authorization": f"Token {token}"}


def persona_user(persona, request):
    return None if persona == "anonymous" else request.getfixturevalue(persona)


def test_every_operation_in_the_schema_is_generated():
    operations = [result.ok() for result in generated.get_all_operations()]
    documented = {(path, method) for path, item in raw_schema["paths"].items() for method in item}
    assert {(operation.path, operation.method) for operation in operations} == documented
    assert not [operation.label for operation in operations if operation.has_skipped_required_body]


@pytest.mark.slow  # a few hundred requests: make test runs it, make test-fast does not
@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@generated.parametrize()
@settings(max_examples=5, **GENERATION)
def test_generated_requests(case, persona, request, sent):
    sent.append(case.operation.label)
    case.call_and_validate(headers=login_headers(persona_user(persona, request)), checks=CHECKS)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["mona"])  # the manager, whom every operation lets furthest in
@boundaries.parametrize()
@settings(**GENERATION)
def test_boundary_requests(case, persona, request, sent):
    sent.append(case.operation.label)
    case.call_and_validate(headers=login_headers(persona_user(persona, request)), checks=CHECKS)


@pytest.fixture
def something_of_each_kind(alice, lena, mona):
    """A customer, a case, an incident, a policy, a suggestion and a story: the lists the chains start from."""
    CustomerFactory()
    make_case(by=alice)
    incident_services.incident_declare(by=lena, title="Broadband outage", services=[ServiceFactory()])
    make_suggestion(author=alice, policy=make_policy(by=mona))
    tell(by=alice, about=[lena])


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_chained_requests(persona, request, something_of_each_kind):
    headers = login_headers(request.getfixturevalue(persona))
    followed: list[str] = []

    @seed(PERSONAS.index(persona))  # each role its own scenarios, the same each run
    class Workflow(generated.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def step(self, input):
            if input.transition is not None and input.is_applied:
                followed.append(input.transition.id)
            return super().step(input)

        def validate_response(self, response, case, **kwargs):
            case.validate_response(
                response, checks=CHECKS, headers=headers, transport_kwargs=kwargs, recorder=self.recorder
            )

    Workflow.run(settings=settings(max_examples=8, stateful_step_count=15, **GENERATION))
    assert followed, "no link followed: the chains never got past their first request"
