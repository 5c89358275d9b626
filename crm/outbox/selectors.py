"""Reads of the outbox: what the sweeper re-queues."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from crm.models import EmailState, OutboundEmail

# The sweeper re-queues at most this many rows per run; the next run takes the rest.
SWEEP_LIMIT = 20_000


def stranded_email_ids(*, now: datetime | None = None) -> list[int]:
    """Rows the broker may have lost: pending and overdue by the stale margin, or leased by a dead worker."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_STALE_PENDING_SECONDS)
    return list(
        OutboundEmail.objects.filter(
            Q(state=EmailState.PENDING, next_attempt_at__lte=stale) | Q(state=EmailState.SENDING, lease_until__lt=now)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
