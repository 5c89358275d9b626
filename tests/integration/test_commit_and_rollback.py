"""RELIABILITY.md test 4, with a real worker and Redis: a transaction that fails after it queued email
sends nothing (1,000 incident updates and 1,000 keyed emails rolled back: no row, no message in any
queue, nothing at the SMTP sink after two sweeper rounds), and a committed one is always visible to
the worker (1,000 updates published: every one fanned out and delivered, no DoesNotExist in the log)."""

import time

import pytest
from django.db import transaction

from complaints.incidents import services as incident_services
from complaints.models import Incident, IncidentUpdate
from crm.models import BulkEmail, EmailState, OutboundEmail
from crm.outbox.services import queue_email
from tests.complaints.incidents.factories import subscribers
from tests.crm.factories import ServiceFactory, StaffFactory
from tests.integration.conftest import wait_until
from tests.integration.outbox_helpers import queued_tasks

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CALLS = 1000
# Beat's own tasks come and go meanwhile, so only these are counted.
WATCHED_TASKS = {"crm.tasks.send_emails", "complaints.tasks.fan_out_incident_update"}
SWEEPER_ROUNDS_WAITED = 2  # the worker's sweeper runs every 2 s (tests/integration/conftest.py)


class StepAfterQueueingFails(RuntimeError):
    pass


@pytest.fixture
def lead_and_service():
    return StaffFactory(username="lena", role="lead"), ServiceFactory(slug="broadband", name="Broadband")


def declared_incidents(count: int, *, by, service) -> list[Incident]:
    """Many open incidents at once (arranged directly: declaring is not what this test is about); one
    update each, since a later update of one incident waits for the earlier one to be delivered."""
    incidents = Incident.objects.bulk_create(Incident(title=f"Outage {n}", declared_by=by) for n in range(count))
    Incident.services.through.objects.bulk_create(
        Incident.services.through(incident_id=incident.pk, service_id=service.pk) for incident in incidents
    )
    return incidents


def test_rolled_back_updates_and_emails_leave_no_row_no_queued_message_and_no_email(
    sink, shared_redis_url, start_worker, lead_and_service, monkeypatch
):
    lead, broadband = lead_and_service
    subscribers(3, service=broadband)
    incidents = declared_incidents(CALLS, by=lead, service=broadband)
    worker = start_worker(redis_url=shared_redis_url, sink=sink)

    # The service's last step fails after it asked for the fan-out: the request must vanish with the rest.
    real_task = incident_services.fan_out_incident_update_task

    class QueuesThenFails:
        def __getattr__(self, name):  # delay_on_commit (or whatever the service calls) works, then it fails
            def queue_then_fail(*args, **kwargs):
                getattr(real_task, name)(*args, **kwargs)
                raise StepAfterQueueingFails

            return queue_then_fail

    monkeypatch.setattr(incident_services, "fan_out_incident_update_task", QueuesThenFails())
    for incident in incidents:
        with pytest.raises(StepAfterQueueingFails):
            incident_services.incident_publish_update(
                incident=incident, by=lead, subject="Broadband outage", body="Engineers are on site."
            )
    for n in range(CALLS):
        with pytest.raises(StepAfterQueueingFails), transaction.atomic():
            queue_email(key=f"rolled-back:{n}", to_email=f"customer{n}@example.test", subject="Hi", body_text="Hi")
            raise StepAfterQueueingFails

    assert queued_tasks(shared_redis_url, WATCHED_TASKS) == 0
    time.sleep(2 * SWEEPER_ROUNDS_WAITED + 1)
    assert (IncidentUpdate.objects.count(), BulkEmail.objects.count(), OutboundEmail.objects.count()) == (0, 0, 0)
    assert queued_tasks(shared_redis_url, WATCHED_TASKS) == 0
    assert sink.count() == 0
    assert "DoesNotExist" not in worker.log_path.read_text(errors="replace")  # nothing ran for a vanished update


def test_every_committed_update_is_found_by_the_worker_and_delivered(
    sink, shared_redis_url, start_worker, lead_and_service
):
    lead, broadband = lead_and_service
    subscribers(1, service=broadband)
    incidents = declared_incidents(CALLS, by=lead, service=broadband)
    worker = start_worker(redis_url=shared_redis_url, sink=sink)
    for incident in incidents:
        incident_services.incident_publish_update(
            incident=incident, by=lead, subject="Broadband outage", body="Engineers are on site."
        )
    wait_until(
        lambda: OutboundEmail.objects.filter(state=EmailState.SENT).count() == CALLS,
        timeout=120,
        what=f"{CALLS} notices sent",
    )
    assert IncidentUpdate.objects.filter(fanned_out_at__isnull=False, recipients=1).count() == CALLS
    assert sink.count() == CALLS
    log = worker.log_path.read_text(errors="replace")
    assert "DoesNotExist" not in log
    assert log.count("complaints.tasks.fan_out_incident_update") >= CALLS  # the log holds the tasks it ran
