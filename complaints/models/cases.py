"""Cases owned end to end, their append-only history and the people added by escalation.

The rules of a case's life are data here: TRANSITIONS says which status may follow which,
ALLOWED_ACTIONS which actions each status allows. Services call `Case.require(action)` and
`Case.move_to(status)`; pages, serializers and templates ask `Case.can(action)`. Nothing else
assigns `status`.
"""

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Self

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Func, Q, Value
from django.db.models.functions import Cast, Concat, Greatest, Length, Right, Upper
from django.utils import timezone

from complaints.models.figures import CASE_CHANGE_MAKES_FACTS_STALE, EVENT_MAKES_FACTS_STALE
from complaints.models.promises import PromiseStatus
from crm.append_only import AppendOnlyModel
from crm.exceptions import NotAllowedInStatus
from crm.models import Customer, Service
from crm.permissions import StaffUser

REFERENCE_PREFIX = "GD-"


def format_reference(number: int) -> str:
    return f"{REFERENCE_PREFIX}{number:06d}"


def reference_of_pk() -> Func:
    """format_reference() as SQL, for PostgreSQL and SQLite alike: the id with zeros to six digits."""
    digits = Cast("id", models.TextField())
    return Concat(Value(REFERENCE_PREFIX), Right(Concat(Value("00000"), digits), Greatest(Length(digits), Value(6))))


def new_public_token() -> str:
    """The customer's private status-link key: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


class CaseChannel(models.TextChoices):
    """How a complaint reached us."""

    PHONE = "phone", "Phone"
    WEB = "web", "Web form"
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"
    SOCIAL = "social", "Social media"
    CHAT = "chat", "Chat"


# Channels where an agent is talking to the customer, so the agent owns the case from the start.
AGENT_LOGGED_CHANNELS = {CaseChannel.PHONE, CaseChannel.LETTER, CaseChannel.IN_PERSON}


class Severity(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class CaseStatus(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# Allowed status moves. A resolved or closed case whose owner has left and whose team has no lead
# goes back to NEW, into the queue, when it reopens.
TRANSITIONS: dict[str, set[str]] = {
    CaseStatus.NEW: {CaseStatus.OPEN},
    CaseStatus.OPEN: {CaseStatus.WAITING_ON_CUSTOMER, CaseStatus.RESOLVED},
    CaseStatus.WAITING_ON_CUSTOMER: {CaseStatus.OPEN, CaseStatus.RESOLVED},
    CaseStatus.RESOLVED: {CaseStatus.OPEN, CaseStatus.NEW, CaseStatus.CLOSED},
    CaseStatus.CLOSED: {CaseStatus.OPEN, CaseStatus.NEW},
}
# Not finished: someone still has to act (the queue, My cases).
UNFINISHED_STATUSES = (CaseStatus.NEW, CaseStatus.OPEN, CaseStatus.WAITING_ON_CUSTOMER)
# An owner is working on it: messages, promises, escalation, handover, resolution.
WORKABLE_STATUSES = (CaseStatus.OPEN, CaseStatus.WAITING_ON_CUSTOMER)
FINISHED_STATUSES = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


class CaseAction(models.TextChoices):
    """Everything anyone does to a case; the label finishes the sentence "Cannot … while the status is …"."""

    TAKE = "take", "take this case"
    ASSIGN = "assign", "assign this case"
    EDIT = "edit", "edit the case"
    NOTE = "note", "add a note"
    LINK_INCIDENT = "link_incident", "link it to an incident"
    MESSAGE = "message", "message the customer"
    PROMISE = "promise", "make a promise"
    ESCALATE = "escalate", "escalate"
    HANDOVER = "handover", "hand over"
    RESOLVE = "resolve", "resolve"
    REOPEN = "reopen", "reopen"
    CLOSE = "close", "close"
    CUSTOMER_WRITES = "customer_writes", "write to us"
    CUSTOMER_ASKS_FOR_MANAGER = "customer_asks_for_manager", "ask for a manager"
    RATE = "rate", "rate the case"


_ALWAYS = {CaseAction.EDIT, CaseAction.NOTE, CaseAction.LINK_INCIDENT, CaseAction.CUSTOMER_WRITES}
_WORKING = {
    CaseAction.MESSAGE,
    CaseAction.PROMISE,
    CaseAction.ESCALATE,
    CaseAction.HANDOVER,
    CaseAction.RESOLVE,
    CaseAction.CUSTOMER_ASKS_FOR_MANAGER,
}
# Which actions each status allows (who may take them is complaints.permissions). A customer writing
# to a finished case reopens it, within CUSTOMER_REOPEN_DAYS (a time rule, checked by the service).
ALLOWED_ACTIONS: dict[str, set[str]] = {
    CaseStatus.NEW: _ALWAYS | {CaseAction.TAKE, CaseAction.ASSIGN, CaseAction.CUSTOMER_ASKS_FOR_MANAGER},
    CaseStatus.OPEN: _ALWAYS | _WORKING,
    CaseStatus.WAITING_ON_CUSTOMER: _ALWAYS | _WORKING,
    CaseStatus.RESOLVED: _ALWAYS | {CaseAction.REOPEN, CaseAction.CLOSE, CaseAction.RATE},
    CaseStatus.CLOSED: _ALWAYS | {CaseAction.REOPEN, CaseAction.RATE},
}


def statuses_allowing(action: str) -> list[str]:
    """The statuses in which `action` is allowed: what a compare-and-swap UPDATE filters on."""
    return [status for status, actions in ALLOWED_ACTIONS.items() if action in actions]


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


class EscalationLevel(models.TextChoices):
    """How senior the person added to a case is (named after, but not the same as, the staff roles)."""

    LEAD = "lead", "Team lead"
    MANAGER = "manager", "Manager"
    EXECUTIVE = "executive", "Executive"


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
    def unfinished(self) -> Self:
        return self.filter(status__in=UNFINISHED_STATUSES)

    def workable(self) -> Self:
        return self.filter(status__in=WORKABLE_STATUSES)

    def owned_by(self, user: StaffUser) -> Self:
        return self.filter(owner=user)

    def unowned(self) -> Self:
        return self.filter(owner__isnull=True)

    def allowing(self, action: str) -> Self:
        return self.filter(status__in=statuses_allowing(action))

    def overdue(self, now: datetime) -> Self:
        """Cases with an open promise past its due time."""
        return self.filter(promises__status=PromiseStatus.OPEN, promises__due_at__lt=now).distinct()

    def for_update(self) -> Self:
        """Re-read under a row lock (the case row only): every transition decides on fresh state."""
        return self.select_for_update(of=("self",)).select_related("owner", "customer")


@pgtrigger.register(CASE_CHANGE_MAKES_FACTS_STALE)
class Case(models.Model):
    # Computed by the database from the primary key in the INSERT itself: unique without a counter or a
    # second statement. format_reference() is the same rule in Python.
    reference = models.GeneratedField(
        expression=reference_of_pk(), output_field=models.CharField(max_length=20), db_persist=True, unique=True
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases")
    channel = models.CharField(max_length=12, choices=CaseChannel.choices)
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
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    # Indexed by case_owner_recent_idx (owner first), which every lookup by owner uses.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        db_index=False,
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
    # The earliest due time of the case's open promises, kept by promises.services.refresh_next_promise_due:
    # My cases orders by it, and a stored, indexed column keeps that list fast for busy agents.
    next_promise_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the customer last wrote and we have not answered yet; orders "waiting for our answer".
    awaiting_reply_since = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.CharField(max_length=20, choices=RootCause.choices, blank=True)
    resolution_summary = models.TextField(blank=True)
    # Derived from the events when the case is resolved (see resolution.services.case_resolve); never typed in.
    resolved_on_first_contact = models.BooleanField(null=True, editable=False)
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            # Ending with what My cases' counters read, so they count an owner's cases from the index alone (0.7 ms
            # for 2,000 cases, 4 ms from the table). Key columns, not INCLUDE, which SQLite would warn about.
            models.Index(fields=["owner", "status", "awaiting_reply_since", "id"], name="case_owner_status_idx"),
            # One owner's cases, newest first (the cases API's owner filter): the page and its count read the
            # owner's rows alone, where walking case_recent_idx skipped everyone else's newer cases.
            models.Index(fields=["owner", "-opened_at", "-id"], name="case_owner_recent_idx"),
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
            # Case search by the customer's order or account number, as they type it (any case).
            models.Index(Upper("order_reference"), name="case_order_reference_idx", condition=~Q(order_reference="")),
            # Cases by category or root cause over time: a policy's complaint evidence and trend (feedback).
            models.Index(fields=["category", "opened_at"], name="case_category_opened_idx"),
            models.Index(fields=["root_cause", "opened_at"], name="case_root_cause_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.subject}"

    @property
    def promise_overdue(self) -> bool:
        """An open promise is past due (the earliest open one is kept on the row: no query)."""
        return self.next_promise_due_at is not None and self.next_promise_due_at <= timezone.now()

    def can(self, action: str) -> bool:
        """Whether the case's status allows `action` (who may take it is complaints.permissions)."""
        return action in ALLOWED_ACTIONS[self.status]

    def can_any(self, actions: Iterable[str]) -> bool:
        return any(self.can(action) for action in actions)

    def require(self, action: str) -> None:
        """Raise NotAllowedInStatus (409) unless the status allows `action`. (Not `check`: Django's models
        use that name for their system checks.)"""
        if not self.can(action):
            raise NotAllowedInStatus(action=CaseAction(action).label, status=self.status)

    def move_to(self, status: str, *, action: str) -> str:
        """Set the new status if TRANSITIONS allows the move; returns the old one."""
        if status not in TRANSITIONS[self.status]:
            raise NotAllowedInStatus(action=CaseAction(action).label, status=self.status)
        before, self.status = self.status, status
        return before


class EventKind(models.TextChoices):
    CREATED = "created"
    UPDATED = "updated"
    TAKEN = "taken"
    ASSIGNED = "assigned"
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
    PROMISE_WITHDRAWN = "promise_withdrawn"
    PROMISE_WARNED = "promise_warned"
    PROMISE_OVERDUE = "promise_overdue"
    STATUS_CHANGED = "status_changed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    RATED = "rated"
    PERSONAL_DATA_ERASED = "data_erased", "Personal data erased"


class ActorKind(models.TextChoices):
    STAFF = "staff"
    CUSTOMER = "customer"
    SYSTEM = "system"


# What an erasure may change in an event: these keys of `data`, each to text holding "[erased]".
ERASABLE_EVENT_KEYS = ("text", "comment", "reason", "sender", "resolution_summary", "changes")

# Events are never changed or deleted, with one narrow, audited exception: the personal-data erasure
# (crm.customers.services.customer_erase) sets gemdesk.erasing_customer for its own transaction, and may
# then replace, in the events of that customer's cases only, the erasable keys with "[erased]" text.
CASE_EVENT_APPEND_ONLY = """
IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;
END IF;
IF coalesce(current_setting('gemdesk.erasing_customer', true), '') = ''
   OR NEW.id IS DISTINCT FROM OLD.id OR NEW.case_id IS DISTINCT FROM OLD.case_id
   OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.actor_kind IS DISTINCT FROM OLD.actor_kind
   OR NEW.actor_id IS DISTINCT FROM OLD.actor_id OR NEW.created_at IS DISTINCT FROM OLD.created_at
   OR NOT EXISTS (
       SELECT 1 FROM complaints_case c
       WHERE c.id = NEW.case_id
         AND c.customer_id = nullif(current_setting('gemdesk.erasing_customer', true), '')::bigint)
   OR EXISTS (SELECT 1 FROM jsonb_object_keys(NEW.data) k WHERE NOT OLD.data ? k)
   OR EXISTS (
       SELECT 1 FROM jsonb_each(OLD.data) o LEFT JOIN jsonb_each(NEW.data) n USING (key)
       WHERE n.value IS DISTINCT FROM o.value
         AND (o.key NOT IN (ERASABLE_KEYS)
              OR position('[erased]' in n.value::text) = 0))
THEN
    RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;
END IF;
RETURN NEW;
""".replace("ERASABLE_KEYS", ", ".join(f"'{key}'" for key in ERASABLE_EVENT_KEYS))


@pgtrigger.register(
    pgtrigger.Trigger(
        name="case_event_append_only",
        operation=pgtrigger.Update | pgtrigger.Delete,
        when=pgtrigger.Before,
        func=CASE_EVENT_APPEND_ONLY,
    ),
    EVENT_MAKES_FACTS_STALE,
)
class CaseEvent(AppendOnlyModel):
    """One thing that happened to a case. Never changed, never deleted (ORM and database refuse), except
    that erasing a customer's personal data replaces their words with "[erased]" (crm.append_only).
    Written only by complaints.events, one constructor per kind."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=EventKind.choices)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="case_event_timeline_idx"),
            models.Index(fields=["kind", "created_at"], name="case_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


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
