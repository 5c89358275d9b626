"""The status page's four actions as JSON, for apps and widgets: the page's rules, limits and answers."""

from datetime import timedelta

import pytest
import yaml
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from complaints.intake.customer_actions import when
from complaints.models import Case, CaseStatus, Collaborator, EventKind
from complaints.promises import services as promise_services
from crm.models import OutboundEmail

pytestmark = pytest.mark.django_db


def url(case, action):
    return f"/api/v1/public/cases/{case.public_token}/{action}/"


def test_a_message_is_recorded_for_the_owner_and_answered_with_the_case(api, case, alice):
    response = api.post(url(case, "messages"), {"text": "Tuesday works for me."}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["detail"] == "Thank you, your message is on your case. Alice will read it."
    assert [m["text"] for m in body["case"]["messages"]][-1] == "Tuesday works for me."
    assert body["case"]["status"] == CaseStatus.OPEN
    assert "INTERNAL" not in response.content.decode()
    event = case.events.get(kind=EventKind.MESSAGE_IN)
    assert OutboundEmail.objects.get(key__contains=f"customer-message:{event.pk}").to_email == alice.email


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("messages", {"text": "   "}, "text"),
        ("messages", {}, "text"),
        ("rating", {"score": 6}, "score"),
        ("rating", {"score": "five"}, "score"),
        ("reopen", {"reason": ""}, "reason"),
        ("escalate", {}, "reason"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(api, resolved, action, body, field):
    events_before = resolved.events.count()
    response = api.post(url(resolved, action), body, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.content
    assert resolved.events.count() == events_before


def test_unknown_links_are_404(api):
    response = api.post("/api/v1/public/cases/nope/messages/", {"text": "hello"}, format="json")
    assert response.status_code == 404 and response.json() == {"detail": "Not found.", "errors": {}}


def test_a_rating_is_thanked_shown_and_cannot_be_given_twice(api, resolved):
    first = api.post(url(resolved, "rating"), {"score": 4, "comment": "Quick"}, format="json")
    assert first.status_code == 201
    assert first.json()["detail"].startswith("Thank you for rating us 4 out of 5")
    assert first.json()["case"]["resolution"]["rating"] == {"score": 4, "comment": "Quick"}
    again = api.post(url(resolved, "rating"), {"score": 1}, format="json")
    assert again.status_code == 409 and "already rated" in again.json()["detail"]
    assert resolved.events.filter(kind=EventKind.RATED).count() == 1


def test_rating_an_open_case_is_409(api, case):
    assert api.post(url(case, "rating"), {"score": 5}, format="json").status_code == 409


def test_the_resolution_is_in_the_case_as_json(api, resolved):
    resolution = api.get(f"/api/v1/public/cases/{resolved.public_token}/").json()["resolution"]
    assert resolution["summary"] == "Line fixed" and resolution["resolved_by_first_name"] == "Alice"
    assert resolution["rating"] is None and resolution["reopen_until"]


def test_reopen_names_who_answers_and_by_when_and_emails_the_owner(api, resolved, alice):
    response = api.post(url(resolved, "reopen"), {"reason": "It dropped again"}, format="json")
    assert response.status_code == 200, response.content
    answer = resolved.promises.open().get(kind="reply")
    assert response.json()["detail"] == f"Your case is open again. Alice will answer you by {when(answer.due_at)}."
    assert response.json()["case"]["status"] == CaseStatus.OPEN and response.json()["case"]["resolution"] is None
    assert OutboundEmail.objects.get(key__contains="reopened").to_email == alice.email


def test_reopen_after_the_window_is_409_with_advice(api, resolved):
    Case.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now() - timedelta(days=31))
    response = api.post(url(resolved, "reopen"), {"reason": "It dropped again"}, format="json")
    assert response.status_code == 409 and "new complaint" in response.json()["detail"]
    assert Case.objects.get(pk=resolved.pk).status == CaseStatus.RESOLVED


def test_asking_for_a_manager_adds_them_with_a_promised_answer_once(api, case, lena):
    response = api.post(url(case, "escalate"), {"reason": "Third time"}, format="json")
    assert response.status_code == 200, response.content
    answer = case.promises.open().get(kind="reply", made_by=lena)
    assert response.json()["detail"] == f"Lena has joined your case and will answer you by {when(answer.due_at)}."
    assert {"text": "A reply from Lena", "due_at": answer.due_at.isoformat().replace("+00:00", "Z"), "late": False} in (
        response.json()["case"]["promises"]
    )
    assert Collaborator.objects.filter(case=case, user=lena).exists()
    again = api.post(url(case, "escalate"), {"reason": "Faster please"}, format="json")
    assert again.status_code == 409 and "already on your case" in again.json()["detail"]


def test_the_page_and_the_api_share_one_limit_per_link(client, api, case):
    cache.clear()
    for n in range(5):
        assert client.post(f"/status/{case.public_token}/reply/", {"reply-text": f"page {n}"}).status_code == 302
    for n in range(5):
        response = api.post(url(case, "messages"), {"text": f"api {n}"}, format="json", REMOTE_ADDR=f"10.9.0.{n}")
        assert response.status_code == 201
    refused = api.post(url(case, "messages"), {"text": "one more"}, format="json", REMOTE_ADDR="10.9.1.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert case.events.filter(kind=EventKind.MESSAGE_IN).count() == 10


def test_the_four_actions_are_in_the_openapi_schema_without_login(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    paths = yaml.safe_load((tmp_path / "schema.yaml").read_text())["paths"]
    for action, schema in (
        ("messages", "PublicMessageInput"),
        ("rating", "PublicRatingInput"),
        ("reopen", "PublicReasonInput"),
        ("escalate", "PublicReasonInput"),
    ):
        post = paths[f"/api/v1/public/cases/{{token}}/{action}/"]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(f"{schema}Request")
        assert "security" not in post  # no login: the link is the key


def test_a_kept_promise_leaves_the_list_and_a_late_one_is_marked(api, case, alice):
    promise = promise_services.promise_make(
        case=case, by=alice, text="Engineer visit", due_at=timezone.now() + timedelta(days=1)
    )
    type(promise).objects.filter(pk=promise.pk).update(
        due_at=timezone.now() - timedelta(hours=1), overdue_at=timezone.now()
    )
    body = api.get(f"/api/v1/public/cases/{case.public_token}/").json()
    assert [(p["text"], p["late"]) for p in body["promises"]] == [("Engineer visit", True)]
