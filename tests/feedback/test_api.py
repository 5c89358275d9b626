"""The suggestions API: every action by every persona (refusals change nothing), the flow end to end, the
author's choice to appear as "a colleague", filters, and lists that do not grow queries with rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.models import Suggestion, SuggestionEvent, SuggestionStatus
from feedback.suggestions import services
from tests.complaints.factories import make_case
from tests.feedback.conftest import suggestion_url
from tests.feedback.factories import DECISION, make_suggestion

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "alice", "bob", "lena", "mona", "erin"]
STAFF = {"anonymous": 401, "alice": 200, "bob": 200, "lena": 200, "mona": 200, "erin": 200}
CREATED = {**STAFF, "alice": 201, "bob": 201, "lena": 201, "mona": 201, "erin": 201}
MANAGERS = {**STAFF, "alice": 403, "bob": 403, "lena": 403, "erin": 403}

ACTIONS = {
    # action: (method, suffix, body, expected per persona; alice wrote the suggestion, mona decides it)
    "retrieve": ("get", "", None, STAFF),
    "edit": (
        "patch",
        "",
        {"proposal": "Refund within one day."},
        {**STAFF, "bob": 403, "lena": 403, "mona": 403, "erin": 403},
    ),
    "endorse": ("post", "endorse", None, {**STAFF, "alice": 400}),
    "withdraw endorsement": (
        "delete",
        "endorse",
        None,
        {**STAFF, "alice": 409, "bob": 409, "lena": 409, "mona": 409, "erin": 409},
    ),
    "comment": ("post", "comments", {"text": "We see this every week."}, CREATED),
    "decide": ("post", "decide", {"status": "accepted", "decision": DECISION}, MANAGERS),
    "implemented": ("post", "implemented", {"on": "2026-01-01"}, {**MANAGERS, "mona": 409}),
    "merge": ("post", "merge", {"into": None}, MANAGERS),
}


@pytest.fixture
def client_for(request, api, api_as):
    def make(persona):
        return api if persona == "anonymous" else api_as(request.getfixturevalue(persona))

    return make


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_by_every_persona(client_for, alice, bob, lena, mona, erin, refunds, persona, action):
    suggestion = make_suggestion(author=alice, policy=refunds)
    other = make_suggestion(author=bob, policy=refunds)
    method, suffix, body, expected = ACTIONS[action]
    if action == "merge":
        body = {"into": other.pk}
    events_before = SuggestionEvent.objects.count()
    response = getattr(client_for(persona), method)(suggestion_url(suggestion, suffix), body, format="json")
    assert response.status_code == expected[persona], response.content
    if response.status_code >= 400:
        after = Suggestion.objects.get(pk=suggestion.pk)
        assert (after.status, after.proposal, after.endorsement_count) == ("submitted", suggestion.proposal, 0)
        assert SuggestionEvent.objects.count() == events_before
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_staff_member_lists_and_submits(client_for, alice, bob, lena, mona, erin, refunds, persona):
    client = client_for(persona)
    assert client.get("/api/v1/suggestions/").status_code == STAFF[persona]
    response = client.post(
        "/api/v1/suggestions/",
        {"policy": refunds.pk, "problem": "Long waits", "proposal": "Call back", "expected_benefit": "Less anger"},
        format="json",
    )
    assert response.status_code == CREATED[persona]
    assert client.get("/api/v1/policies/").status_code == STAFF[persona]


def test_the_whole_flow_through_the_api(api_as, alice, bob, mona, refunds):
    case = make_case(by=alice)
    created = api_as(alice).post(
        "/api/v1/suggestions/",
        {
            "policy": refunds.pk,
            "problem": "Duplicate charges wait three weeks for a refund.",
            "proposal": "Refund duplicate charges on the first call.",
            "expected_benefit": "Fewer repeat calls.",
            "cases": [case.reference],
            "show_name": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["cases"] == [case.reference] and body["deciding_manager"]["username"] == "mona"
    assert body["author"]["username"] == "alice" and body["status"] == "submitted"
    url = f"/api/v1/suggestions/{body['id']}/"
    assert api_as(bob).post(url + "endorse/").json()["endorsement_count"] == 1
    assert api_as(bob).post(url + "endorse/").status_code == 409
    short = api_as(mona).post(url + "decide/", {"status": "accepted", "decision": "ok"}, format="json")
    assert short.status_code == 400 and "decision" in short.json()["errors"]
    accepted = api_as(mona).post(url + "decide/", {"status": "accepted", "decision": DECISION}, format="json")
    assert accepted.status_code == 200 and accepted.json()["decided_by"]["username"] == "mona"
    again = api_as(mona).post(url + "decide/", {"status": "declined", "decision": DECISION}, format="json")
    assert again.status_code == 409 and "Accepted" in again.json()["detail"]
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert api_as(mona).post(url + "implemented/", {"on": future}, format="json").status_code == 400
    today = timezone.localdate().isoformat()
    done = api_as(mona).post(url + "implemented/", {"on": today}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "implemented"


def test_an_author_who_chose_not_to_be_named_is_a_colleague_to_colleagues(api_as, alice, bob, mona, erin, refunds):
    suggestion = make_suggestion(author=alice, policy=refunds, show_name=False)
    url = suggestion_url(suggestion)
    for persona in (bob, erin):
        body = api_as(persona).get(url).json()
        assert body["author"] is None and body["show_name"] is None
        listed = api_as(persona).get("/api/v1/suggestions/").json()["results"]
        assert listed[0]["author"] is None and "alice" not in str(listed)
    assert api_as(mona).get(url).json()["author"]["username"] == "alice"
    assert api_as(alice).get(url).json()["show_name"] is False
    # Filtering by team does not give it away either.
    team = alice.staff_profile.team_id
    assert api_as(bob).get("/api/v1/suggestions/", {"team": team}).json()["count"] == 0
    assert api_as(mona).get("/api/v1/suggestions/", {"team": team}).json()["count"] == 1


def test_filters(api_as, alice, bob, mona, refunds):
    mine = make_suggestion(author=alice, policy=refunds)
    other = make_suggestion(author=bob, subject="Hold music")
    services.suggestion_decide(suggestion=other, by=mona, status="declined", decision=DECISION)
    late = make_suggestion(author=bob, policy=refunds)
    Suggestion.objects.filter(pk=late.pk).update(decision_due_at=timezone.now() - timedelta(days=1))
    client = api_as(alice)

    def ids(**query):
        return {s["id"] for s in client.get("/api/v1/suggestions/", query).json()["results"]}

    assert ids(mine="true") == {mine.pk}
    assert ids(status="declined") == {other.pk}
    assert ids(policy=refunds.pk) == {mine.pk, late.pk}
    assert ids(overdue="true") == {late.pk}
    assert client.get("/api/v1/suggestions/", {"status": "nonsense"}).status_code == 400


def test_merge_answers_the_merged_suggestion_pointing_at_the_other(api_as, alice, bob, mona, refunds):
    source, target = make_suggestion(author=alice, policy=refunds), make_suggestion(author=bob, policy=refunds)
    response = api_as(mona).post(suggestion_url(source, "merge"), {"into": target.pk}, format="json")
    assert response.status_code == 200 and response.json()["merged_into"] == target.pk
    assert response.json()["status"] == SuggestionStatus.MERGED
    itself = api_as(mona).post(suggestion_url(target, "merge"), {"into": target.pk}, format="json")
    assert itself.status_code == 400 and "into" in itself.json()["errors"]


def test_unknown_suggestions_are_404(api_as, alice):
    assert api_as(alice).get("/api/v1/suggestions/999999/").status_code == 404
    assert api_as(alice).post("/api/v1/suggestions/999999/endorse/").status_code == 404


def test_the_list_does_not_grow_queries_with_rows(api_as, alice, bob, refunds, django_assert_max_num_queries):
    client = api_as(bob)
    make_suggestion(author=alice, policy=refunds, cases=[make_case(by=alice).reference])
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/suggestions/")
    for _ in range(10):
        make_suggestion(author=alice, policy=refunds, cases=[make_case(by=alice).reference])
    with django_assert_max_num_queries(len(one)):
        assert client.get("/api/v1/suggestions/").json()["count"] == 11
