"""Customers with their names right, the staff who serve them, what customers use,
and the outbox every email leaves through."""

import hashlib
import hmac
from datetime import datetime
from typing import Any, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from crm.names import salutation
from crm.search import PHONE_CHARACTERS, name_words, phone_digits, search_key, whole_email
from crm.times import validate_time_zone

# --- Staff ---------------------------------------------------------------------------


class Role(models.TextChoices):
    """Staff roles are Django groups of these names (created by a data migration)."""

    AGENT = "agent", "Agent"
    LEAD = "lead", "Team lead"
    MANAGER = "manager", "Manager"
    EXECUTIVE = "executive", "Executive"


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams_led"
    )

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """What the user model lacks: the name customers see, the team, the time zone. Active = user.is_active."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    display_name = models.CharField(max_length=150)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    # Pages and this person's emails show times here (crm.times); blank: the site's TIME_ZONE.
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        validators=[validate_time_zone],
        help_text="Times on pages and in your emails are shown in this zone. Blank: the site's time zone.",
    )

    def __str__(self) -> str:
        return self.display_name


# --- Customers -----------------------------------------------------------------------


class ContactChannel(models.TextChoices):
    """How a customer likes to be contacted."""

    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter"
    SMS = "sms", "Text message"


class CustomerQuerySet(models.QuerySet):
    def search(self, q: str) -> Self:
        """The one customer search (customers page and API, log a call, case search): an email address
        (any part), a phone number in any format, or words of a name in any script, each anywhere in the
        full or preferred name. Each branch has a trigram index on PostgreSQL (crm migrations 0004, 0007),
        so a search stays fast at hundreds of thousands of customers."""
        q = q.strip()
        if not q:
            return self
        if "@" in q:
            # A whole address is one indexed lookup; a part of one is a trigram search.
            email = whole_email(q)
            return self.filter(email=email) if email else self.filter(email__icontains=q)
        digits = phone_digits(q)
        if digits:
            return self.filter(phone__icontains=digits)  # icontains: the UPPER(phone) trigram index serves it
        if PHONE_CHARACTERS.match(q):
            return self.none()  # too few digits for a phone number, and names have none (a case reference?)
        words = name_words(q)
        if not words:
            return self.none()
        return self.filter(*[Q(search_name__contains=word) for word in words])


class SearchNameField(models.CharField):
    """A customer's names as search compares them, set from the names whenever the row is written by the ORM:
    save(), create(), bulk_create() and the INSERTs of crm.database alike (only bulk_update and update() skip it)."""

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        # From the fields alone, not a Customer method: migrations' historical models have no methods.
        value = _search_name(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def _search_name(customer: Any) -> str:
    return search_key(f"{customer.full_name} {customer.preferred_name}")[:400]


class Customer(models.Model):
    full_name = models.CharField(max_length=200, help_text="As the customer writes it, in any script.")
    preferred_name = models.CharField(max_length=100, blank=True, help_text="What they like to be called.")
    title = models.CharField(max_length=40, blank=True, help_text="Their chosen title; blank means none.")
    formal_name = models.CharField(max_length=150, blank=True, help_text="What follows the title, e.g. 'Thomas'.")
    pronouns = models.CharField(max_length=40, blank=True)
    name_pronunciation = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +442079460000.")
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, e.g. GB.")
    language = models.CharField(max_length=16, blank=True, default="en")
    preferred_channel = models.CharField(max_length=10, choices=ContactChannel.choices, default=ContactChannel.EMAIL)
    service_notices_opt_out = models.BooleanField(
        default=False, help_text="They asked not to be emailed about incidents affecting their services."
    )
    name_confirmed_at = models.DateTimeField(null=True, blank=True)
    name_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    # Set when their personal data was erased at their request: the record stays for the figures.
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    search_name = SearchNameField(
        max_length=400, blank=True, editable=False, help_text="Full and preferred name as search compares them."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["email"], condition=~Q(email=""), name="customer_email_unique"),
        ]
        indexes = [
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["full_name", "id"], name="customer_name_order_idx"),
        ]
        # Managers may export a customer's personal data; give this to anyone else who must.
        permissions = [("export_personal_data", "Can export a customer's personal data")]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"full_name", "preferred_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def salutation(self) -> str:
        return salutation(self)

    def refresh_search_name(self) -> None:
        """Set search_name from the names, as every INSERT and save() does (for bulk_update, which does not)."""
        self.search_name = _search_name(self)


class NameChange(models.Model):
    """History of every change to a customer's name fields or title: who, when, before, after."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="name_changes")
    field = models.CharField(max_length=40)
    before = models.CharField(max_length=200, blank=True)
    after = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.before!r} -> {self.after!r}"


class PersonalDataRequestKind(models.TextChoices):
    EXPORT = "export", "Personal data exported"
    ERASURE = "erasure", "Personal data erased"


class PersonalDataRequest(models.Model):
    """Each time a customer's personal data was given out or erased: who did it, when, and why."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="personal_data_requests")
    kind = models.CharField(max_length=10, choices=PersonalDataRequestKind.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True, help_text="Why it was erased (the customer's request, its date).")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for customer {self.customer_id}"


# --- What customers use --------------------------------------------------------------


class Service(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubscriptionQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(active=True)


class Subscription(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="subscriptions")
    region = models.CharField(max_length=60)
    active = models.BooleanField(default=True)
    started_at = models.DateTimeField(default=timezone.now)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "service", "region"], name="subscription_unique"),
        ]
        indexes = [models.Index(fields=["service", "region", "active"], name="subscription_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.customer} uses {self.service} in {self.region}"


# --- The outbox ----------------------------------------------------------------------


class EmailState(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


def message_id_key() -> bytes:
    """The secret behind every Message-ID, derived from SECRET_KEY for this one use."""
    return hashlib.sha256(b"gemdesk.outbox.message-id:" + settings.SECRET_KEY.encode()).digest()


def message_id_for(key: str) -> str:
    """Message-ID derived from the outbox key, so a repeat after a crash is recognisably the same message.

    Keyed with a secret (HMAC-SHA256): keys are guessable ("case:4:acknowledgement"), and a Message-ID anyone
    could compute would let a stranger thread a forged reply into any case."""
    digest = hmac.new(message_id_key(), key.encode(), hashlib.sha256).hexdigest()
    return f"<{digest[:32]}@gemdesk>"


class BulkEmail(models.Model):
    """One message written once for many customers (an incident update to 100,000 of them).
    Its outbox rows point here instead of each holding a copy of the text, and each is
    personalised (crm.outbox.services.personalise) when it is sent."""

    subject = models.CharField(max_length=250)
    # Text and header values may hold the merge fields of crm.outbox.services.
    body_text = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.subject


class OutboundEmail(models.Model):
    """One email the system means to send, written in the transaction of the action causing it.

    The row is the truth; the broker only wakes workers. `key` makes sending idempotent.
    """

    key = models.CharField(max_length=200)  # unique: see Meta
    to_email = models.EmailField(max_length=254)
    to_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=250)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="outbound_emails"
    )
    # Set for one copy of a bulk email: subject, text and headers come from there, for `customer`.
    # No index: nothing looks rows up by it, and a fan-out writes 100,000 of them.
    bulk = models.ForeignKey(
        BulkEmail, null=True, blank=True, on_delete=models.PROTECT, related_name="emails", db_index=False
    )
    state = models.CharField(max_length=10, choices=EmailState.choices, default=EmailState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=100, editable=False)
    # Emails sent together (e.g. "incident-update:17"), so a fan-out's progress is one indexed count.
    batch = models.CharField(max_length=100, blank=True)
    # Extra headers, e.g. List-Unsubscribe on service notices. Never user text (see queue_email checks).
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The sweeper's and sender's lookups: only unfinished rows, by state and due time.
            models.Index(
                fields=["state", "next_attempt_at"],
                name="outbox_unfinished_idx",
                condition=Q(state__in=["pending", "sending"]),
            ),
            models.Index(fields=["batch", "state"], name="outbox_batch_idx", condition=~Q(batch="")),
        ]
        # A constraint rather than unique=True, which on PostgreSQL adds a second index on key for
        # LIKE queries that nothing runs: one index less to write for each of a fan-out's rows.
        constraints = [models.UniqueConstraint(fields=["key"], name="outbox_key_unique")]

    def __str__(self) -> str:
        return self.key

    def is_claimable(self, now: datetime) -> bool:
        """A sender may take it now: pending and due, or sending with a lease that ran out."""
        if self.state == EmailState.PENDING:
            return self.next_attempt_at <= now
        return self.state == EmailState.SENDING and self.lease_until is not None and self.lease_until < now
