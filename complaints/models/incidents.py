"""Incidents: tell every affected customer before they call, in updates sent by Celery."""

from datetime import datetime, timedelta
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from complaints.models.cases import Severity
from crm.models import BulkEmail, Service


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


# The statuses an open incident moves between (resolving is the resolution update, which tells customers).
OPEN_INCIDENT_STATUSES = [(value, label) for value, label in IncidentStatus.choices if value != IncidentStatus.RESOLVED]


# What each status means, in the status page's words to customers.
STATUS_IN_WORDS = {
    IncidentStatus.INVESTIGATING: "We are finding out what is wrong.",
    IncidentStatus.IDENTIFIED: "We know the cause and are fixing it.",
    IncidentStatus.MONITORING: "A fix is in place and we are making sure it holds.",
    IncidentStatus.RESOLVED: "This is fixed.",
}

# Resolved incidents stay on the public status page this long.
STATUS_PAGE_DAYS = 7


class IncidentQuerySet(models.QuerySet):
    def open(self) -> Self:
        return self.exclude(status=IncidentStatus.RESOLVED)

    def on_status_page(self, now: datetime) -> Self:
        """Open incidents and those resolved in the last STATUS_PAGE_DAYS: what the public /incidents/ shows."""
        return self.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=now - timedelta(days=STATUS_PAGE_DAYS)))


class Incident(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Internal: never sent to customers.")
    services = models.ManyToManyField(Service, related_name="incidents")
    # Regions affected; empty means every region.
    regions = models.JSONField(default=list, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.HIGH)
    status = models.CharField(max_length=15, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING)
    started_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED

    @property
    def status_in_words(self) -> str:
        return STATUS_IN_WORDS[IncidentStatus(self.status)]

    @property
    def next_update_by(self) -> datetime | None:
        """When the latest update said the next would come, while the incident is open (from the updates
        prefetched, oldest first)."""
        updates = list(self.updates.all())
        return updates[-1].next_update_by if updates and self.is_open else None


class IncidentUpdate(models.Model):
    """What customers are told. Publishing records it; Celery builds one outbox row per affected
    customer (complaints.emails.incident_notice_key) and sends them."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="updates")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    next_update_by = models.DateTimeField(null=True, blank=True, help_text="When we will write again.")
    is_resolution = models.BooleanField(default=False)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    # The email every affected customer gets, rendered once at publishing, personalised when sent.
    email = models.OneToOneField(BulkEmail, null=True, on_delete=models.PROTECT, related_name="incident_update")
    # Set once every affected customer has an outbox row; the sweeper restarts fan-outs left unfinished.
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["published_at", "id"]
        indexes = [models.Index(fields=["published_at"], name="update_fanout_idx", condition=Q(fanned_out_at=None))]

    def __str__(self) -> str:
        return f"{self.incident}: {self.subject}"
