"""Writing many outbox rows at once for the integration tests, as a fan-out would."""

import json

import redis
from django.db import transaction

from crm.models import OutboundEmail, message_id_for
from crm.outbox.sending import MARK_SENT_EVERY
from crm.outbox.wakeups import enqueue_send
from tests.integration.conftest import WORKER_CONCURRENCY

# What a worker killed mid-send can repeat: each process of its pool, the messages the mail server accepted
# and the process had not yet marked sent.
REPEAT_BOUND = WORKER_CONCURRENCY * MARK_SENT_EVERY


def recipients(count: int, prefix: str = "customer") -> list[str]:
    return [f"{prefix}{n}@example.test" for n in range(count)]


def queue_many(addresses: list[str], *, run: str) -> list[int]:
    """One committed row per address, then one send task per batch (after commit, as services do)."""
    with transaction.atomic():
        rows = OutboundEmail.objects.bulk_create(
            OutboundEmail(
                key=f"{run}:{address}",
                to_email=address,
                subject="Your service",
                body_text=f"Dear customer,\n\nThis is message {run} for {address}.",
                message_id=message_id_for(f"{run}:{address}"),
            )
            for address in addresses
        )
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: enqueue_send(ids))
    return ids


def expected_message_ids(addresses: list[str], *, run: str) -> set[str]:
    return {message_id_for(f"{run}:{address}") for address in addresses}


def queued_tasks(broker_url: str, task_names: set[str]) -> int:
    """Messages for these tasks waiting in any queue of the broker, or taken by a worker and not yet
    acknowledged (retries held for their countdown included)."""
    broker = redis.Redis.from_url(broker_url)
    lists = [key for key in broker.scan_iter() if broker.type(key) == b"list"]
    waiting = [json.loads(message) for key in lists for message in broker.lrange(key, 0, -1)]
    taken = [json.loads(entry)[0] for entry in broker.hvals("unacked")]  # [message, exchange, routing key]
    return sum(message["headers"]["task"] in task_names for message in waiting + taken)
