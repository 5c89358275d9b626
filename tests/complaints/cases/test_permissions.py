"""Object-level rules for every case action, every role and both visibility settings.

alice owns the case (Team North, led by lena); bob is on her team; charlie is on another team;
mona is a manager, erin an executive. With CASE_VISIBILITY=all (the default) every staff member reads
every case and adds notes; with CASE_VISIBILITY=team agents and leads see the queue, their team's cases
and cases escalated to them (others: 404). Either way the owner, the owner's lead and managers change a
case (others who can see it: 403), and a take of an owned case is 409 naming the owner.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Case, CaseEvent
from tests.complaints.factories import make_case

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "alice", "bob", "charlie", "lena", "mona", "erin"]
VISIBILITY = ["all", "team"]
READ = {"anonymous": 401, "alice": 200, "bob": 200, "charlie": 200, "lena": 200, "mona": 200, "erin": 200}
CHANGE = {**READ, "bob": 403, "charlie": 403, "erin": 403}
NOTE = {**READ, "alice": 201, "bob": 201, "charlie": 201, "lena": 201, "mona": 201, "erin": 201}
TALK = {**CHANGE, "alice": 201, "lena": 201, "mona": 201}
# The case is owned: agents and leads taking it, leads and managers assigning it, are told who owns it.
TAKE = {**READ, "alice": 409, "bob": 409, "charlie": 409, "lena": 409, "mona": 403, "erin": 403}
ASSIGN_OWNED = {**READ, "alice": 403, "bob": 403, "charlie": 403, "lena": 409, "mona": 409, "erin": 403}


def due():
    return (timezone.now() + timedelta(days=2)).isoformat()


ACTIONS = {
    # action: (method, path suffix, body, expected per persona with CASE_VISIBILITY=all)
    "retrieve": ("get", "", None, READ),
    "timeline": ("get", "timeline/", None, READ),
    "update": ("patch", "", {"subject": "Changed"}, CHANGE),
    "notes": ("post", "notes/", {"text": "note"}, NOTE),
    "messages": ("post", "messages/", {"text": "hello"}, TALK),
    "promises": ("post", "promises/", {"text": "call", "due_at": None}, TALK),
    "escalate": ("post", "escalate/", {"level": "executive", "reason": "serious"}, CHANGE),
    "handover": ("post", "handover/", {"to": "bob", "reason": "I am away for two weeks"}, CHANGE),
    "resolve": ("post", "resolve/", {"resolution_summary": "done", "root_cause": "process"}, CHANGE),
    "take": (
        "post",
        "take/",
        None,
        {**READ, "alice": 409, "bob": 409, "charlie": 409, "lena": 409, "mona": 403, "erin": 403},
    ),
    "assign": (
        "post",
        "assign/",
        {"to": "bob"},
        {**READ, "alice": 403, "bob": 403, "charlie": 403, "lena": 409, "mona": 409, "erin": 403},
    ),
}


def expected_code(action, persona, visibility):
    code = ACTIONS[action][3][persona]
    # Under team visibility charlie does not know alice's case exists; a take or an assign still names
    # the owner (a race lost to another team is a conflict, not a vanished case).
    if visibility == "team" and persona == "charlie" and action not in ("take", "assign"):
        return 404
    return code


@pytest.fixture
def client_for(request, api, api_as):
    def make(persona):
        return api if persona == "anonymous" else api_as(request.getfixturevalue(persona))

    return make


@pytest.mark.parametrize("visibility", VISIBILITY)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_case_actions_by_role(settings, client_for, alice, bob, charlie, lena, mona, erin, visibility, persona, action):
    settings.CASE_VISIBILITY = visibility
    case = make_case(by=alice)
    method, suffix, body, _ = ACTIONS[action]
    if body and "due_at" in body:
        body = {**body, "due_at": due()}
    events_before = CaseEvent.objects.filter(case=case).count()
    response = getattr(client_for(persona), method)(f"/api/v1/cases/{case.reference}/{suffix}", body, format="json")
    assert response.status_code == expected_code(action, persona, visibility), response.content
    if response.status_code == 409:
        assert "alice" in response.content.decode()
    if response.status_code >= 400:
        case_after = Case.objects.get(pk=case.pk)
        assert (case_after.owner, case_after.status, case_after.subject) == (alice, case.status, case.subject)
        assert CaseEvent.objects.filter(case=case).count() == events_before


ASSIGN = {
    # who assigns, to whom: expected code on a queue case
    ("anonymous", "alice"): 401,
    ("alice", "bob"): 403,
    ("erin", "alice"): 403,
    ("lena", "alice"): 200,
    ("lena", "lena"): 200,
    ("lena", "charlie"): 400,
    ("lena", "mona"): 400,
    ("mona", "charlie"): 200,
    ("mona", "erin"): 400,
    ("mona", "nobody"): 400,
}


@pytest.mark.parametrize("visibility", VISIBILITY)
@pytest.mark.parametrize(("persona", "target"), list(ASSIGN))
def test_assign_a_queue_case_by_role(
    settings, client_for, alice, bob, charlie, lena, mona, erin, visibility, persona, target
):
    settings.CASE_VISIBILITY = visibility
    case = make_case()
    response = client_for(persona).post(f"/api/v1/cases/{case.reference}/assign/", {"to": target}, format="json")
    assert response.status_code == ASSIGN[(persona, target)], response.content
    case.refresh_from_db()
    if response.status_code == 200:
        assert case.owner.username == target
        assert response.json()["owner"]["username"] == target
    else:
        assert case.owner is None
        assert not CaseEvent.objects.filter(case=case, kind="assigned").exists()
    if response.status_code == 400:
        assert "to" in response.json()["errors"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_staff_member_lists_every_case_by_default(client_for, alice, bob, charlie, lena, mona, erin, persona):
    north, south, queue = make_case(by=alice), make_case(by=charlie), make_case()
    response = client_for(persona).get("/api/v1/cases/")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert {c["reference"] for c in response.json()["results"]} == {north.reference, south.reference, queue.reference}


@pytest.mark.parametrize("persona", PERSONAS)
def test_team_visibility_lists_only_cases_in_scope(
    settings, client_for, alice, bob, charlie, lena, mona, erin, persona
):
    settings.CASE_VISIBILITY = "team"
    north = make_case(by=alice)
    south = make_case(by=charlie)
    queue = make_case()
    response = client_for(persona).get("/api/v1/cases/")
    if persona == "anonymous":
        assert response.status_code == 401
        return
    seen = {c["reference"] for c in response.json()["results"]}
    expected = {
        "alice": {north, queue},
        "bob": {north, queue},
        "lena": {north, queue},
        "charlie": {south, queue},
        "mona": {north, south, queue},
        "erin": {north, south, queue},
    }[persona]
    assert seen == {c.reference for c in expected}


def test_escalation_lets_the_senior_person_see_a_case_outside_their_team(settings, api_as, alice, charlie, lena):
    settings.CASE_VISIBILITY = "team"
    case = make_case(by=charlie)
    assert api_as(lena).get(f"/api/v1/cases/{case.reference}/").status_code == 404
    api_as(charlie).post(f"/api/v1/cases/{case.reference}/escalate/", {"to": "lena", "reason": "expert"}, format="json")
    assert api_as(lena).get(f"/api/v1/cases/{case.reference}/").status_code == 200


def test_the_person_escalated_to_writes_and_promises_but_does_not_own(api_as, alice, charlie, lena, sink):
    case = make_case(by=charlie)
    api_as(charlie).post(f"/api/v1/cases/{case.reference}/escalate/", {"to": "lena", "reason": "expert"}, format="json")
    lead = api_as(lena)
    assert (
        lead.post(f"/api/v1/cases/{case.reference}/messages/", {"text": "I am on it"}, format="json").status_code == 201
    )
    promise = lead.post(
        f"/api/v1/cases/{case.reference}/promises/", {"text": "call back", "due_at": due()}, format="json"
    )
    assert promise.status_code == 201
    assert promise.json()["made_by"]["username"] == "lena"
    # Writing and promising is not changing: the case is still charlie's and lena cannot resolve it.
    assert lead.patch(f"/api/v1/cases/{case.reference}/", {"subject": "Mine"}, format="json").status_code == 403
    case.refresh_from_db()
    assert case.owner == charlie
