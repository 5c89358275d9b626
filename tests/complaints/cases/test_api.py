"""The cases API end to end, as an agent and their lead would use it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Case, CaseEvent, CaseStatus, EventKind, Promise, PromiseStatus
from config import pagination
from crm.models import OutboundEmail
from tests.complaints.factories import CategoryFactory, make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def url(case, action=""):
    return f"/api/v1/cases/{case.reference}/{action + '/' if action else ''}"


def future(hours=24):
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def test_agent_logs_a_phone_case_and_owns_it(api_as, alice):
    customer = CustomerFactory(full_name="Margaret Thomas", title="Mrs", formal_name="Thomas")
    CategoryFactory(slug="billing", name="Billing")
    response = api_as(alice).post(
        "/api/v1/cases/",
        {
            "customer": customer.pk,
            "channel": "phone",
            "subject": "Charged twice",
            "description": "Two payments.",
            "category": "billing",
            "severity": "high",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"].startswith("GD-") and body["status"] == "open"
    assert body["owner"] == {"username": "alice", "display_name": "Alice"}
    assert body["customer"]["salutation"] == "Dear Mrs Thomas"
    assert (body["category"], body["severity"]) == ("billing", "high")


def test_web_case_is_taken_once_and_the_second_agent_hears_who_owns_it(api_as, alice, bob):
    case = make_case()
    first = api_as(alice).post(url(case, "take"))
    second = api_as(bob).post(url(case, "take"))
    assert first.status_code == 200 and first.json()["owner"]["username"] == "alice"
    assert second.status_code == 409
    assert second.json() == {"detail": "This case is already owned by Alice.", "errors": {"owner": ["alice"]}}
    assert CaseEvent.objects.filter(case=case, kind=EventKind.TAKEN).count() == 1


def test_full_scenario_note_message_promise_escalate_resolve_reopen(api_as, alice, bob, lena):
    case = make_case(by=alice)
    client = api_as(alice)
    assert (
        api_as(bob).post(url(case, "notes"), {"text": "I spoke to them last week."}, format="json").status_code == 201
    )
    message = client.post(url(case, "messages"), {"text": "We are on it.", "await_reply": True}, format="json")
    assert message.status_code == 201
    assert OutboundEmail.objects.filter(key__startswith=f"case:{case.pk}:message:").count() == 1
    promise = client.post(url(case, "promises"), {"text": "Engineer visit", "due_at": future(48)}, format="json")
    assert promise.status_code == 201
    promise_id = promise.json()["id"]
    moved = client.post(
        url(case, f"promises/{promise_id}/reschedule"),
        {"due_at": future(72), "reason": "The part arrives on Thursday"},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["replaces"] == promise_id
    assert OutboundEmail.objects.filter(key=f"promise:{promise_id}:slip").exists()
    kept = client.post(url(case, f"promises/{moved.json()['id']}/keep"))
    assert kept.json()["status"] == "kept"
    escalated = client.post(url(case, "escalate"), {"level": "lead", "reason": "Third outage"}, format="json")
    assert escalated.status_code == 200
    assert escalated.json()["owner"]["username"] == "alice"
    assert escalated.json()["collaborators"][0]["username"] == "lena"
    resolved = client.post(
        url(case, "resolve"), {"resolution_summary": "Line replaced", "root_cause": "product"}, format="json"
    )
    assert resolved.json()["status"] == "resolved"
    reopened = client.post(url(case, "reopen"), {"reason": "Down again"}, format="json")
    assert reopened.json()["status"] == "open" and reopened.json()["owner"]["username"] == "alice"
    kinds = [e["kind"] for e in client.get(url(case, "timeline")).json()["results"]]
    assert kinds[:2] == ["created", "call_logged"] and kinds[-1] == "reopened"
    assert "note" in kinds and "escalated" in kinds and "promise_rescheduled" in kinds
    newest = client.get(url(case, "timeline"), {"order": "newest"}).json()["results"]
    assert newest[0]["kind"] == "reopened"


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("handover", {"to": "bob", "reason": "too short"}, "reason"),
        ("handover", {"to": "nobody", "reason": "Going on leave for two weeks"}, "to"),
        ("handover", {"reason": "Going on leave for two weeks"}, "to"),
        ("escalate", {"reason": "Needs a manager"}, "level"),
        ("escalate", {"level": "boss", "reason": "x"}, "level"),
        ("notes", {"text": ""}, "text"),
        ("promises", {"text": "Call back", "due_at": "2020-01-01T10:00:00+00:00"}, "due_at"),
        ("promises", {"text": "Call back", "due_at": "tomorrow"}, "due_at"),
        ("resolve", {"resolution_summary": "Fixed"}, "root_cause"),
        ("resolve", {"resolution_summary": "Fixed", "root_cause": "gremlins"}, "root_cause"),
        ("reopen", {}, "reason"),
    ],
)
def test_bad_input_is_400_naming_the_field(api_as, alice, bob, action, body, field):
    case = make_case(by=alice)
    if action == "reopen":
        api_as(alice).post(url(case, "resolve"), {"resolution_summary": "x", "root_cause": "process"}, format="json")
    before = CaseEvent.objects.filter(case=case).count()
    response = api_as(alice).post(url(case, action), body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert CaseEvent.objects.filter(case=case).count() == before


def test_message_to_a_customer_without_email_is_refused_with_the_reason(api_as, alice):
    case = make_case(by=alice, customer=CustomerFactory(email=""))
    response = api_as(alice).post(url(case, "messages"), {"text": "Hello"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"customer": ["The customer has no email address."]}


def test_actions_not_allowed_in_the_status_are_409_naming_it(api_as, alice):
    case = make_case(by=alice)
    client = api_as(alice)
    client.post(url(case, "resolve"), {"resolution_summary": "Fixed", "root_cause": "system"}, format="json")
    for action, body in (
        ("resolve", {"resolution_summary": "x", "root_cause": "system"}),
        ("promises", {"text": "x", "due_at": future()}),
        ("escalate", {"level": "lead", "reason": "why"}),
    ):
        response = client.post(url(case, action), body, format="json")
        assert response.status_code == 409, action
        assert "resolved" in response.json()["detail"]


def test_unknown_reference_and_foreign_promise_are_404(api_as, alice):
    assert api_as(alice).get("/api/v1/cases/GD-999999/").status_code == 404
    mine, other = make_case(by=alice), make_case(by=alice)
    promise = api_as(alice).post(url(other, "promises"), {"text": "x", "due_at": future()}, format="json").json()
    assert api_as(alice).post(url(mine, f"promises/{promise['id']}/keep")).status_code == 404
    assert Promise.objects.get(pk=promise["id"]).status == PromiseStatus.OPEN


def test_rescheduling_a_past_due_promise_is_409(api_as, alice):
    case = make_case(by=alice)
    promise = api_as(alice).post(url(case, "promises"), {"text": "x", "due_at": future()}, format="json").json()
    Promise.objects.filter(pk=promise["id"]).update(due_at=timezone.now() - timedelta(minutes=1))
    response = api_as(alice).post(
        url(case, f"promises/{promise['id']}/reschedule"), {"due_at": future(), "reason": "Late part"}, format="json"
    )
    assert response.status_code == 409


def test_mass_assignment_changes_nothing_it_should_not(api_as, alice, bob):
    customer = CustomerFactory()
    response = api_as(alice).post(
        "/api/v1/cases/",
        {
            "customer": customer.pk,
            "channel": "web",
            "subject": "S",
            "description": "D",
            "owner": bob.pk,
            "status": "resolved",
            "reference": "GD-000001",
            "public_token": "mine",
            "resolved_on_first_contact": True,
            "opened_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201
    case = Case.objects.get(reference=response.json()["reference"])
    assert (case.owner, case.status, case.public_token != "mine", case.opened_at.year > 2000) == (
        alice,
        CaseStatus.OPEN,
        True,
        True,
    )
    patched = api_as(alice).patch(
        url(case), {"subject": "New subject", "owner": bob.pk, "status": "closed"}, format="json"
    )
    assert patched.status_code == 200
    case.refresh_from_db()
    assert (case.subject, case.owner, case.status) == ("New subject", alice, CaseStatus.OPEN)
    assert CaseEvent.objects.get(case=case, kind=EventKind.UPDATED).data["changes"] == {"subject": ["S", "New subject"]}


def test_filters(api_as, alice, bob):
    CategoryFactory(slug="billing")
    mine = make_case(by=alice, severity="urgent")
    make_case(by=bob)
    unowned = make_case()
    overdue = make_case(by=alice)
    api_as(alice).post(url(overdue, "promises"), {"text": "x", "due_at": future()}, format="json")
    Promise.objects.filter(case=overdue).update(due_at=timezone.now() - timedelta(hours=1))
    client = api_as(alice)

    def refs(**params):
        return {c["reference"] for c in client.get("/api/v1/cases/", params).json()["results"]}

    assert refs(owner="me") == {mine.reference, overdue.reference}
    assert refs(owner="bob") == {c.reference for c in Case.objects.filter(owner__username="bob")}
    assert refs(status="new") == {unowned.reference}
    assert refs(severity="urgent") == {mine.reference}
    assert refs(overdue="true") == {overdue.reference}
    assert refs(customer=mine.customer_id) == {mine.reference}
    assert client.get("/api/v1/cases/", {"status": "nonsense"}).status_code == 400


def test_opened_filters_take_any_offset_and_refuse_impossible_times(api_as, alice):
    case = make_case(by=alice)
    client = api_as(alice)
    # 22:10 behind UTC: Python reads it, PostgreSQL would refuse it; compared in UTC instead.
    before = (case.opened_at - timedelta(hours=1)).astimezone(timezone.get_fixed_timezone(-(22 * 60 + 10)))
    found = client.get("/api/v1/cases/", {"opened_after": before.isoformat()})
    assert found.status_code == 200 and [c["reference"] for c in found.json()["results"]] == [case.reference]
    refused = client.get("/api/v1/cases/", {"opened_before": "9999-12-31T23:00:00-22:00"})
    assert refused.status_code == 400 and "opened_before" in refused.json()["errors"]


@pytest.mark.parametrize("rows", [5, 40])
def test_list_and_timeline_query_counts_do_not_grow(api_as, alice, rows, django_assert_max_num_queries):
    cases = [make_case(by=alice) for _ in range(rows)]
    for n in range(rows):
        CaseEvent.objects.create(case=cases[0], kind="note", actor_kind="staff", actor=alice, data={"text": n})
    client = api_as(alice)
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/cases/").json()["count"] == rows
    with django_assert_max_num_queries(8):
        assert client.get(url(cases[0], "timeline")).status_code == 200


def test_the_list_counts_up_to_the_cap_and_says_when_there_are_more(api_as, alice, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    cases = [make_case(by=alice) for _ in range(5)]
    for n, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(opened_at=timezone.now() - timedelta(hours=n))
    client = api_as(alice)
    many = client.get("/api/v1/cases/").json()
    # Newest first, as before the cap; the first page stops at the cap.
    assert (many["count"], many["count_capped"]) == (3, True)
    assert [c["reference"] for c in many["results"]] == [c.reference for c in cases[:3]]
    few = client.get("/api/v1/cases/", {"q": cases[4].reference}).json()
    assert (few["count"], few["count_capped"], [c["reference"] for c in few["results"]]) == (
        1,
        False,
        [cases[4].reference],
    )


def test_the_timeline_counts_every_event_of_a_long_case(api_as, alice, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    case = make_case(by=alice)
    for n in range(5):
        CaseEvent.objects.create(case=case, kind="note", actor_kind="staff", actor=alice, data={"text": n})
    timeline = api_as(alice).get(url(case, "timeline")).json()
    assert timeline["count"] == CaseEvent.objects.filter(case=case).count() > 3 and "count_capped" not in timeline


def test_handing_over_to_another_team_under_team_visibility_answers_the_case(settings, api_as, alice, lena, charlie):
    settings.CASE_VISIBILITY = "team"
    case = make_case(by=alice)
    response = api_as(lena).post(
        url(case, "handover"), {"to": "charlie", "reason": "South handles refunds"}, format="json"
    )
    assert response.status_code == 200, response.content  # was a 500 after the handover was committed
    assert response.json()["owner"]["username"] == "charlie"
    assert api_as(lena).get(url(case)).status_code == 404  # and out of sight from now on


def test_resolving_with_open_promises_is_409_listing_them_until_each_is_settled(api_as, alice):
    case = make_case(by=alice)
    client = api_as(alice)
    promise = client.post(url(case, "promises"), {"text": "Refund the days", "due_at": future()}, format="json")
    resolve = {"resolution_summary": "Refunded", "root_cause": "process"}
    refused = client.post(url(case, "resolve"), resolve, format="json")
    assert refused.status_code == 409
    assert refused.json()["errors"]["promises"][0].startswith("Refund the days (due ")
    withdrawn = client.post(
        url(case, f"promises/{promise.json()['id']}/withdraw"), {"reason": "Refund made by the shop"}, format="json"
    )
    assert withdrawn.status_code == 200, withdrawn.content
    assert client.post(url(case, "resolve"), resolve, format="json").status_code == 200


def test_an_overdue_promise_can_be_broken_with_the_customer_told(api_as, alice):
    case = make_case(by=alice)
    promise = api_as(alice).post(url(case, "promises"), {"text": "Call back", "due_at": future()}, format="json").json()
    Promise.objects.filter(pk=promise["id"]).update(due_at=timezone.now() - timedelta(hours=1))
    listed = api_as(alice).get("/api/v1/cases/", {"overdue": "true"}).json()["results"]
    assert [c["reference"] for c in listed] == [case.reference]
    broken = api_as(alice).post(
        url(case, f"promises/{promise['id']}/break"), {"reason": "Nobody free today"}, format="json"
    )
    assert broken.status_code == 200 and broken.json()["status"] == PromiseStatus.BROKEN
    assert OutboundEmail.objects.filter(key=f"promise:{promise['id']}:broken", to_email=case.customer.email).exists()


def test_a_lead_assigns_from_the_api_and_a_second_assign_is_409_naming_the_owner(api_as, alice, bob, lena, mona):
    case = make_case()
    assigned = api_as(lena).post(url(case, "assign"), {"to": "alice"}, format="json")
    assert assigned.status_code == 200 and assigned.json()["owner"]["username"] == "alice"
    again = api_as(mona).post(url(case, "assign"), {"to": "bob"}, format="json")
    assert again.status_code == 409 and "Alice" in again.json()["detail"]
    assert Case.objects.get(pk=case.pk).owner == alice
