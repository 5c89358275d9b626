"""Reads of the outbox: what the sweeper re-queues, and what an operator watches."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import Left
from django.utils import timezone
from kombu.exceptions import ChannelError

from crm.models import EmailState, OutboundEmail

# The sweeper re-queues at most this many rows per run; the next run takes the rest.
SWEEP_LIMIT = 20_000


def stranded_email_ids(*, now: datetime | None = None, broker_idle: bool = True) -> list[int]:
    """Rows the broker may have lost: leased by a dead worker, or pending and overdue by the stale margin
    while the broker holds no task (`broker_idle`). Behind a queue of tasks, a pending row is waiting its
    turn, not lost: re-queueing it would only add work to the queue it waits in."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_STALE_PENDING_SECONDS)
    stranded = Q(state=EmailState.SENDING, lease_until__lt=now)
    if broker_idle:
        stranded |= Q(state=EmailState.PENDING, next_attempt_at__lte=stale)
    return list(OutboundEmail.objects.filter(stranded).order_by("pk").values_list("pk", flat=True)[:SWEEP_LIMIT])


def tasks_waiting_in_broker() -> int:
    """Tasks in the broker's queue that no worker has taken yet (none when tasks run eagerly)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return 0
    with current_app.connection_for_read() as connection:
        queue = current_app.conf.task_default_queue
        try:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:  # no such queue: nothing was ever queued, or Redis restarted empty
            return 0


@dataclass(frozen=True)
class OutboxSummary:
    """What an operator asks of the outbox (manage.py outbox)."""

    by_state: dict[str, int]
    oldest_pending_at: datetime | None
    failed: list[OutboundEmail]


def outbox_summary(*, failed_shown: int = 20, key_prefix: str = "") -> OutboxSummary:
    """Rows by state, when the oldest pending row was written, and the latest failed rows with their errors
    (the failed ones whose key starts with `key_prefix`, when given)."""
    counts = dict(OutboundEmail.objects.order_by().values_list("state").annotate(n=Count("pk")))
    oldest = (
        OutboundEmail.objects.filter(state=EmailState.PENDING)
        .order_by("next_attempt_at")
        .values_list("created_at", flat=True)
        .first()
    )
    failed = OutboundEmail.objects.filter(state=EmailState.FAILED, key__startswith=key_prefix)
    return OutboxSummary(
        by_state={state: counts.get(state, 0) for state in EmailState.values},
        oldest_pending_at=oldest,
        failed=list(failed.order_by("-pk").only("key", "attempts", "last_error", "created_at")[:failed_shown]),
    )


# The SMTP reply code in a row's last error: at its start ("451 4.2.0 …") or after our own prefix
# ("gave up after 8 attempts: 451 …"). Errors without one (a refused connection) count as "none".
SMTP_CODE = re.compile(r"\b([245]\d\d)\b")


def troubled_emails_by_smtp_code() -> dict[tuple[str, str], int]:
    """Failed rows, and pending rows waiting to try again, counted by state ("failed", "retrying") and the
    SMTP code of their last error. Grouped in the database by the error's first words, so the rows are
    never read one by one."""
    grouped = (
        OutboundEmail.objects.filter(Q(state=EmailState.FAILED) | Q(state=EmailState.PENDING, attempts__gt=0))
        .order_by()
        .values_list("state", Left("last_error", 64))
        .annotate(n=Count("pk"))
    )
    counts: dict[tuple[str, str], int] = {}
    for state, error_start, n in grouped:
        code = match.group(1) if (match := SMTP_CODE.search(error_start or "")) else "none"
        key = ("failed" if state == EmailState.FAILED else "retrying", code)
        counts[key] = counts.get(key, 0) + n
    return counts
