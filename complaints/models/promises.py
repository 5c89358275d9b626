"""Promises: commitments to the customer with a due time, kept, rescheduled before due, or broken."""

from datetime import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PromiseStatus(models.TextChoices):
    OPEN = "open"
    KEPT = "kept"
    RESCHEDULED = "rescheduled"
    BROKEN = "broken"
    WITHDRAWN = "withdrawn"


class PromiseKind(models.TextChoices):
    COMMITMENT = "commitment", "Something staff promised"
    # Made by the system (the first answer to a new complaint, the answer to a reopened case) or by the
    # senior person a customer asked for; kept by the first message to the customer from its maker.
    REPLY = "reply", "Our reply"


# Only an open promise is settled, once: kept (on time or late), rescheduled (its successor is a new open
# promise), withdrawn with a reason the customer is told, or broken (and the customer told).
TRANSITIONS: dict[str, set[str]] = {
    PromiseStatus.OPEN: {PromiseStatus.KEPT, PromiseStatus.RESCHEDULED, PromiseStatus.BROKEN, PromiseStatus.WITHDRAWN},
    PromiseStatus.KEPT: set(),
    PromiseStatus.RESCHEDULED: set(),
    PromiseStatus.BROKEN: set(),
    PromiseStatus.WITHDRAWN: set(),
}


class PromiseQuerySet(models.QuerySet):
    def open(self) -> Self:
        return self.filter(status=PromiseStatus.OPEN)

    def at_risk(self, now: datetime) -> Self:
        """Open promises inside their warning window (or past due)."""
        return self.open().filter(warn_at__lte=now)

    def overdue(self, now: datetime) -> Self:
        return self.open().filter(due_at__lte=now)

    def to_flag_overdue(self, now: datetime) -> Self:
        return self.overdue(now).filter(overdue_at__isnull=True)

    def to_warn(self, now: datetime) -> Self:
        return self.open().filter(warned_at__isnull=True, warn_at__lte=now, due_at__gt=now)


class Promise(models.Model):
    """A commitment to the customer with a due time. Rescheduling closes this one and opens its successor."""

    case = models.ForeignKey("complaints.Case", on_delete=models.CASCADE, related_name="promises")
    text = models.CharField(max_length=500)
    due_at = models.DateTimeField()
    made_at = models.DateTimeField(default=timezone.now)
    # None: made by the system (the first reply every new complaint is promised).
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The case's owner now, whoever made it: a case handed over takes its promises with it. Kept here (by
    # promises.services.promises_follow_owner) so a lead's figures count the team's promises by index, not
    # by joining every case the team ever owned.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=PromiseKind.choices, default=PromiseKind.COMMITMENT)
    status = models.CharField(max_length=12, choices=PromiseStatus.choices, default=PromiseStatus.OPEN)
    # When the owner is warned (promises.services.warning_time), stored so beat finds it by index.
    warn_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    # When beat found it past due and still open: it stays open (and blocks resolving the case) until its
    # owner keeps it late or breaks it and tells the customer.
    overdue_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    # What the customer was told: why this promise replaced an earlier one (rescheduled), or why it was
    # withdrawn or broken.
    reason = models.TextField(blank=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")

    objects = PromiseQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], name="promise_open_due_idx", condition=Q(status="open")),
            models.Index(
                fields=["warn_at"], name="promise_to_warn_idx", condition=Q(status="open", warned_at__isnull=True)
            ),
            models.Index(fields=["case", "status", "due_at"], name="promise_case_idx"),
            models.Index(fields=["owner", "warn_at"], name="promise_owner_open_idx", condition=Q(status="open")),
            models.Index(
                fields=["owner", "settled_at"], name="promise_owner_settled_idx", condition=Q(settled_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text} (due {self.due_at:%Y-%m-%d %H:%M})"

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    @property
    def is_overdue(self) -> bool:
        return self.status == PromiseStatus.OPEN and self.overdue_at is not None
