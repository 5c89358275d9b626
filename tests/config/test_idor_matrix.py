"""IDOR matrix (RELIABILITY.md test 10): every operation of the OpenAPI schema, called by each of six
personas (anonymous, alice, charlie, lena, mona, erin) on an object outside the caller's scope.

Pass: a 2xx only in the cells tests/config/idor_table.py allows (and there always a 2xx, so the requests
are valid and permission is what decides); every other cell refused with 401/403/404 or its listed
exception; no answer carries the words of an object the persona may not read; every list shows the
foreign object exactly to those who may read it. The table covers 100 % of the schema's operations: an
operation without a row fails, and so does a row without an operation. The case operations run a second
time with CASE_VISIBILITY=team, where the foreign case is hidden from agents and leads.
Figure: 66 operations x 6 personas = 396 cells, plus 22 case operations x 6 = 132 with team visibility.
"""

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import TestCase, override_settings
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.test import APIClient

from complaints.incidents.services import incident_declare
from complaints.promises.services import promise_make
from complaints.resolution.services import case_resolve
from feedback.models import Endorsement
from feedback.suggestions.services import suggestion_decide, suggestion_endorse
from tests.complaints.factories import make_case
from tests.config.idor_table import (
    ALLOWED,
    FOREIGN_OWNER,
    LISTS,
    OTHER_REFUSALS,
    PERSONAS,
    READERS,
    TEAM_VISIBILITY_CHANGES,
    TEAM_VISIBILITY_READERS,
)
from tests.crm.factories import CustomerFactory, ServiceFactory, StaffFactory
from tests.feedback.factories import DECISION, make_policy, make_suggestion
from tests.recognition.factories import tell

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
OPERATIONS = {
    f"{method.upper()} {path}": operation
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in HTTP_METHODS
}
REFUSED = frozenset({401, 403, 404})


def path_of(key: str) -> str:
    return key.split(" ", 1)[1]


def is_list(key: str) -> bool:
    """A GET without path parameters answering an array or a page of results."""
    if not key.startswith("GET ") or "{" in key:
        return False
    content = OPERATIONS[key]["responses"]["200"].get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema.get("properties", {}).get("results", {}).get("type") == "array"
    return schema.get("type") == "array"


def soon(days: int = 2) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


class World:
    """Everything the cells act on, made once for the module.

    For each foreign owner (FOREIGN_OWNER's alice and charlie): an open case, a case with an open promise and a
    resolved case, all about one customer, and an API token of theirs. The story waits for moderation, told by bob. The
    suggestion's author, who chose to appear as "a colleague", is outside the matrix. Incidents belong to no
    one: any lead or manager runs any of them.
    """

    def __init__(self):
        # The personas of tests/conftest.py (and bob, alice's teammate), made once instead of per test.
        lena = StaffFactory(username="lena", role="lead", team_name="Team North", leads_team=True)
        self.people = {
            "lena": lena,
            "alice": StaffFactory(username="alice", role="agent", team_name="Team North"),
            "bob": StaffFactory(username="bob", role="agent", team_name="Team North"),
            "charlie": StaffFactory(username="charlie", role="agent", team_name="Team South"),
            "mona": StaffFactory(username="mona", role="manager", team_name="Management"),
            "erin": StaffFactory(username="erin", role="executive", team_name="Board"),
        }
        self.customer = CustomerFactory(full_name="Ada CANARY-CUSTOMER", email="ada.canary@example.test")
        self.cases = {owner: OwnedCases(self.people[owner], self.customer) for owner in set(FOREIGN_OWNER.values())}
        bob, mona = self.people["bob"], self.people["mona"]
        self.pending_story = tell(bob, [self.people["alice"]], story="CANARY-STORY: she stayed until it worked.")
        author = StaffFactory(username="canary-author", first_name="Canaryauthor", team_name="Team West")
        hidden = make_suggestion(author=author, subject="CANARY-SUGGESTION opening hours", show_name=False)
        self.suggestion = suggestion_endorse(suggestion=hidden, by=bob)
        accepted = make_suggestion(author=bob, subject="Refunds on the first call")
        self.accepted_suggestion = suggestion_decide(suggestion=accepted, by=mona, status="accepted", decision=DECISION)
        self.another_suggestion = make_suggestion(author=bob, subject="Evening opening")
        self.policy = make_policy(by=mona, name="CANARY-POLICY refunds")
        self.service = ServiceFactory(slug="broadband", name="Broadband")
        self.incident = incident_declare(by=lena, title="CANARY-INCIDENT outage", services=[self.service])


class OwnedCases:
    """One foreign owner's cases, all about the same customer, and an API token of theirs."""

    def __init__(self, owner, customer):
        def new_case(subject: str):
            return make_case(by=owner, customer=customer, subject=f"CANARY-CASE-{owner.username} {subject}")

        self.case = new_case("broadband down")
        due = timezone.now() + timedelta(days=2)
        self.promise = promise_make(case=new_case("refund owed"), by=owner, text="We will call you back", due_at=due)
        self.resolved_case = case_resolve(
            case=new_case("wrong bill"), by=owner, resolution_summary="Refunded", root_cause="process"
        )
        self.token = AuthToken.objects.create(user=owner)[0]

    def every_case(self):
        return (self.case, self.promise.case, self.resolved_case)


class ForeignObjects:
    """The world as one persona meets it: the objects outside their scope, and how requests name them."""

    def __init__(self, world: World, persona: str):
        self.world = world
        self.people = world.people
        self.owner = world.people[FOREIGN_OWNER[persona]]
        self.owned = world.cases[self.owner.username]
        self.case = self.owned.case
        self.customer = world.customer
        self.suggestion = world.suggestion

    def canaries(self) -> dict[str, tuple[str, ...]]:
        """Words written into each kind of foreign object: an answer carrying them shows the object."""
        return {
            # The owner's name in it: the persona's own team's cases carry the same words otherwise.
            "case": (f"CANARY-CASE-{self.owner.username}",),
            "customer": ("CANARY-CUSTOMER",),
            "incident": ("CANARY-INCIDENT",),
            "policy": ("CANARY-POLICY",),
            "pending story": ("CANARY-STORY",),
            "suggestion": ("CANARY-SUGGESTION",),
            "hidden author": ("canary-author", "Canaryauthor"),  # username (and email) and display name
            "status link": tuple(case.public_token for case in self.owned.every_case()),
        }

    def identifier(self, kind: str) -> int | str:
        """How a list names the foreign object of this kind."""
        return {
            "case": self.case.reference,
            "customer": self.customer.pk,
            "incident": self.world.incident.pk,
            "policy": self.world.policy.pk,
            "pending story": self.world.pending_story.pk,
            "suggestion": self.suggestion.pk,
        }[kind]

    def path_value(self, key: str, name: str) -> int | str:
        path = path_of(key)
        if name == "reference":
            if "{promise_id}" in path:
                return self.owned.promise.case.reference
            return self.owned.resolved_case.reference if path.endswith("/reopen/") else self.case.reference
        if name == "promise_id":
            return self.owned.promise.pk
        if name == "token":
            # The status link's token is the only key; the reference is what someone outside may know.
            return self.case.reference
        if name == "id":
            collection = path.split("/")[3]
            if collection == "suggestions" and path.endswith("/implemented/"):
                return self.world.accepted_suggestion.pk
            objects = {
                "customers": self.customer,
                "incidents": self.world.incident,
                "policies": self.world.policy,
                "stories": self.world.pending_story,
                "suggestions": self.suggestion,
            }
            if collection in objects:
                return objects[collection].pk
        raise LookupError(f"No foreign object for {{{name}}} in {key}: add one to ForeignObjects.path_value.")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world, made once: each cell runs in its own savepoint inside this transaction (rolled back after
    the module), so whatever an allowed cell changes is gone before the next one."""
    with django_db_blocker.unblock():
        # Marked as a test case's transaction, like TestCase.setUpTestData's: the services' durable blocks run inside.
        atomics = TestCase._enter_atomics()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                made = World()
            yield made
        finally:
            TestCase._rollback_atomics(atomics)


def handover_target(foreign: ForeignObjects) -> str:
    """An agent who does not own the case already."""
    return "alice" if foreign.owner.username != "alice" else "charlie"


Body = Callable[[ForeignObjects], dict[str, Any] | None]

# A valid body for every unsafe operation, naming foreign objects where the operation takes them.
BODIES: dict[str, Body] = {
    "POST /api/v1/auth/logout/": lambda f: None,
    "POST /api/v1/auth/logout-all/": lambda f: None,
    "POST /api/v1/auth/token/": lambda f: {"username": f.owner.username, "password": "not their password"},
    "POST /api/v1/cases/": lambda f: {
        "customer": f.customer.pk,
        "channel": "phone",
        "subject": "Charged twice",
        "description": "Two payments for one bill.",
    },
    "PATCH /api/v1/cases/{reference}/": lambda f: {"subject": "Broadband down since Friday"},
    "POST /api/v1/cases/{reference}/assign/": lambda f: {"to": "alice"},
    "POST /api/v1/cases/{reference}/escalate/": lambda f: {"level": "executive", "reason": "Third outage"},
    "POST /api/v1/cases/{reference}/handover/": lambda f: {"to": handover_target(f), "reason": "Away for two weeks"},
    "POST /api/v1/cases/{reference}/messages/": lambda f: {"text": "We are on it."},
    "POST /api/v1/cases/{reference}/notes/": lambda f: {"text": "Line test failed."},
    "POST /api/v1/cases/{reference}/promises/": lambda f: {"text": "Engineer visit", "due_at": soon()},
    "POST /api/v1/cases/{reference}/promises/{promise_id}/break/": lambda f: {"reason": "No engineer free"},
    "POST /api/v1/cases/{reference}/promises/{promise_id}/keep/": lambda f: None,
    "POST /api/v1/cases/{reference}/promises/{promise_id}/reschedule/": lambda f: {
        "due_at": soon(days=5),
        "reason": "The part comes on Friday",
    },
    "POST /api/v1/cases/{reference}/promises/{promise_id}/withdraw/": lambda f: {"reason": "Refunded instead"},
    "POST /api/v1/cases/{reference}/reopen/": lambda f: {"reason": "Charged again"},
    "POST /api/v1/cases/{reference}/resolve/": lambda f: {"resolution_summary": "Fixed", "root_cause": "process"},
    "POST /api/v1/cases/{reference}/take/": lambda f: None,
    "POST /api/v1/customers/": lambda f: {"full_name": "Bea Newcomer", "email": "bea@example.test"},
    "PUT /api/v1/customers/{id}/": lambda f: {"full_name": f.customer.full_name, "email": f.customer.email},
    "PATCH /api/v1/customers/{id}/": lambda f: {"preferred_name": "Ada"},
    "POST /api/v1/customers/{id}/confirm-name/": lambda f: None,
    "POST /api/v1/customers/{id}/erase/": lambda f: {"reason": "Asked by letter on 1 March"},
    "POST /api/v1/incidents/": lambda f: {"title": "Outage", "services": [f.world.service.slug], "regions": ["north"]},
    "PATCH /api/v1/incidents/{id}/": lambda f: {"status": "identified"},
    "POST /api/v1/incidents/{id}/updates/": lambda f: {"subject": "Engineers on site", "body": "Back by six."},
    "POST /api/v1/public/cases/{token}/escalate/": lambda f: {"reason": "Nobody answers"},
    "POST /api/v1/public/cases/{token}/messages/": lambda f: {"text": "Any news?"},
    "POST /api/v1/public/cases/{token}/rating/": lambda f: {"score": 1},
    "POST /api/v1/public/cases/{token}/reopen/": lambda f: {"reason": "Still broken"},
    "POST /api/v1/public/complaints/": lambda f: {
        "name": "Ada",
        "email": f.customer.email,
        "description": "My bill is wrong.",
    },
    "POST /api/v1/public/compliments/": lambda f: {
        "about": f.case.reference,
        "token": f.case.reference,
        "story": "They sorted it in one call.",
    },
    "POST /api/v1/stories/": lambda f: {
        "about": [f.owner.username],
        "kind": "recovery",
        "story": "Stayed late to fix the customer's line.",
        "case": f.case.reference,
    },
    "POST /api/v1/stories/{id}/comments/": lambda f: {"text": "Well done."},
    "POST /api/v1/stories/{id}/decline/": lambda f: {"reason": "Please add what the customer said."},
    "POST /api/v1/stories/{id}/kudos/": lambda f: None,
    "DELETE /api/v1/stories/{id}/kudos/": lambda f: None,
    "POST /api/v1/stories/{id}/publish/": lambda f: None,
    "POST /api/v1/suggestions/": lambda f: {
        "subject": "Callbacks",
        "problem": "Customers wait on hold for an hour.",
        "proposal": "Offer a callback after five minutes.",
        "expected_benefit": "Fewer abandoned calls.",
        "cases": [f.case.reference],
    },
    "PATCH /api/v1/suggestions/{id}/": lambda f: {"subject": "Longer opening hours"},
    "POST /api/v1/suggestions/{id}/comments/": lambda f: {"text": "We see this every week."},
    "POST /api/v1/suggestions/{id}/decide/": lambda f: {"status": "under_review"},
    "POST /api/v1/suggestions/{id}/endorse/": lambda f: None,
    "DELETE /api/v1/suggestions/{id}/endorse/": lambda f: None,
    "POST /api/v1/suggestions/{id}/implemented/": lambda f: {"on": timezone.localdate().isoformat()},
    "POST /api/v1/suggestions/{id}/link-case/": lambda f: {"reference": f.case.reference},
    "POST /api/v1/suggestions/{id}/merge/": lambda f: {"into": f.world.another_suggestion.pk},
}

# Query parameters naming foreign objects (figures of another team; the foreign customer by address).
QUERIES: dict[str, Callable[[ForeignObjects], dict[str, Any]]] = {
    "GET /api/v1/figures/": lambda f: {"team": f.owner.staff_profile.team_id},
    "GET /api/v1/customers/similar/": lambda f: {"email": f.customer.email},
}

# What the caller does first so that the operation has something of theirs to act on.
PREPARE: dict[str, Callable[[ForeignObjects, Any], object]] = {
    "DELETE /api/v1/suggestions/{id}/endorse/": lambda f, user: suggestion_endorse(suggestion=f.suggestion, by=user),
}

# Something of someone else's that the operation must leave in place (it acts on the caller's own).
SURVIVORS: dict[str, Callable[[ForeignObjects], Any]] = {
    "POST /api/v1/auth/logout/": lambda f: AuthToken.objects.filter(pk=f.owned.token.pk),
    "POST /api/v1/auth/logout-all/": lambda f: AuthToken.objects.filter(pk=f.owned.token.pk),
    "DELETE /api/v1/suggestions/{id}/endorse/": lambda f: Endorsement.objects.filter(
        suggestion=f.suggestion, user=f.people["bob"]
    ),
}

# knox's logout ends the token the request came with, so these go with a real token, not force_authenticate.
TOKEN_AUTHENTICATED = {"POST /api/v1/auth/logout/", "POST /api/v1/auth/logout-all/"}


def expected_answer(key: str, persona: str, changes: dict[str, dict[str, int]]) -> frozenset[int] | None:
    """The statuses allowed for this cell; None for a 2xx."""
    if persona in changes.get(key, {}):
        return frozenset({changes[key][persona]})
    if persona in ALLOWED[key]:
        return None
    if persona in OTHER_REFUSALS.get(key, {}):
        return frozenset({OTHER_REFUSALS[key][persona]})
    return REFUSED


def client_for(key: str, user) -> APIClient:
    client = APIClient()
    if user is None:
        return client
    if key in TOKEN_AUTHENTICATED:
        client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    else:
        client.force_authenticate(user)
    return client


def send(client: APIClient, key: str, foreign: ForeignObjects):
    method, path = key.split(" ", 1)
    names = re.findall(r"{(\w+)}", path)
    url = path.format(**{name: foreign.path_value(key, name) for name in names})
    if method == "GET":
        return client.get(url, QUERIES.get(key, lambda f: {})(foreign))
    assert key in BODIES, f"{key}: no request body in BODIES (give a valid one, naming foreign objects)"
    return getattr(client, method.lower())(url, BODIES[key](foreign), format="json")


def body_of(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode()


def check_cell(
    world: World, key: str, persona: str, readers: dict[str, frozenset[str]], changes: dict[str, dict[str, int]]
) -> None:
    if key not in ALLOWED:
        pytest.fail(f"{key} has no row in tests/config/idor_table.py ALLOWED: say who may get a 2xx")
    cell = f"{key} as {persona}"
    foreign = ForeignObjects(world, persona)
    user = world.people.get(persona)
    if user is not None and key in PREPARE:
        PREPARE[key](foreign, user)
    survivor = SURVIVORS[key](foreign) if key in SURVIVORS else None
    if survivor is not None:
        assert survivor.exists(), f"{cell}: nothing of someone else's to keep"
    listed = foreign.identifier(LISTS[key]) if key in LISTS else None

    response = send(client_for(key, user), key, foreign)
    body = body_of(response)

    expected = expected_answer(key, persona, changes)
    if expected is None:
        assert 200 <= response.status_code < 300, f"{cell}: expected a 2xx, got {response.status_code}: {body[:500]}"
    else:
        assert response.status_code in expected, (
            f"{cell} on {FOREIGN_OWNER[persona]}'s object: expected {sorted(expected)}, "
            f"got {response.status_code}: {body[:500]}"
        )
    for kind, words in foreign.canaries().items():
        if persona not in readers[kind]:
            for word in words:
                assert word not in body, f"{cell}: the answer shows a {kind} they may not read ({word!r}): {body[:500]}"
    if listed is not None and response.status_code == 200:
        data = json.loads(body)
        field = "reference" if LISTS[key] == "case" else "id"
        shown = {item[field] for item in (data["results"] if isinstance(data, dict) else data)}
        if persona in readers[LISTS[key]]:
            assert listed in shown, f"{cell}: the foreign {LISTS[key]} {listed} is missing, so the list proves nothing"
        else:
            assert listed not in shown, f"{cell}: lists the foreign {LISTS[key]} {listed}"
    if survivor is not None:
        assert survivor.exists(), f"{cell}: removed something of someone else's"


def test_the_table_has_a_row_for_every_operation_and_none_for_others():
    schema, table = set(OPERATIONS), set(ALLOWED)
    assert not schema - table, f"Operations with no row in tests/config/idor_table.py ALLOWED: {sorted(schema - table)}"
    assert not table - schema, f"Rows in ALLOWED for operations not in the schema: {sorted(table - schema)}"
    for name, rows in (("OTHER_REFUSALS", OTHER_REFUSALS), ("TEAM_VISIBILITY_CHANGES", TEAM_VISIBILITY_CHANGES)):
        assert not set(rows) - schema, f"{name} names operations not in the schema: {sorted(set(rows) - schema)}"
    for key, refusals in OTHER_REFUSALS.items():
        assert not set(refusals) & ALLOWED[key], f"{key}: a persona both allowed and refused"
    assert set(BODIES) | set(QUERIES) <= schema, "BODIES or QUERIES name operations not in the schema"


def test_every_list_operation_names_the_objects_it_lists():
    lists = {key for key in OPERATIONS if is_list(key)}
    assert not lists - set(LISTS), f"List operations without a row in LISTS: {sorted(lists - set(LISTS))}"
    assert not set(LISTS) - lists, f"Rows in LISTS for operations that list nothing: {sorted(set(LISTS) - lists)}"


# Where a reader meets each kind of foreign object: its words are in the answer, so the leak checks,
# which look for the same words, would see it anywhere else.
SEEN_BY_A_READER = {
    "case": ("GET /api/v1/cases/{reference}/", "alice"),
    "customer": ("GET /api/v1/customers/{id}/", "alice"),
    "incident": ("GET /api/v1/incidents/{id}/", "lena"),
    "policy": ("GET /api/v1/policies/{id}/", "alice"),
    "pending story": ("GET /api/v1/stories/{id}/", "lena"),
    "suggestion": ("GET /api/v1/suggestions/{id}/", "alice"),
    "hidden author": ("GET /api/v1/suggestions/{id}/", "mona"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(SEEN_BY_A_READER))
def test_a_reader_sees_the_words_the_leak_checks_look_for(world, kind):
    key, persona = SEEN_BY_A_READER[kind]
    foreign = ForeignObjects(world, persona)
    body = body_of(send(client_for(key, world.people[persona]), key, foreign))
    assert all(word in body for word in foreign.canaries()[kind]), body[:500]


CELLS = [pytest.param(key, persona, id=f"{key} as {persona}") for key in OPERATIONS for persona in PERSONAS]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "persona"), CELLS)
def test_operation_on_a_foreign_object(world, key, persona):
    check_cell(world, key, persona, READERS, {})


def names_a_case(key: str) -> bool:
    return path_of(key).startswith("/api/v1/cases/") or key in TEAM_VISIBILITY_CHANGES


TEAM_CELLS = [
    pytest.param(key, persona, id=f"{key} as {persona}")
    for key in OPERATIONS
    if names_a_case(key)
    for persona in PERSONAS
]


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "persona"), TEAM_CELLS)
def test_case_operation_with_team_visibility(settings, world, key, persona):
    settings.CASE_VISIBILITY = "team"
    check_cell(world, key, persona, TEAM_VISIBILITY_READERS, TEAM_VISIBILITY_CHANGES)


@pytest.mark.django_db
@pytest.mark.parametrize("key", [key for key in OPERATIONS if "{promise_id}" in key])
def test_a_promise_is_reached_only_through_its_own_case(world, key):
    """alice settles promises on her own case; charlie's promise named under her case's reference is a 404."""
    foreign = ForeignObjects(world, "alice")
    url = path_of(key).format(reference=world.cases["alice"].case.reference, promise_id=foreign.owned.promise.pk)
    response = client_for(key, world.people["alice"]).post(url, BODIES[key](foreign), format="json")
    assert response.status_code == 404, response.content
