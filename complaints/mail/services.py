"""Email in: each raw message from the mail server becomes a reply on its case, a new case, an ignored
auto-reply or bounce, or a refusal kept with its reason, and staff can open a case from a refusal.
Every message is stored with its fate; reading one again changes nothing.

A reply from the customer lands the way a status-page message does (intake.services.receive_customer_message);
a new complaint opens a case the way every channel does (cases.services.case_create).
"""

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from complaints import emails, events, permissions
from complaints.cases.services import case_create
from complaints.intake.services import receive_customer_message, receive_unverified_message
from complaints.mail.parsing import Attachment as ParsedAttachment
from complaints.mail.parsing import MalformedEmail, ParsedEmail, best_effort_headers, message_identity, parse_email
from complaints.models import (
    Attachment,
    Case,
    CaseChannel,
    CaseEvent,
    InboundEmail,
    InboundOutcome,
    IntakeMatch,
    RejectedEmail,
)
from complaints.resolution.services import customer_reopen_deadline
from complaints.validation import CUSTOMER_TEXT_MAX_LENGTH, TEXT_CONTROL_CHARACTERS, subject_from, typed_text
from crm.customers.services import customer_create, customer_find_or_create_by_email
from crm.database import unique_violation
from crm.exceptions import Conflict, InvalidInput, NotPermitted
from crm.models import Customer, OutboundEmail
from crm.permissions import StaffUser
from crm.personal_data import ERASED
from crm.validation import clean_customer_fields

logger = logging.getLogger(__name__)

# The whole text of a long email is kept as a file of this name on the case.
FULL_MESSAGE_FILENAME = "full-message.txt"
# Of a refused message, this much is kept for staff to read (the reason says how large it was).
REJECTED_KEEP_BYTES = 1024 * 1024
# How much of a message is read to find its Message-ID before parsing it.
HEADER_BYTES = 256 * 1024
IDENTITY_CONSTRAINTS = {
    "inbound_email_identity_unique",
    "rejected_email_identity_unique",
    "complaints_inboundemail.identity",
    "complaints_rejectedemail.identity",
}
SAFE_EXTENSION_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


@dataclass(frozen=True)
class ReplyTarget:
    """The case a message answers, and whether its sender is that case's customer."""

    case: Case
    verified: bool
    why_unverified: str = ""


def _reply_target(parsed: ParsedEmail) -> ReplyTarget | None:
    """The case a message answers: one of our Message-IDs in its thread (unguessable: keyed with a secret),
    or a case reference in the subject. It speaks for the customer only when it comes from the case's
    customer (or the address our message went to) and the trusted mail server found no forged sender."""
    sender = parsed.from_address.lower()
    case = None
    addressed_to: set[str] = set()
    if parsed.thread_ids:
        ours = OutboundEmail.objects.filter(message_id__in=parsed.thread_ids[-20:]).values_list(
            "key", "to_email", "customer_id"
        )
        for key, to_email, customer_id in ours:
            about = emails.what_key_is_about(key)
            if about is None:
                continue
            kind, object_id = about
            lookup = {"pk": object_id} if kind == "case" else {"promises__pk": object_id}
            case = Case.objects.select_related("customer").filter(**lookup).first()
            if case is not None:
                if customer_id == case.customer_id:
                    addressed_to.add(to_email.lower())
                break
    if case is None and parsed.reference:
        case = Case.objects.select_related("customer").filter(reference=parsed.reference).first()
    if case is None:
        return None
    if parsed.authentication_failures:
        why = f"the mail server's checks failed ({', '.join(parsed.authentication_failures)})"
        return ReplyTarget(case, verified=False, why_unverified=why)
    if sender != case.customer.email.lower() and sender not in addressed_to:
        return ReplyTarget(case, verified=False, why_unverified=f"sent from {sender}, not the customer's address")
    return ReplyTarget(case, verified=True)


def _stored_name(filename: str) -> str:
    """A generated name for a file (the sender's name for it is data, shown but never a path)."""
    extension = Path(filename.replace("\\", "/")).suffix.lower()
    safe = 1 < len(extension) <= 11 and set(extension[1:]) <= SAFE_EXTENSION_CHARACTERS
    return f"{uuid.uuid4().hex}{extension if safe else ''}"


def _store_attachments(case: Case, event: CaseEvent | None, attachments: list[ParsedAttachment]) -> None:
    for attachment in attachments:
        Attachment.objects.create(
            case=case,
            event=event,
            filename=attachment.filename,
            content_type=attachment.content_type[:100],
            size=attachment.size,
            file=ContentFile(attachment.content, name=_stored_name(attachment.filename)),
        )


def _case_text(parsed: ParsedEmail) -> tuple[str, list[ParsedAttachment]]:
    """The message's text for the case, and files to add. A text longer than the case can hold is kept
    up to the limit, and the whole of it as a file beside, so nothing the customer wrote is lost."""
    limit = CUSTOMER_TEXT_MAX_LENGTH
    text = TEXT_CONTROL_CHARACTERS.sub("", parsed.full_text).strip() or "(no text; see the attachments)"
    files = list(parsed.attachments)
    if len(text) > limit:
        note = f"\n\n[This message is longer than {limit:,} characters: the whole of it is in {FULL_MESSAGE_FILENAME}.]"
        files.append(ParsedAttachment(FULL_MESSAGE_FILENAME, "text/plain", text.encode()))
        text = text[: limit - len(note)].rstrip() + note
    return text, files


def _reject(*, identity: str, raw: bytes, reason: str) -> RejectedEmail:
    sender, subject, _ = best_effort_headers(raw[:REJECTED_KEEP_BYTES])
    return RejectedEmail.objects.create(
        identity=identity,
        reason=reason[:500],
        from_address=sender[:254],
        subject=subject[:250],
        raw=raw[:REJECTED_KEEP_BYTES],
        size=len(raw),
    )


def _identity_header(raw: bytes) -> str:
    """The Message-ID of a message we could not parse, if its headers can still be read."""
    return best_effort_headers(raw[:HEADER_BYTES])[2]


def _identity(raw: bytes) -> str:
    return message_identity(raw, _identity_header(raw))


def _already_received(identity: str) -> bool:
    return (
        InboundEmail.objects.filter(identity=identity).exists()
        or RejectedEmail.objects.filter(identity=identity).exists()
    )


def _duplicate(identity: str) -> InboundEmail:
    return InboundEmail(identity=identity, outcome=InboundOutcome.DUPLICATE)


def email_ingest(raw: bytes) -> InboundEmail | RejectedEmail:
    """One raw message from the mail server: a reply on its case, a new case, an ignored auto-reply or
    bounce, or a refusal kept with its reason. Reading the same message again changes nothing.

    Raises only when the message could not be stored (the database is down): the caller then tells the
    mail server to try again later."""
    parsed: ParsedEmail | MalformedEmail
    if len(raw) > settings.INBOUND_MESSAGE_MAX_BYTES:
        limit = settings.INBOUND_MESSAGE_MAX_BYTES
        parsed = MalformedEmail(f"larger than {limit:,} bytes ({len(raw):,}); the start is kept")
    else:
        try:
            parsed = parse_email(
                raw,
                attachment_max_bytes=settings.INBOUND_ATTACHMENT_MAX_BYTES,
                trusted_authserv_id=settings.INBOUND_TRUSTED_AUTHSERV_ID,
            )
        except MalformedEmail as error:
            parsed = error
    message_id = parsed.message_id if isinstance(parsed, ParsedEmail) else _identity_header(raw)
    identity = message_identity(raw, message_id)
    try:
        return _email_ingest(raw, identity, parsed)
    except IntegrityError as error:
        # The same message read twice at the same moment: the other reading stored it.
        if unique_violation(error) in IDENTITY_CONSTRAINTS:
            return _duplicate(identity)
        raise


def _one_reading_at_a_time(identity: str) -> None:
    """Two readings of one message at once (two pollers, a delivery retried) wait here for each other, so the
    second finds what the first stored instead of racing it to the customer and the case."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [identity])


@transaction.atomic(durable=True)
def _email_ingest(raw: bytes, identity: str, parsed: ParsedEmail | MalformedEmail) -> InboundEmail | RejectedEmail:
    _one_reading_at_a_time(identity)
    if _already_received(identity):
        return _duplicate(identity)
    if isinstance(parsed, MalformedEmail):
        return _reject(identity=identity, raw=raw, reason=str(parsed))
    record = InboundEmail(
        identity=identity,
        message_id=parsed.message_id[:300],
        from_address=parsed.from_address[:254],
        subject=parsed.subject[:250],
    )
    if parsed.automatic_reason:
        record.outcome, record.reason, record.raw = InboundOutcome.AUTOMATIC, parsed.automatic_reason[:200], raw
        record.save()
        return record
    text, files = _case_text(parsed)
    event = None
    target = _reply_target(parsed)
    if target is not None:
        case = Case.objects.for_update().get(pk=target.case.pk)
        if not target.verified:
            event = receive_unverified_message(
                case, text=text, sender=parsed.from_address, reason=target.why_unverified
            )
            record.outcome, record.reason = InboundOutcome.UNVERIFIED, target.why_unverified[:200]
        elif (deadline := customer_reopen_deadline(case)) is not None and deadline < timezone.now():
            target = None  # long closed: the customer's new message is a new complaint
            text = f"(About the earlier case {case.reference}.)\n\n{text}"
        else:
            event = receive_customer_message(case, text=text, channel=CaseChannel.EMAIL)
            record.outcome = InboundOutcome.REPLY
    if target is None:
        try:
            case = _new_email_case(parsed, text)
        except InvalidInput as error:
            problems = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.errors.items())
            return _reject(identity=identity, raw=raw, reason=f"cannot open a case: {problems or error.detail}")
        record.outcome = InboundOutcome.NEW_CASE
    notes = [f"{a.filename}: {a.reason}" for a in parsed.skipped_attachments]
    if any(f.filename == FULL_MESSAGE_FILENAME for f in files):
        notes.append(f"long message: the whole text is in {FULL_MESSAGE_FILENAME}")
    record.reason = "; ".join(filter(None, [record.reason, *notes]))[:200]
    record.case = case
    record.save()
    _store_attachments(case, event, files)
    return record


def _new_email_case(parsed: ParsedEmail, text: str) -> Case:
    """A message that answers nothing of ours: a new case for the customer with the sender's address."""
    email = parsed.from_address.lower()
    name = (parsed.from_name or email.partition("@")[0])[:200]
    customer, created = customer_find_or_create_by_email(email=email, full_name=name)
    verified = not parsed.authentication_failures
    if not verified:
        match = IntakeMatch.UNVERIFIED_SENDER
    else:
        match = IntakeMatch.NEW_CUSTOMER if created else IntakeMatch.EMAIL
    return case_create(
        customer=customer,
        channel=CaseChannel.EMAIL,
        subject=(parsed.subject or subject_from(text))[:200],
        description=text,
        intake_match=match,
        # A forged sender would have us mail someone who never wrote (backscatter): acknowledge real ones only.
        acknowledge=verified,
    )


class NotStored(Exception):
    """The message could not be stored (the database is down): whoever delivered it must try again."""


def email_store(raw: bytes) -> InboundEmail | RejectedEmail:
    """Store one message, whatever it holds (standard input, a Maildir, an IMAP mailbox). Raises NotStored
    only when the database cannot take it; a message that trips a bug is kept as rejected, never lost."""
    try:
        return email_ingest(raw)
    except DatabaseError as error:
        raise NotStored(f"database: {type(error).__name__}") from error
    except Exception as error:  # noqa: BLE001 - any other failure is this message's, kept for staff
        logger.exception("email in: could not process a message; keeping it as rejected")
        try:
            return email_keep_rejected(raw, reason=f"could not be processed ({type(error).__name__}: {error})")
        except DatabaseError as database_error:
            raise NotStored(f"database: {type(database_error).__name__}") from database_error


def describe(result: InboundEmail | RejectedEmail) -> str:
    """What became of a message, in one line (the command prints it)."""
    if isinstance(result, RejectedEmail):
        return f"rejected: {result.reason}"
    where = f" {result.case.reference}" if result.case is not None else ""
    return f"{result.outcome}{where}{': ' + result.reason if result.reason else ''}"


@transaction.atomic(durable=True)
def email_keep_rejected(raw: bytes, *, reason: str) -> RejectedEmail:
    """Keep a message that could not be processed, with the reason; keeping it again changes nothing."""
    identity = _identity(raw)
    existing = RejectedEmail.objects.filter(identity=identity).first()
    return existing or _reject(identity=identity, raw=raw, reason=reason)


@transaction.atomic(durable=True)
def rejected_email_open_case(
    *, rejected: RejectedEmail, by: StaffUser, email: str, name: str, subject: str, description: str
) -> Case:
    """Staff read a refused message and open the case it should have been: the customer by the address
    they checked, the raw message attached to the case, and a note saying who did it and why it was refused."""
    if not permissions.can_review_inbound_mail(by):
        raise NotPermitted("Only leads and managers handle refused mail.")
    rejected = RejectedEmail.objects.select_for_update().get(pk=rejected.pk)
    if rejected.case_id is not None:
        reference = str(Case.objects.get(pk=rejected.case_id).reference)
        raise Conflict(f"This message already opened {reference}.", errors={"case": [reference]})
    errors: dict[str, list[str]] = {}
    description = typed_text(
        description, field="description", max_length=CUSTOMER_TEXT_MAX_LENGTH, required=True, errors=errors
    )
    if errors:
        raise InvalidInput("The case needs its text.", errors=errors)
    contact = clean_customer_fields({"full_name": name, "email": email})
    if not contact["email"]:
        raise InvalidInput("Whose complaint is it?", errors={"email": ["Give the sender's address."]})
    existing = Customer.objects.filter(email=contact["email"]).first()
    customer = existing or customer_create(by=by, **contact)
    case = case_create(
        customer=customer,
        channel=CaseChannel.EMAIL,
        subject=subject or subject_from(description),
        description=description,
        intake_match=IntakeMatch.EMAIL if existing is not None else IntakeMatch.NEW_CUSTOMER,
    )
    events.note_added(case, by=by, text=f"Opened from an email that was refused ({rejected.reason}).")
    original = ParsedAttachment("original-message.eml", "message/rfc822", bytes(rejected.raw))
    _store_attachments(case, None, [original])
    rejected.case, rejected.converted_by = case, by
    rejected.save(update_fields=["case", "converted_by"])
    return case


def mail_erase_personal_data(customer: Customer, identifiers: list[str], by: StaffUser, reason: str) -> None:
    """Part of crm.customers.services.customer_erase: the mail they sent (kept or refused) keeps when it
    came and what became of it, not who sent it, what it said or the message itself."""
    from_them = Q(case__customer=customer)
    if customer.email:
        from_them |= Q(from_address__iexact=customer.email)
    InboundEmail.objects.filter(from_them).update(from_address="", subject=ERASED, raw=None)
    RejectedEmail.objects.filter(from_them).update(from_address="", subject=ERASED, raw=b"")
