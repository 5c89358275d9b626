"""Waking the senders: the broker only wakes workers for rows the outbox already holds.

A Celery publish at each commit cost a public complaint 0.6 of its 4.1 ms of Python CPU (README,
Performance), for one row. So each process gathers the ids its transactions commit and,
OUTBOX_WAKE_SECONDS after the first of them, publishes them together from a thread of its own.
A process publishes what it holds when it exits (a Celery pool process when Celery says it is about to).
The row is the truth: ids a process is killed holding, or fails to publish, are pending rows the sweeper
re-queues (crm.outbox.selectors.stranded_email_ids). With OUTBOX_WAKE_SECONDS = 0 they are published at
commit, by the committing thread (as when tasks run eagerly, in `make run`).
"""

import atexit
import logging
import os
import threading
import time
from collections.abc import Iterable

from celery.signals import worker_process_shutdown
from django.conf import settings

from crm.tasks import send_emails as send_emails_task

logger = logging.getLogger(__name__)

# One send task handles this many rows over one SMTP connection: enough to amortise the
# connection, few enough that a killed worker strands little and a lease stays short.
SEND_BATCH_SIZE = 100


def enqueue_send(email_ids: Iterable[int]) -> None:
    """Wake workers for these rows, SEND_BATCH_SIZE at a time. Safe to call for rows already sent."""
    ids = list(email_ids)
    for start in range(0, len(ids), SEND_BATCH_SIZE):
        send_emails_task.delay(ids[start : start + SEND_BATCH_SIZE])


class Waker:
    """The ids this process committed and has not yet published, and the thread that publishes them."""

    def __init__(self) -> None:
        self._reset()
        # A forked child (a gunicorn or Celery worker) starts empty and without a thread: the parent's are not its.
        os.register_at_fork(after_in_child=self._reset)
        atexit.register(self.flush)
        # A Celery pool process ends with os._exit, past atexit: Celery signals it first.
        worker_process_shutdown.connect(self._flush_at_shutdown, weak=False)

    def _reset(self) -> None:
        self._ids: list[int] = []
        self._lock = threading.Lock()
        self._due = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, email_ids: Iterable[int]) -> None:
        with self._lock:
            self._ids.extend(email_ids)
            if self._thread is None:
                self._thread = threading.Thread(target=self._publish_forever, name="outbox-waker", daemon=True)
                self._thread.start()
        self._due.set()

    def _publish_forever(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()  # ids added from here on set it again, for the next round
            time.sleep(settings.OUTBOX_WAKE_SECONDS)  # the window's other commits join this round
            self.flush()

    def _flush_at_shutdown(self, **_signal: object) -> None:
        self.flush()

    def flush(self) -> None:
        """Publish what is gathered (also at exit). A publish that fails is logged and left to the sweeper."""
        with self._lock:
            email_ids, self._ids = self._ids, []
        if not email_ids:
            return
        try:
            enqueue_send(email_ids)
        except Exception:  # the broker is away: the rows stay pending for the sweeper
            logger.exception("Could not wake the senders for %d outbox rows; the sweeper will", len(email_ids))


_waker = Waker()


def wake_senders(email_ids: list[int]) -> None:
    """Call at commit: the senders are woken for these rows within OUTBOX_WAKE_SECONDS."""
    if settings.OUTBOX_WAKE_SECONDS > 0:
        _waker.add(email_ids)
    else:
        enqueue_send(email_ids)
