"""Customers reaching us: the public complaint form and API, and the private status page's actions.
Everything a customer sends is kept; bad input gets a reason, never a lost message.

A complaint opens a case the same way a logged call does (cases.services.case_create), and a
customer reopening from the status page makes the same move as staff (resolution.services.reopen_locked).
`receive_customer_message` is also how an email reply from the customer lands (complaints.mail).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from complaints import emails, events, permissions
from complaints.cases.services import case_create
from complaints.models import (
    AGENT_LOGGED_CHANNELS,
    ActorKind,
    Case,
    CaseAction,
    CaseChannel,
    CaseEvent,
    CaseStatus,
    Collaborator,
    EscalationLevel,
    EventKind,
    IntakeMatch,
    Promise,
)
from complaints.promises.selectors import reply_due
from complaints.promises.services import promise_reply
from complaints.resolution.services import customer_reopen_deadline, reopen_locked, reopen_window_closed
from complaints.validation import CUSTOMER_TEXT_MAX_LENGTH, subject_from, typed_text
from crm.customers.services import customer_create, customer_find_or_create_by_email
from crm.exceptions import Conflict, InvalidInput, NotPermitted
from crm.models import Customer, Role, Service
from crm.names import clean_text, staff_display_name
from crm.permissions import StaffUser, roles_of
from crm.staff.selectors import first_active_in_role
from crm.validation import clean_customer_fields, normalise_email

# Said by the form, the API and the service alike.
CONTACT_REQUIRED = "Give an email address or a phone number, so we can answer you."


# --- The public form and API ------------------------------------------------------------------------------


def _same_name(customer: Customer, name: str, title: str) -> bool:
    return clean_text(customer.full_name).casefold() == clean_text(name).casefold() and (
        not title or customer.title.casefold() == title.casefold()
    )


@transaction.atomic(durable=True)
def complaint_submit(
    *,
    name: str,
    description: str,
    title: str = "",
    formal_name: str = "",
    email: str = "",
    phone: str = "",
    outcome_wanted: str = "",
    order_reference: str = "",
    service: Service | None = None,
) -> Case:
    """A complaint from the public form or API: find or create the customer, open an unowned case,
    queue the acknowledgement. Never overwrites a stored customer's name or title.

    The customer is found by the email address when one is given (a different address is a different
    person, even with a known phone: people share phones), by the phone number only when no email is
    given. Whoever typed a known number has proved nothing, so nothing is emailed to the address on file.

    A title needs the name that goes with it ("Mrs" and "Thomas"): a title given without one is kept on
    the case for the owner to confirm, never silently dropped."""
    errors: dict[str, list[str]] = {}
    limit = CUSTOMER_TEXT_MAX_LENGTH
    description = typed_text(description, field="description", max_length=limit, required=True, errors=errors)
    outcome_wanted = typed_text(outcome_wanted, field="outcome_wanted", max_length=5_000, required=False, errors=errors)
    order_reference = typed_text(
        order_reference, field="order_reference", max_length=100, required=False, errors=errors
    )
    # The customer's own fields, by the same rules as everywhere; the email may belong to a stored customer.
    contact: dict[str, str] = {}
    try:
        contact = clean_customer_fields({"full_name": name, "title": title, "formal_name": formal_name, "phone": phone})
    except InvalidInput as error:
        errors.update(error.errors)
    try:
        contact["email"] = normalise_email(email)
    except ValidationError as error:
        errors["email"] = list(error.messages)
    if not errors and not contact.get("email") and not contact.get("phone"):
        errors["email"] = [CONTACT_REQUIRED]
    if errors:
        raise InvalidInput("Some answers need another look.", errors=errors)

    match = IntakeMatch.NEW_CUSTOMER
    if contact["email"]:
        customer, created = customer_find_or_create_by_email(**contact)
        match = IntakeMatch.NEW_CUSTOMER if created else IntakeMatch.EMAIL
    else:
        found = Customer.objects.filter(phone=contact["phone"]).order_by("pk").first()
        customer = found or customer_create(by=None, **contact)
        match = IntakeMatch.PHONE if found is not None else IntakeMatch.NEW_CUSTOMER
    name_as_given = title_as_given = ""
    title_without_name = bool(contact["title"]) and not contact["formal_name"]
    differs = match != IntakeMatch.NEW_CUSTOMER and not _same_name(customer, contact["full_name"], contact["title"])
    if differs or title_without_name:
        name_as_given, title_as_given = contact["full_name"], contact["title"]
    return case_create(
        customer=customer,
        channel=CaseChannel.WEB,
        subject=subject_from(description),
        description=description,
        outcome_wanted=outcome_wanted,
        order_reference=order_reference,
        service=service,
        name_as_given=name_as_given,
        title_as_given=title_as_given,
        intake_match=match,
        acknowledge=match != IntakeMatch.PHONE,
    )


# --- The status page: the customer's own actions ------------------------------------------------------------


@transaction.atomic(durable=True)
def case_receive_message(*, case: Case, text: str, channel: str = CaseChannel.WEB) -> CaseEvent:
    """The customer writes to us (status page or email): a message_in event; a waiting case opens again,
    and so does a resolved one within CUSTOMER_REOPEN_DAYS (after that: 409, a new complaint)."""
    errors: dict[str, list[str]] = {}
    text = typed_text(text, field="text", max_length=CUSTOMER_TEXT_MAX_LENGTH, required=True, errors=errors)
    if errors:
        raise InvalidInput("Your message needs another look.", errors=errors)
    return receive_customer_message(Case.objects.for_update().get(pk=case.pk), text=text, channel=channel)


@transaction.atomic(durable=True)
def case_add_contact(*, case: Case, by: StaffUser, channel: str, text: str) -> CaseEvent:
    """The customer called, wrote or came in again about a case already open: what they said goes on that
    case as their message (logged by `by`), not on a duplicate. The owner is told unless they logged it."""
    if not roles_of(by):
        raise NotPermitted("Only staff log contacts.")
    if channel not in AGENT_LOGGED_CHANNELS:
        choices = ", ".join(c.value for c in AGENT_LOGGED_CHANNELS)
        raise InvalidInput("Unknown channel.", errors={"channel": [f"Choose one of {choices}."]})
    errors: dict[str, list[str]] = {}
    text = typed_text(text, field="description", max_length=CUSTOMER_TEXT_MAX_LENGTH, required=True, errors=errors)
    if errors:
        raise InvalidInput("Say what the customer told you.", errors=errors)
    case = Case.objects.for_update().get(pk=case.pk)
    permissions.require_see(by, case)
    return receive_customer_message(case, text=text, channel=channel, logged_by=by)


def receive_customer_message(case: Case, *, text: str, channel: str, logged_by: StaffUser | None = None) -> CaseEvent:
    """The customer's words on a locked case, whichever way they came (`logged_by`: the agent who took
    them down from a call, letter or visit)."""
    now = timezone.now()
    case.require(CaseAction.CUSTOMER_WRITES)
    deadline = customer_reopen_deadline(case)
    if deadline is not None:
        if deadline < now:
            raise reopen_window_closed(case)
        reopen_locked(case, by=None, actor_kind=ActorKind.CUSTOMER, reason="The customer wrote after the resolution.")
    event = events.message_received(case, text=text, channel=channel, at=now, logged_by=logged_by)
    fields = ["updated_at"]
    if case.awaiting_reply_since is None:
        case.awaiting_reply_since = now
        fields.append("awaiting_reply_since")
    if case.status == CaseStatus.WAITING_ON_CUSTOMER:
        before = case.move_to(CaseStatus.OPEN, action=CaseAction.CUSTOMER_WRITES)
        fields.append("status")
        events.status_changed(case, by=None, actor_kind=ActorKind.CUSTOMER, from_status=before, at=now)
    case.save(update_fields=fields)
    if logged_by is not None and logged_by.pk == case.owner_id:
        return event  # the owner took the call: nobody to tell
    emails.email_owner(
        case,
        key=emails.customer_message_key(case, event),
        template="intake/email/customer_message",
        subject=f"[{case.reference}] The customer wrote",
        text=text,
    )
    return event


def receive_unverified_message(case: Case, *, text: str, sender: str, reason: str) -> CaseEvent:
    """Someone wrote on the case whom we cannot take for its customer: kept and shown to staff, marked,
    never as the customer's words, never changing the case, never on the customer's status page."""
    event = events.unverified_message_received(case, text=text, sender=sender, reason=reason, channel=CaseChannel.EMAIL)
    emails.email_owner(
        case,
        key=emails.unverified_message_key(case, event),
        template="intake/email/unverified_message",
        subject=f"[{case.reference}] An unverified message (not from the customer's address)",
        text=text,
        sender=sender,
        reason=reason,
    )
    return event


@transaction.atomic(durable=True)
def case_rate(*, case: Case, score: int, comment: str = "") -> CaseEvent:
    """The customer rates a resolved case, once per resolution."""
    errors: dict[str, list[str]] = {}
    comment = typed_text(comment, field="comment", max_length=5_000, required=False, errors=errors)
    if not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = ["Choose a score from 1 to 5."]
    if errors:
        raise InvalidInput("Your rating needs another look.", errors=errors)
    case = Case.objects.for_update().get(pk=case.pk)
    case.require(CaseAction.RATE)
    if case.events.filter(kind=EventKind.RATED, created_at__gte=case.resolved_at).exists():
        raise Conflict("You have already rated this case. Thank you!")
    return events.case_rated(case, score=score, comment=comment)


@transaction.atomic(durable=True)
def case_customer_asks_for_manager(*, case: Case, reason: str) -> Promise | None:
    """The customer asks for a manager: recorded, and the owner's lead (or a manager) is told, added, and
    promises the customer a reply by a time the customer sees. Once per senior person: asking again while
    they are on the case changes nothing and emails nobody. None when nobody senior is active."""
    errors: dict[str, list[str]] = {}
    reason = typed_text(reason, field="reason", max_length=5_000, required=True, errors=errors)
    if errors:
        raise InvalidInput("Please tell us why.", errors=errors)
    case = Case.objects.for_update().get(pk=case.pk)
    if not case.can(CaseAction.CUSTOMER_ASKS_FOR_MANAGER):
        raise Conflict(
            "This case is resolved. If it is not fixed, reopen it first; the manager then joins the reopened case.",
            errors={"status": [case.status]},
        )
    senior = permissions.lead_of(case.owner)
    if senior is None or not senior.is_active:
        senior = first_active_in_role(Role.MANAGER)
    if senior is not None and Collaborator.objects.filter(case=case, user=senior).exists():
        raise Conflict(
            f"{staff_display_name(senior)} is already on your case and will answer you.",
            errors={"to": [staff_display_name(senior)]},
        )
    event = events.manager_requested(case, to=senior, level=EscalationLevel.MANAGER, reason=reason)
    if senior is None:
        return None
    Collaborator.objects.create(
        case=case,
        user=senior,
        level=EscalationLevel.MANAGER,
        reason=f"The customer asked for a manager: {reason}",
    )
    promise = promise_reply(
        case, by=senior, text=f"A reply from {staff_display_name(senior)}", due_at=reply_due(timezone.now())
    )
    emails.email_staff(
        senior,
        key=emails.manager_request_key(case, event),
        template="cases/email/escalated",
        subject=f"[{case.reference}] The customer asked for a manager",
        case=case,
        reason=reason,
        by_name="The customer",
        answer_by=promise.due_at,
    )
    return promise
