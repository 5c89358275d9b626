"""What came in by email: every message with its fate, the refused ones kept whole, and attachments."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class InboundOutcome(models.TextChoices):
    NEW_CASE = "new_case", "Opened a new case"
    REPLY = "reply", "Added to a case"
    UNVERIFIED = "unverified", "Added to a case, sender not verified"
    AUTOMATIC = "automatic", "Ignored: auto-reply or bounce"
    DUPLICATE = "duplicate", "Ignored: already received"


class InboundEmail(models.Model):
    """Every message that came in by email, and what became of it."""

    # What makes a second reading of the same message a duplicate: its Message-ID, or for a message
    # without one, a hash of its content (complaints.intake.email_parsing.message_identity).
    identity = models.CharField(max_length=300)
    message_id = models.CharField(max_length=300, blank=True)
    from_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=250, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=12, choices=InboundOutcome.choices)
    reason = models.CharField(max_length=200, blank=True)
    case = models.ForeignKey(
        "complaints.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="inbound_emails"
    )
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
        "complaints.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="rejected_emails_turned_into"
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
    """A file that came with an email, stored under a generated name; `filename` is the sender's name for it."""

    case = models.ForeignKey("complaints.Case", on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(
        "complaints.CaseEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="attachments/%Y/%m/")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename
