"""Faults mid-send: a worker killed with SIGKILL, and Redis restarted without persistence.

Both fault tests run their own Redis, so the shared services are never disturbed.
"""

import time
from collections import Counter

import pytest

from crm.models import EmailState, OutboundEmail
from tests.integration.conftest import wait_until
from tests.integration.outbox_helpers import expected_message_ids, queue_many, recipients

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
CONCURRENCY = 4


def unfinished() -> int:
    return OutboundEmail.objects.filter(state__in=[EmailState.PENDING, EmailState.SENDING]).count()


def assert_every_key_delivered_with_few_repeats(sink, addresses, run, *, max_repeats):
    ids = sink.message_ids()
    assert set(ids) == expected_message_ids(addresses, run=run)  # every key delivered, nothing foreign
    repeats = len(ids) - len(set(ids))
    assert repeats <= max_repeats, Counter(ids).most_common(5)
    assert OutboundEmail.objects.filter(state=EmailState.SENT).count() == len(addresses)
    return repeats


def test_worker_killed_mid_send_and_restarted_delivers_everything(sink, own_redis, start_worker):
    addresses = recipients(2000)
    worker = start_worker(redis_url=own_redis.url, sink=sink, concurrency=CONCURRENCY)
    queue_many(addresses, run="kill")
    wait_until(lambda: sink.count() >= 600, timeout=60, what="600 messages before the kill")
    worker.kill()
    at_kill = sink.count()
    assert at_kill < 2000, "the run finished before the kill; the test proves nothing"
    start_worker(redis_url=own_redis.url, sink=sink, concurrency=CONCURRENCY)
    wait_until(lambda: unfinished() == 0, timeout=120, what="every row sent after the restart")
    time.sleep(2)
    # Only messages in flight at the kill (at most one per worker process) may repeat.
    assert_every_key_delivered_with_few_repeats(sink, addresses, "kill", max_repeats=CONCURRENCY)


def test_redis_restarted_mid_send_is_recovered_by_the_sweeper(sink, own_redis, start_worker):
    addresses = recipients(1000)
    start_worker(redis_url=own_redis.url, sink=sink, concurrency=CONCURRENCY)
    queue_many(addresses, run="redis")
    wait_until(lambda: sink.count() >= 300, timeout=60, what="300 messages before the restart")
    own_redis.stop()  # no persistence: every queued message is gone
    assert sink.count() < 1000, "the run finished before the restart; the test proves nothing"
    time.sleep(1)
    own_redis.start()
    returned = time.monotonic()
    wait_until(lambda: unfinished() == 0, timeout=180, what="every row sent after Redis returned")
    recovered_in = time.monotonic() - returned
    time.sleep(2)
    assert recovered_in < 180
    assert_every_key_delivered_with_few_repeats(sink, addresses, "redis", max_repeats=CONCURRENCY)
