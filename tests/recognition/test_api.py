"""The stories API: every action by every persona (refusals change nothing), the board's balance, and the
public compliment endpoint with its limit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recognition.models import Story, StoryStatus
from recognition.stories import services
from tests.recognition.factories import published, tell

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "alice", "bob", "charlie", "lena", "mona", "erin"]
# bob told a story about alice; lena (a lead) and mona (a manager) moderate.
SEES_PENDING = {"anonymous": 401, "alice": 404, "bob": 200, "charlie": 404, "lena": 200, "mona": 200, "erin": 404}
MODERATES = {**SEES_PENDING, "bob": 403}


def url(story, action=""):
    return f"/api/v1/stories/{story.pk}/{action + '/' if action else ''}"


@pytest.fixture
def client_for(request, api, api_as):
    def make(persona):
        return api if persona == "anonymous" else api_as(request.getfixturevalue(persona))

    return make


PENDING_ACTIONS = {
    "retrieve": ("get", "", None, SEES_PENDING),
    "publish": ("post", "publish", {"kind": "delight"}, MODERATES),
    "decline": ("post", "decline", {"reason": "Please say what the customer said."}, MODERATES),
}
PUBLISHED_ACTIONS = {
    "retrieve": ("get", "", None, {p: 200 for p in PERSONAS} | {"anonymous": 401}),
    "kudos": ("post", "kudos", None, {p: 200 for p in PERSONAS} | {"anonymous": 401, "alice": 400}),
    "withdraw kudos": ("delete", "kudos", None, {p: 409 for p in PERSONAS} | {"anonymous": 401}),
    "comment": ("post", "comments", {"text": "Well done!"}, {p: 201 for p in PERSONAS} | {"anonymous": 401}),
    "publish again": (
        "post",
        "publish",
        {"kind": "delight"},
        {p: 409 for p in PERSONAS} | {"anonymous": 401, "alice": 403, "bob": 403, "charlie": 403, "erin": 403},
    ),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(PENDING_ACTIONS))
def test_pending_story_actions_by_role(client_for, alice, bob, charlie, lena, mona, erin, persona, action):
    story = tell(bob, [alice])
    method, suffix, body, expected = PENDING_ACTIONS[action]
    response = getattr(client_for(persona), method)(url(story, suffix), body, format="json")
    assert response.status_code == expected[persona], response.content
    if response.status_code >= 400:
        after = Story.objects.get(pk=story.pk)
        assert (after.status, after.moderated_by) == (StoryStatus.PENDING, None)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(PUBLISHED_ACTIONS))
def test_published_story_actions_by_role(client_for, alice, bob, charlie, lena, mona, erin, persona, action):
    story = published(bob, [alice], moderator=lena)
    method, suffix, body, expected = PUBLISHED_ACTIONS[action]
    response = getattr(client_for(persona), method)(url(story, suffix), body, format="json")
    assert response.status_code == expected[persona], response.content
    if response.status_code >= 400:
        after = Story.objects.get(pk=story.pk)
        assert (after.kudos_count, after.comments.count()) == (0, 0)


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_published_to_all_and_pending_to_teller_and_moderators(
    client_for, alice, bob, charlie, lena, mona, erin, persona
):
    shown = published(charlie, [bob], moderator=lena)
    waiting = tell(bob, [alice])
    response = client_for(persona).get("/api/v1/stories/")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    ids = {s["id"] for s in response.json()["results"]}
    expected = {shown.pk, waiting.pk} if persona in ("bob", "lena", "mona") else {shown.pk}
    assert ids == expected


def test_tell_publish_and_decline_through_the_api(api_as, alice, bob, lena):
    created = api_as(bob).post(
        "/api/v1/stories/",
        {"about": ["alice"], "kind": "recovery", "story": "Put the broken order right."},
        format="json",
    )
    assert created.status_code == 201 and created.json()["status"] == "pending"
    assert created.json()["about"][0]["username"] == "alice"
    bad = api_as(bob).post("/api/v1/stories/", {"about": ["bob"], "kind": "delight", "story": "Me!"}, format="json")
    assert bad.status_code == 400 and "about" in bad.json()["errors"]
    story_id = created.json()["id"]
    done = api_as(lena).post(f"/api/v1/stories/{story_id}/publish/", {}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "published" and done.json()["kind"] == "recovery"
    other = tell(bob, [alice])
    declined = api_as(lena).post(url(other, "decline"), {"reason": "Add what happened, please."}, format="json")
    assert declined.json()["decline_reason"] == "Add what happened, please."
    assert api_as(bob).get(url(other)).json()["decline_reason"] == "Add what happened, please."


def test_filters_and_the_balance(api_as, alice, bob, charlie, lena):
    published(charlie, [alice], moderator=lena, kind="recovery")
    published(charlie, [alice], moderator=lena, kind="recovery")
    published(alice, [charlie], moderator=lena, kind="delight")
    client = api_as(bob)
    assert client.get("/api/v1/stories/", {"kind": "delight"}).json()["count"] == 1
    assert client.get("/api/v1/stories/", {"person": "alice"}).json()["count"] == 2
    team = alice.staff_profile.team_id
    assert client.get("/api/v1/stories/", {"team": team}).json()["count"] == 2
    balance = client.get("/api/v1/board/balance/").json()
    assert (balance["overall"]["delight"], balance["overall"]["recovery"]) == (1, 2)
    north = next(row for row in balance["teams"] if row["name"] == "Team North")
    assert (north["delight_share"], north["needs_nudge"]) == (0.0, True)


def test_public_compliments_need_no_login_and_are_limited(api, alice):
    body = {"about": "Alice", "story": "Alice was wonderful.", "name": "Ann"}
    missing = api.post("/api/v1/public/compliments/", {"about": "Alice"}, format="json")
    assert missing.status_code == 400 and "story" in missing.json()["errors"]
    for _ in range(9):  # THROTTLE_PUBLIC_COMPLIMENT: 10 an hour per client address, that refusal included
        assert api.post("/api/v1/public/compliments/", body, format="json").status_code == 201
    refused = api.post("/api/v1/public/compliments/", body, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Story.objects.filter(teller_kind="customer").count() == 9


def test_the_list_does_not_grow_queries_with_rows(api_as, alice, bob, charlie, lena, django_assert_max_num_queries):
    client = api_as(charlie)
    published(bob, [alice], moderator=lena)
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/stories/")
    for _ in range(10):
        story = published(bob, [alice, lena], moderator=lena)
        services.story_give_kudos(story=story, by=charlie)
    with django_assert_max_num_queries(len(one)):
        assert client.get("/api/v1/stories/").json()["count"] == 11
