"""What an operator's Prometheus reads at /metrics: only with the token; request timings by view; the
outbox by state, its oldest waiting email and its problems by SMTP code; each incident update's notices;
promises coming due; Celery's queue. Each figure checked against rows the test wrote."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from complaints.incidents import services as incident_services
from complaints.models import Promise
from complaints.promises.services import promise_make
from crm.models import EmailState, OutboundEmail, message_id_for
from crm.tasks import send_emails
from tests.complaints.factories import make_case
from tests.complaints.incidents.factories import publish, subscribers
from tests.crm.factories import ServiceFactory

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-3f9c0a"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample as {(name, ((label, value), …)): value}."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def email(key: str, **fields) -> OutboundEmail:
    return OutboundEmail.objects.create(
        key=key,
        to_email=f"{key}@example.test",
        subject="Hello",
        body_text="Hi",
        message_id=message_id_for(key),
        **fields,
    )


@pytest.mark.parametrize(
    ("configured", "header", "status"),
    [
        ("", f"Bearer {TOKEN}", 404),  # no token configured: the page does not exist
        (TOKEN, "", 401),
        (TOKEN, "Bearer wrong-token", 401),
        (TOKEN, f"Basic {TOKEN}", 401),
    ],
)
def test_metrics_answer_only_the_configured_bearer_token(client, settings, configured, header, status):
    settings.METRICS_TOKEN = configured
    response = client.get("/metrics", HTTP_AUTHORIZATION=header)
    assert response.status_code == status
    assert b"gemdesk_" not in response.content


def test_request_latency_is_counted_by_view_name_and_method(client):
    count = ("gemdesk_http_request_duration_seconds_count", (("method", "GET"), ("view", "healthz")))
    before = scrape(client).get(count, 0)
    for _ in range(3):
        client.get("/healthz")
    assert scrape(client)[count] == before + 3


def test_the_outbox_by_state_its_oldest_waiting_email_and_its_problems_by_smtp_code(client):
    email("waiting-long", created_at=timezone.now() - timedelta(minutes=10))
    email("waiting-since-now")
    email("retrying-busy", attempts=2, last_error="451 4.2.0 Mailbox busy, try later")
    email("retrying-unreachable", attempts=1, last_error="connection: [Errno 111] Connection refused")
    email("sent", state=EmailState.SENT, attempts=1, sent_at=timezone.now())
    email("refused", state=EmailState.FAILED, attempts=1, last_error="550 5.1.1 No such mailbox here")
    email("gave-up", state=EmailState.FAILED, attempts=8, last_error="gave up after 8 attempts: 451 4.2.0 Busy")

    samples = scrape(client)

    by_state = {state: samples[("gemdesk_outbox_emails", (("state", state),))] for state in EmailState.values}
    assert by_state == {"pending": 4, "sending": 0, "sent": 1, "failed": 2}
    assert samples[("gemdesk_outbox_sent_total", ())] == 1
    assert 600 <= samples[("gemdesk_outbox_oldest_pending_seconds", ())] < 660
    problems = {labels: value for (name, labels), value in samples.items() if name == "gemdesk_outbox_problem_emails"}
    assert problems == {
        (("code", "451"), ("state", "retrying")): 1,
        (("code", "none"), ("state", "retrying")): 1,
        (("code", "550"), ("state", "failed")): 1,
        (("code", "451"), ("state", "failed")): 1,
    }


def test_an_incident_updates_notices_by_state_while_they_go_out(client, lena):
    broadband = ServiceFactory(slug="broadband", name="Broadband")
    incident = incident_services.incident_declare(by=lena, title="Broadband outage", services=[broadband])
    subscribers(3, service=broadband)
    update = publish(incident, lena)
    update_label = str(update.pk)
    assert scrape(client)[("gemdesk_incident_update_fanned_out", (("update", update_label),))] == 0

    incident_services.incident_fan_out(update_id=update.pk)
    OutboundEmail.objects.filter(pk=OutboundEmail.objects.earliest("pk").pk).update(state=EmailState.SENT)

    samples = scrape(client)
    assert samples[("gemdesk_incident_update_fanned_out", (("update", update_label),))] == 1
    notices = {
        dict(labels)["state"]: value
        for (name, labels), value in samples.items()
        if name == "gemdesk_incident_notices" and dict(labels)["update"] == update_label
    }
    assert (notices["pending"], notices["sent"], notices["failed"]) == (2, 1, 0)


def test_promises_due_within_the_hour_and_overdue(client, alice):
    case = make_case(by=alice)
    now = timezone.now()
    for minutes in (30, 50, 180):
        promise_make(
            case=case, by=alice, text="Call back", due_at=now + timedelta(minutes=minutes), tell_customer=False
        )
    overdue = promise_make(
        case=case, by=alice, text="Send a credit", due_at=now + timedelta(hours=5), tell_customer=False
    )
    Promise.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(minutes=5))

    samples = scrape(client)

    assert samples[("gemdesk_promises_due_within_hour", ())] == 2
    assert samples[("gemdesk_promises_overdue", ())] == 1


@pytest.mark.redis
def test_celery_queue_length_is_what_waits_in_redis(client):
    for batch in ([1], [2], [3, 4]):
        send_emails.delay(batch)  # no worker runs in this test: they wait
    samples = scrape(client)
    assert samples[("gemdesk_celery_queue_messages", (("queue", "celery"),))] == 3
    assert samples[("gemdesk_celery_unacked_messages", ())] == 0


def test_a_scrape_costs_the_same_few_queries_however_many_rows(client, django_assert_max_num_queries):
    for n in range(50):
        email(f"row-{n}", state=EmailState.FAILED, attempts=1, last_error=f"550 5.1.1 mailbox {n} unknown")
    with django_assert_max_num_queries(8):
        scrape(client)
