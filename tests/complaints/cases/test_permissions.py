"""Object-level rules for every case action and every role.

alice owns the case (Team North, led by lena); bob is on her team; charlie is on another team;
mona is a manager, erin an executive. Agents and leads see the team queue, their team's cases and
cases escalated to them (others: 404). The owner, the owner's lead and managers change a case
(others who can see it: 403). Any staff member who can see a case may add a note.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Case, CaseEvent
from tests.complaints.factories import make_case

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "alice", "bob", "charlie", "lena", "mona", "erin"]
CHANGE = {"anonymous": 401, "alice": 200, "bob": 403, "charlie": 404, "lena": 200, "mona": 200, "erin": 403}
READ = {"anonymous": 401, "alice": 200, "bob": 200, "charlie": 404, "lena": 200, "mona": 200, "erin": 200}


def due():
    return (timezone.now() + timedelta(days=2)).isoformat()


ACTIONS = {
    # action: (method, path suffix, body, expected per persona, success code)
    "retrieve": ("get", "", None, READ),
    "timeline": ("get", "timeline/", None, READ),
    "update": ("patch", "", {"subject": "Changed"}, CHANGE),
    "notes": (
        "post",
        "notes/",
        {"text": "note"},
        {**READ, "alice": 201, "bob": 201, "lena": 201, "mona": 201, "erin": 201},
    ),
    "messages": ("post", "messages/", {"text": "hello"}, {**CHANGE, "alice": 201, "lena": 201, "mona": 201}),
    "promises": (
        "post",
        "promises/",
        {"text": "call", "due_at": None},
        {**CHANGE, "alice": 201, "lena": 201, "mona": 201},
    ),
    "escalate": ("post", "escalate/", {"level": "executive", "reason": "serious"}, CHANGE),
    "handover": ("post", "handover/", {"to": "bob", "reason": "I am away for two weeks"}, CHANGE),
    "resolve": ("post", "resolve/", {"resolution_summary": "done", "root_cause": "process"}, CHANGE),
    "take": ("post", "take/", None, {**READ, "alice": 409, "bob": 409, "lena": 409, "mona": 403, "erin": 403}),
}


@pytest.fixture
def client_for(request, api, api_as):
    def make(persona):
        return api if persona == "anonymous" else api_as(request.getfixturevalue(persona))

    return make


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_case_actions_by_role(client_for, alice, bob, charlie, lena, mona, erin, persona, action):
    case = make_case(by=alice)
    method, suffix, body, expected = ACTIONS[action]
    if body and "due_at" in body:
        body = {**body, "due_at": due()}
    events_before = CaseEvent.objects.filter(case=case).count()
    response = getattr(client_for(persona), method)(f"/api/v1/cases/{case.reference}/{suffix}", body, format="json")
    assert response.status_code == expected[persona], response.content
    if response.status_code >= 400:
        case_after = Case.objects.get(pk=case.pk)
        assert (case_after.owner, case_after.status, case_after.subject) == (alice, case.status, case.subject)
        assert CaseEvent.objects.filter(case=case).count() == events_before


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_contain_only_cases_in_scope(client_for, alice, bob, charlie, lena, mona, erin, persona):
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


def test_escalation_lets_the_senior_person_see_a_case_outside_their_team(api_as, alice, charlie, lena):
    case = make_case(by=charlie)
    assert api_as(lena).get(f"/api/v1/cases/{case.reference}/").status_code == 404
    api_as(charlie).post(f"/api/v1/cases/{case.reference}/escalate/", {"to": "lena", "reason": "expert"}, format="json")
    assert api_as(lena).get(f"/api/v1/cases/{case.reference}/").status_code == 200
