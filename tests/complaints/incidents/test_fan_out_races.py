"""RELIABILITY.md test 3: the unique key holds under races. Ten threads run the fan-out of one update at
the same moment, a hundred rounds over: every round ends with exactly one outbox row per affected
customer and no error reaches a caller. The same for ten threads queueing one keyed email."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from complaints.emails import incident_update_batch
from complaints.incidents import services as incident_services
from crm.models import OutboundEmail
from crm.outbox.services import queue_email
from tests.complaints.incidents.factories import subscribers

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

THREADS = 10
ROUNDS = 100
AUDIENCE = 5


def all_at_once(work: Callable[[], object]) -> list[BaseException]:
    """Run `work` in THREADS threads released together; the errors they raised."""
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            work()
        except BaseException as error:  # noqa: BLE001 - every error is the finding
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_the_outbox_key_is_a_unique_constraint_in_the_database():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'outbox_key_unique' AND contype = 'u'"
        )
        assert cursor.fetchall() == [("UNIQUE (key)",)]


def test_ten_fan_outs_of_one_update_at_once_write_one_row_per_customer_in_every_round(lena, broadband):
    customers = subscribers(AUDIENCE, service=broadband)
    rounds_with_one_row_each = 0
    for round_number in range(ROUNDS):
        # An incident per round: a later update of one incident waits until the earlier one is sent.
        incident = incident_services.incident_declare(by=lena, title=f"Outage {round_number}", services=[broadband])
        update = incident_services.incident_publish_update(
            incident=incident, by=lena, subject="Broadband outage", body="Engineers are on site."
        )
        errors = all_at_once(lambda update=update: incident_services.incident_fan_out(update_id=update.pk))
        assert not errors, f"round {round_number}: {len(errors)} callers failed, the first with {errors[0]!r}"
        rows = OutboundEmail.objects.filter(batch=incident_update_batch(update))
        per_customer = sorted(rows.values_list("customer_id", flat=True))
        update.refresh_from_db()
        if per_customer == sorted(c.pk for c in customers) and update.recipients == AUDIENCE:
            rounds_with_one_row_each += 1
    assert rounds_with_one_row_each == ROUNDS


def test_ten_callers_queueing_one_key_at_once_make_one_row_in_every_round():
    rounds_with_one_row = 0
    for round_number in range(ROUNDS):
        key = f"race:{round_number}"

        def queue(key=key) -> None:
            with transaction.atomic():
                queue_email(key=key, to_email="ana@example.test", subject="Hello", body_text="Hi")

        errors = all_at_once(queue)
        assert not errors, f"round {round_number}: {len(errors)} callers failed, the first with {errors[0]!r}"
        rounds_with_one_row += OutboundEmail.objects.filter(key=key).count() == 1
    assert rounds_with_one_row == ROUNDS
