"""A real worker sends the outbox to a real SMTP server: once per key, retrying what can be retried."""

import time

import pytest

from crm.models import EmailState, OutboundEmail
from tests.integration.conftest import wait_until
from tests.integration.outbox_helpers import expected_message_ids, queue_many, recipients

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def all_finished() -> bool:
    return not OutboundEmail.objects.filter(state__in=[EmailState.PENDING, EmailState.SENDING]).exists()


def test_two_hundred_keyed_emails_arrive_exactly_once(sink, shared_redis_url, start_worker):
    start_worker(redis_url=shared_redis_url, sink=sink)
    addresses = recipients(200)
    queue_many(addresses, run="hello")
    wait_until(lambda: sink.count() >= 200 and all_finished(), timeout=60, what="200 messages")
    time.sleep(3)  # a late duplicate would show up here
    assert sink.count() == 200
    assert set(sink.message_ids()) == expected_message_ids(addresses, run="hello")
    assert sorted(m["To"] for m in sink.messages) == sorted(addresses)
    assert OutboundEmail.objects.filter(state=EmailState.SENT).count() == 200


def test_temporary_refusals_are_retried_and_permanent_ones_fail_with_the_answer(sink, shared_redis_url, start_worker):
    addresses = recipients(200)
    busy = addresses[::10]  # one in ten answers 451 once
    for address in busy:
        sink.refuse(address, 451, times=1)
    sink.refuse(addresses[1], 550)
    start_worker(redis_url=shared_redis_url, sink=sink)
    queue_many(addresses, run="retry")
    wait_until(lambda: all_finished() and sink.count() >= 199, timeout=90, what="all rows finished")
    time.sleep(2)
    assert sink.count() == 199
    assert len(set(sink.message_ids())) == 199
    failed = OutboundEmail.objects.get(state=EmailState.FAILED)
    assert failed.to_email == addresses[1]
    assert failed.attempts == 1 and failed.last_error.startswith("550")
    assert set(OutboundEmail.objects.filter(to_email__in=busy).values_list("attempts", flat=True)) == {2}
    assert OutboundEmail.objects.filter(state=EmailState.SENT).count() == 199
