"""Complaint cases owned end to end, their append-only history, promises and escalations.

Only complaints/services.py assigns `Case.status` or `Case.owner`; the allowed moves are
the TRANSITIONS map below.
"""

import secrets

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.models import BulkEmail, Customer, Service

REFERENCE_PREFIX = "GD-"


def format_reference(number: int) -> str:
    return f"{REFERENCE_PREFIX}{number:06d}"


def new_public_token() -> str:
    """The customer's private status-link key: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    WEB = "web", "Web form"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"
    SOCIAL = "social", "Social media"
    CHAT = "chat", "Chat"


# Channels where an agent is talking to the customer, so the agent owns the case from the start.
AGENT_LOGGED_CHANNELS = {Channel.PHONE, Channel.LETTER, Channel.IN_PERSON}


class Severity(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Allowed status moves. Services check these; nothing else assigns status.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN},
    Status.OPEN: {Status.WAITING_ON_CUSTOMER, Status.RESOLVED},
    Status.WAITING_ON_CUSTOMER: {Status.OPEN, Status.RESOLVED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: {Status.OPEN},
}
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER)


class IntakeMatch(models.TextChoices):
    """How a complaint from outside (form, API, email) found its customer: what staff may trust about who wrote."""

    NEW_CUSTOMER = "new_customer", "New customer"
    EMAIL = "email", "Matched an existing customer by email address"
    PHONE = "phone", "Matched an existing customer by phone number only: identity not verified"
    UNVERIFIED_SENDER = "unverified_sender", "Email that failed the mail server's sender checks: not verified"


class RootCause(models.TextChoices):
    POLICY = "policy", "Policy"
    PROCESS = "process", "Process"
    PRODUCT = "product", "Product"
    SYSTEM = "system", "System"
    TRAINING = "training", "Training"
    COMMUNICATION = "communication", "Communication"
    THIRD_PARTY = "third_party", "Third party"
    INFORMATION_GAP = "information_gap", "Information gap"


class Category(models.Model):
    """The managed list of complaint categories (edited in the admin)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class CaseQuerySet(models.QuerySet):
    def active(self) -> "CaseQuerySet":
        return self.filter(status__in=ACTIVE_STATUSES)

    def owned_by(self, user) -> "CaseQuerySet":
        return self.filter(owner=user)

    def unowned(self) -> "CaseQuerySet":
        return self.filter(owner__isnull=True)

    def overdue(self, now) -> "CaseQuerySet":
        """Cases with an open promise past its due time."""
        return self.filter(promises__status=PromiseStatus.OPEN, promises__due_at__lt=now).distinct()


class Case(models.Model):
    # Set from the primary key inside the creating transaction, so it is unique without a counter.
    reference = models.CharField(max_length=20, unique=True, null=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases")
    channel = models.CharField(max_length=12, choices=Channel.choices)
    subject = models.CharField(max_length=200)
    description = models.TextField(help_text="Stored verbatim, as the customer told it.")
    outcome_wanted = models.TextField(blank=True, help_text="What the customer asked for.")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    order_reference = models.CharField(max_length=100, blank=True, help_text="Their order or account reference.")
    # An anonymous form never overwrites the customer record: a differing name is kept here for
    # the owner to confirm with the customer.
    name_as_given = models.CharField(max_length=200, blank=True)
    title_as_given = models.CharField(max_length=40, blank=True)
    name_needs_confirming = models.BooleanField(default=False)
    acknowledged_by_phone = models.BooleanField(default=False)
    # Blank when staff logged the case (they spoke to the customer).
    intake_match = models.CharField(max_length=20, choices=IntakeMatch.choices, blank=True)
    incident = models.ForeignKey(
        "Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="linked_cases"
    )
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.NORMAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_cases"
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Collaborator",
        through_fields=("case", "user"),
        related_name="collaborating_cases",
        blank=True,
    )
    opened_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # The earliest due time of the case's open promises, kept by services.refresh_next_promise:
    # My cases orders by it, and a stored, indexed column keeps that list fast for busy agents.
    next_promise_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the customer last wrote and we have not answered yet; orders "waiting for our answer".
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.CharField(max_length=20, choices=RootCause.choices, blank=True)
    resolution_summary = models.TextField(blank=True)
    # Derived from the events when the case is resolved (see services.case_resolve); never typed in.
    resolved_on_first_contact = models.BooleanField(null=True, editable=False)
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "status"], name="case_owner_status_idx"),
            models.Index(
                fields=["owner", "next_promise_due_at", "awaiting_reply_since", "opened_at"],
                name="case_my_cases_idx",
                condition=Q(status__in=["new", "open", "waiting_on_customer"]),
            ),
            models.Index(fields=["status", "opened_at"], name="case_status_opened_idx"),
            models.Index(fields=["-opened_at", "-id"], name="case_recent_idx"),
            models.Index(
                fields=["opened_at"], name="case_team_queue_idx", condition=Q(owner__isnull=True, status="new")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject}"

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS.get(self.status, set())


class EventKind(models.TextChoices):
    CREATED = "created"
    UPDATED = "updated"
    TAKEN = "taken"
    HANDED_OVER = "handed_over"
    ESCALATED = "escalated"
    NOTE = "note"
    MESSAGE_OUT = "message_out"
    MESSAGE_IN = "message_in"
    # Someone other than the case's customer (or a message failing sender checks) wrote on the case:
    # shown to staff, marked, never as the customer's voice and never on the customer's status page.
    MESSAGE_IN_UNVERIFIED = "message_in_unverified", "Unverified message"
    CALL_LOGGED = "call_logged"
    PROMISE_MADE = "promise_made"
    PROMISE_KEPT = "promise_kept"
    PROMISE_RESCHEDULED = "promise_rescheduled"
    PROMISE_BROKEN = "promise_broken"
    PROMISE_WARNED = "promise_warned"
    STATUS_CHANGED = "status_changed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    RATED = "rated"


class ActorKind(models.TextChoices):
    STAFF = "staff"
    CUSTOMER = "customer"
    SYSTEM = "system"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Case events are append-only: they cannot be updated.")

    def delete(self):
        raise TypeError("Case events are append-only: they cannot be deleted.")


@pgtrigger.register(
    pgtrigger.Protect(name="case_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
)
class CaseEvent(models.Model):
    """One thing that happened to a case. Never changed, never deleted (ORM and database refuse)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="case_event_timeline_idx"),
            models.Index(fields=["kind", "created_at"], name="case_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Case events are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Case events are append-only: they cannot be deleted.")


class PromiseStatus(models.TextChoices):
    OPEN = "open"
    KEPT = "kept"
    RESCHEDULED = "rescheduled"
    BROKEN = "broken"


class Promise(models.Model):
    """A commitment to the customer with a due time. Rescheduling closes this one and opens its successor."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="promises")
    text = models.CharField(max_length=500)
    due_at = models.DateTimeField()
    made_at = models.DateTimeField(default=timezone.now)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=PromiseStatus.choices, default=PromiseStatus.OPEN)
    # When the owner is warned (services.promise_warning_time), stored so beat finds it by index.
    warn_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by")
    reschedule_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["due_at"], name="promise_open_due_idx", condition=Q(status="open")),
            models.Index(
                fields=["warn_at"], name="promise_to_warn_idx", condition=Q(status="open", warned_at__isnull=True)
            ),
            models.Index(fields=["case", "status", "due_at"], name="promise_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.text} (due {self.due_at:%Y-%m-%d %H:%M})"


class EscalationLevel(models.TextChoices):
    LEAD = "lead", "Team lead"
    MANAGER = "manager", "Manager"
    EXECUTIVE = "executive", "Executive"


class Collaborator(models.Model):
    """A senior person added to a case by escalation. The owner stays the owner."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="collaborator_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="collaborator_links")
    level = models.CharField(max_length=10, choices=EscalationLevel.choices, blank=True)
    reason = models.TextField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="collaborator_unique")]

    def __str__(self) -> str:
        return f"{self.user} on case {self.case_id}"


class InboundOutcome(models.TextChoices):
    NEW_CASE = "new_case", "Opened a new case"
    REPLY = "reply", "Added to a case"
    UNVERIFIED = "unverified", "Added to a case, sender not verified"
    AUTOMATIC = "automatic", "Ignored: auto-reply or bounce"
    DUPLICATE = "duplicate", "Ignored: already received"


class InboundEmail(models.Model):
    """Every message that came in by email, and what became of it."""

    # What makes a second reading of the same message a duplicate: its Message-ID, or for a message
    # without one, a hash of its content (complaints.inbound_email.message_identity).
    identity = models.CharField(max_length=300)
    message_id = models.CharField(max_length=300, blank=True)
    from_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=250, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=12, choices=InboundOutcome.choices)
    reason = models.CharField(max_length=200, blank=True)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="inbound_emails")
    # Kept for messages that opened nothing (ignored auto-replies), so staff can read what was ignored.
    raw = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            # The same message read twice (a retrying mail server, a Maildir re-scan) is recognised and ignored.
            models.UniqueConstraint(fields=["identity"], name="inbound_email_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.from_address}: {self.subject}"


class RejectedEmail(models.Model):
    """A message that could not become a case, kept with the reason: nothing is dropped silently.
    Staff can read it and turn it into a case."""

    identity = models.CharField(max_length=300)
    received_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500)
    # Whatever could be read of the sender and subject, for the list staff look through.
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=250, blank=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField(help_text="The size of the message as received; raw may be cut short.")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="rejected_emails_turned_into"
    )
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["identity"], name="rejected_email_identity_unique")]

    def __str__(self) -> str:
        return f"rejected {self.received_at:%Y-%m-%d %H:%M}: {self.reason}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="attachments/%Y/%m/")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename


# --- Incidents: tell every affected customer before they call -----------------------------------


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"


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

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.title


class IncidentUpdate(models.Model):
    """What customers are told. Publishing records it; Celery builds one outbox row per affected
    customer (key incident-update:{update}:customer:{customer}) and sends them."""

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

    @property
    def batch(self) -> str:
        return f"incident-update:{self.pk}"
