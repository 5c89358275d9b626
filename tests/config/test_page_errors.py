"""Every page action answers a refusal with a message a person can read, never a 500: each service a
page calls is made to raise each kind of domain error, and the page must show its sentence."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.incidents import services as incident_services
from complaints.mail import services as mail_services
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution_services
from crm.exceptions import Conflict, InvalidInput, NotPermitted
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory, ServiceFactory

pytestmark = pytest.mark.django_db
REFUSALS = [
    InvalidInput("That input was refused.", errors={"text": ["That input was refused."]}),
    NotPermitted("You may not do that here."),
    Conflict("The case changed meanwhile."),
]
SOON = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def world(alice, lena, mona, erin):
    case = make_case(by=alice)
    promise = promise_services.promise_make(
        case=case, by=alice, text="Call back", due_at=timezone.now() + timedelta(days=1)
    )
    queued = make_case()
    resolved = make_case(by=alice)
    resolution_services.case_resolve(case=resolved, by=alice, resolution_summary="Fixed", root_cause="process")
    incident = incident_services.incident_declare(by=lena, title="Outage", services=[ServiceFactory()])
    update = incident_services.incident_publish_update(incident=incident, by=lena, subject="Down", body="Fixing.")
    rejected = mail_services.email_ingest(b"To: care@example.test\r\nSubject: x\r\n\r\nWho am I?\r\n")
    return {
        "case": case,
        "promise": promise,
        "queued": queued,
        "resolved": resolved,
        "incident": incident,
        "update": update,
        "rejected": rejected,
    }


def page_actions(world, alice, lena):
    """(who, url, form data, the service the page calls) for every page that changes something."""
    case, promise = world["case"], world["promise"]
    act = lambda name: reverse("complaints:case-action", args=[case.reference, name])  # noqa: E731
    return [
        (alice, act("note"), {"text": "A note"}, "complaints.cases.services.case_add_note"),
        (alice, act("message"), {"text": "Hello"}, "complaints.cases.services.case_send_message"),
        (alice, act("promise"), {"text": "Visit", "due_at": SOON}, "complaints.promises.services.promise_make"),
        (alice, act("keep"), {"promise": promise.pk}, "complaints.promises.services.promise_keep"),
        (
            alice,
            act("reschedule"),
            {"promise": promise.pk, "due_at": SOON, "reason": "Engineer ill"},
            "complaints.promises.services.promise_reschedule",
        ),
        (alice, act("escalate"), {"level": "lead", "reason": "Stuck"}, "complaints.cases.services.case_escalate"),
        (
            alice,
            act("handover"),
            {"to": "bob", "reason": "Going on leave for weeks"},
            "complaints.cases.services.case_handover",
        ),
        (
            alice,
            act("resolve"),
            {"resolution_summary": "Fixed", "root_cause": "process"},
            "complaints.resolution.services.case_resolve",
        ),
        (
            alice,
            act("withdraw"),
            {"promise": promise.pk, "reason": "You cancelled the visit"},
            "complaints.promises.services.promise_withdraw",
        ),
        (
            alice,
            act("break"),
            {"promise": promise.pk, "reason": "No engineer free this week"},
            "complaints.promises.services.promise_break",
        ),
        (
            lena,
            reverse("complaints:case-action", args=[world["queued"].reference, "assign"]),
            {"to": "alice"},
            "complaints.cases.services.case_assign",
        ),
        (
            lena,
            reverse("complaints:case-action", args=[world["resolved"].reference, "reopen"]),
            {"reason": "The customer called: still broken"},
            "complaints.resolution.services.case_reopen",
        ),
        (
            alice,
            reverse("complaints:take", args=[world["queued"].reference]),
            {},
            "complaints.cases.services.case_take",
        ),
        (
            alice,
            reverse("complaints:log-call"),
            {
                "customer": CustomerFactory().pk,
                "channel": "phone",
                "subject": "Bill",
                "description": "Too high",
                "severity": "normal",
            },
            "complaints.cases.services.case_log_contact",
        ),
        (
            alice,
            reverse("complaints:link-incident", args=[case.reference]),
            {"incident": world["incident"].pk},
            "complaints.incidents.services.incident_link_case",
        ),
        (
            lena,
            reverse("complaints:incidents"),
            {"title": "Another", "services": [world["incident"].services.first().slug], "severity": "high"},
            "complaints.incidents.services.incident_declare",
        ),
        (
            lena,
            reverse("complaints:incident", args=[world["incident"].pk]),
            {"subject": "Still down", "body": "Soon.", "confirm_recipients": "0"},  # confirmed: the page publishes
            "complaints.incidents.services.incident_publish_update",
        ),
        (
            lena,
            reverse("complaints:incident-status", args=[world["incident"].pk]),
            {"status": "identified"},
            "complaints.incidents.services.incident_change_status",
        ),
        (
            lena,
            reverse("complaints:incident-retry", args=[world["incident"].pk, world["update"].pk]),
            {},
            "complaints.incidents.services.incident_retry_failed",
        ),
        (
            lena,
            reverse("complaints:rejected-open-case", args=[world["rejected"].pk]),
            {"email": "pat@example.test", "name": "Pat", "description": "Who am I?"},
            "complaints.mail.services.rejected_email_open_case",
        ),
        (
            alice,
            reverse("crm:customer-new"),
            {"full_name": "Zed Unique", "preferred_channel": "email", "not_a_duplicate": "on"},
            "crm.customers.services.customer_create",
        ),
        (
            alice,
            reverse("crm:customer-edit", args=[case.customer.pk]),
            {"full_name": "New Name", "preferred_channel": "email"},
            "crm.customers.services.customer_update",
        ),
        (
            alice,
            reverse("crm:customer-confirm-name", args=[case.customer.pk]),
            {},
            "crm.customers.services.customer_confirm_name",
        ),
    ]


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda e: type(e).__name__)
def test_every_page_action_shows_a_refusal_as_a_message(as_user, monkeypatch, world, alice, bob, lena, refusal):
    for user, url, data, service in page_actions(world, alice, lena):

        def refuse(*args, **kwargs):
            raise refusal

        monkeypatch.setattr(service, refuse)
        client = as_user(user)
        response = client.post(url, data, follow=True)
        assert response.status_code < 500, (url, response.status_code)
        assert refusal.detail in response.content.decode() or any(
            message in response.content.decode() for messages in refusal.errors.values() for message in messages
        ), (url, service)
        monkeypatch.undo()


def test_public_page_actions_show_refusals_too(client, monkeypatch, world):
    case = world["case"]
    for url, data, service in [
        (
            reverse("complain"),
            {"name": "Ana", "email": "ana@example.test", "description": "Broken"},
            "complaints.intake.services.complaint_submit",
        ),
        (
            reverse("case-status-action", args=[case.public_token, "reply"]),
            {"reply-text": "Hi"},
            "complaints.intake.services.case_receive_message",
        ),
        (
            reverse("case-status-action", args=[case.public_token, "escalate"]),
            {"escalate-reason": "Slow"},
            "complaints.intake.services.case_customer_asks_for_manager",
        ),
        (
            reverse("case-status-action", args=[world["resolved"].public_token, "rate"]),
            {"rate-score": "4"},
            "complaints.intake.services.case_rate",
        ),
        (
            reverse("case-status-action", args=[world["resolved"].public_token, "reopen"]),
            {"reopen-reason": "Still broken"},
            "complaints.intake.customer_actions.case_reopen",
        ),
    ]:
        for refusal in REFUSALS:

            def refuse(*args, **kwargs):
                raise refusal  # noqa: B023 - used at once, inside this iteration

            monkeypatch.setattr(service, refuse)
            response = client.post(url, data)
            assert response.status_code < 500 and refusal.detail in response.content.decode(), (url, refusal)
            monkeypatch.undo()


def test_an_executive_pressing_retry_failed_is_told_no_never_a_500(as_user, world, erin):
    url = reverse("complaints:incident-retry", args=[world["incident"].pk, world["update"].pk])
    response = as_user(erin).post(url, follow=True)
    assert response.status_code == 200 and "Only leads and managers run incidents." in response.content.decode()
