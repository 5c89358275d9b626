"""Waking the senders: the rows a process commits within OUTBOX_WAKE_SECONDS wake them with one task, a process
that exits publishes what it gathered first, and the rows of one killed before it could are the sweeper's."""

import base64
import json
import secrets
import signal
import subprocess
import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm.models import OutboundEmail
from crm.outbox.selectors import stranded_email_ids
from crm.outbox.services import queue_email
from tests.config.test_security_settings import manage

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def send_tasks_waiting() -> list[list[int]]:
    """The ids of each send task in the broker's queue (no worker runs in these tests), oldest first."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    messages = [json.loads(raw) for raw in reversed(broker.lrange("celery", 0, -1))]  # kombu LPUSHes
    bodies = [
        json.loads(base64.b64decode(message["body"]))
        for message in messages
        if message["headers"]["task"] == "crm.tasks.send_emails"
    ]
    return [args[0] for args, _kwargs, _embed in bodies]


def wait_for_send_tasks(seconds: float) -> list[list[int]]:
    deadline = time.monotonic() + seconds
    while not (tasks := send_tasks_waiting()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return tasks


def queue(n: int) -> OutboundEmail:
    return queue_email(key=f"wake:{n}", to_email=f"customer{n}@example.test", subject="Hello", body_text="Hello.")


def test_rows_committed_within_the_window_wake_the_senders_with_one_task(settings):
    settings.OUTBOX_WAKE_SECONDS = 0.5
    ids = [queue(n).pk for n in range(5)]  # five commits: autocommit, no transaction around them
    assert send_tasks_waiting() == []  # still gathering
    assert wait_for_send_tasks(5) == [ids]


def test_a_rolled_back_row_wakes_nobody(settings):
    settings.OUTBOX_WAKE_SECONDS = 0.2
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(1)
        raise RuntimeError("the action failed after queueing")
    kept = queue(2).pk
    assert wait_for_send_tasks(5) == [[kept]]


def test_with_no_window_each_commit_wakes_the_senders_at_once(settings):
    settings.OUTBOX_WAKE_SECONDS = 0
    first, second = queue(1).pk, queue(2).pk
    assert send_tasks_waiting() == [[first], [second]]


def queue_in_a_new_process(*, then: str = "") -> subprocess.CompletedProcess:
    """queue_email in a process of its own (gathering for an hour), which prints the row's id, then runs `then`."""
    db = settings.DATABASES["default"]
    return manage(
        "shell",
        "-c",
        "from crm.outbox.services import queue_email; "
        "print(queue_email(key='wake:other', to_email='other@example.test', subject='Hi', body_text='Hi.').pk, "
        f"flush=True); {then}",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        REDIS_URL=settings.REDIS_URL,
        OUTBOX_WAKE_SECONDS="3600",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
    )


def test_a_process_that_exits_wakes_the_senders_for_what_it_gathered():
    """Gunicorn and Celery stop their workers with an ordinary exit: the gathered ids go out then, not
    OUTBOX_WAKE_SECONDS (here an hour) or a sweeper round later."""
    result = queue_in_a_new_process()
    assert result.returncode == 0, result.stderr
    assert send_tasks_waiting() == [[int(result.stdout.split()[-1])]]


def test_a_celery_pool_process_wakes_the_senders_before_it_exits():
    """Celery's pool processes end with os._exit, which skips atexit; Celery sends worker_process_shutdown
    in each of them just before."""
    result = queue_in_a_new_process(
        then="from celery.signals import worker_process_shutdown; import os; "
        "worker_process_shutdown.send(sender=None, pid=os.getpid(), exitcode=0); os._exit(0)"
    )
    assert result.returncode == 0, result.stderr
    assert send_tasks_waiting() == [[int(result.stdout.split()[-1])]]


def test_the_row_of_a_process_killed_before_it_woke_anyone_is_the_sweepers():
    result = queue_in_a_new_process(then="import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert result.returncode == -signal.SIGKILL
    row_id = int(result.stdout.split()[-1])
    assert send_tasks_waiting() == []  # nobody was woken for it
    stale = timedelta(seconds=settings.OUTBOX_STALE_PENDING_SECONDS + 1)
    assert stranded_email_ids(now=timezone.now() + stale, broker_idle=True) == [row_id]
