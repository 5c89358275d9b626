"""Every write to a case by staff, and the case's own life: opened, taken, handed over, escalated,
edited, noted, written about, resolved, reopened, closed. One function per action, each in one
transaction, writing its events (complaints.events) and queueing its emails (complaints.emails).

Web views, API views, Celery tasks and commands all call these; none of them assigns
`Case.status` or `Case.owner` itself. A case's own promises are promises.services': a new complaint is
promised a first reply, a message keeps the reply it answers, and a case with an open promise is not
resolved.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from complaints import emails, events, permissions
from complaints.exceptions import AlreadyOwned
from complaints.models import (
    AGENT_LOGGED_CHANNELS,
    ERASABLE_EVENT_KEYS,
    ActorKind,
    Attachment,
    Case,
    CaseAction,
    CaseChannel,
    CaseEvent,
    CaseStatus,
    Category,
    Collaborator,
    EscalationLevel,
    EventKind,
    IntakeMatch,
    PromiseKind,
    Severity,
    statuses_allowing,
)
from complaints.promises.selectors import reply_due
from complaints.promises.services import FIRST_REPLY_TEXT, keep_reply_promises, promise_reply, promises_follow_owner
from complaints.validation import HANDOVER_REASON_MIN_LENGTH, require_reason, require_subject, require_text
from crm.append_only import rewrite_for_erasure
from crm.customers.services import customer_create
from crm.exceptions import Conflict, InvalidInput, NotAllowedInStatus, NotPermitted
from crm.models import Customer, OutboundEmail, Service
from crm.names import clean_text, staff_display_name
from crm.permissions import StaffUser, roles_of
from crm.personal_data import ERASED, scrubbed
from crm.staff.selectors import active_staff_member, first_active_in_role

# A beat run handles at most this many rows; the next run (a minute later) takes the rest.
BEAT_BATCH = 500
EDITABLE_CASE_FIELDS = ("subject", "category", "severity", "outcome_wanted")


# --- Opening ---------------------------------------------------------------------------------------------


def case_create(
    *,
    customer: Customer,
    channel: str,
    subject: str,
    description: str,
    by: StaffUser | None = None,
    category: Category | None = None,
    severity: str = Severity.NORMAL,
    outcome_wanted: str = "",
    service: Service | None = None,
    order_reference: str = "",
    name_as_given: str = "",
    title_as_given: str = "",
    acknowledged_by_phone: bool = False,
    intake_match: str = "",
    acknowledge: bool = True,
) -> Case:
    """Open a case and queue its acknowledgement. A staff member who logs it owns it from the
    start; web and email complaints (no `by`) wait unowned in the team queue.

    `acknowledge=False` when the complainant did not give the customer's address themselves (a phone
    number matched someone on file): the acknowledgement, and its private link, go only to an
    address the complainant gave."""
    if channel not in CaseChannel.values:
        raise InvalidInput("Unknown channel.", errors={"channel": [f"Choose one of {', '.join(CaseChannel.values)}."]})
    if severity not in Severity.values:
        raise InvalidInput("Unknown severity.", errors={"severity": [f"Choose one of {', '.join(Severity.values)}."]})
    subject = require_subject(subject)
    if not description.strip():
        raise InvalidInput("A description is required.", errors={"description": ["This field may not be blank."]})
    if by is not None and not roles_of(by):
        raise NotPermitted("Only staff can log cases.")

    # No savepoint of its own: nothing above wrote, and a failure below undoes the caller's whole step.
    with transaction.atomic(savepoint=False):
        now = timezone.now()
        logged = by is not None
        # The customer is waiting: the first reply the acknowledgement promises is tracked like any promise.
        first_reply_due = None if logged else reply_due(now)
        case = Case.objects.create(
            customer=customer,
            channel=channel,
            subject=subject,
            description=description,
            outcome_wanted=outcome_wanted,
            category=category,
            severity=severity,
            owner=by,
            status=CaseStatus.OPEN if logged else CaseStatus.NEW,
            opened_at=now,
            awaiting_reply_since=None if logged else now,
            service=service,
            order_reference=order_reference,
            name_as_given=name_as_given,
            title_as_given=title_as_given,
            name_needs_confirming=bool(name_as_given or title_as_given),
            acknowledged_by_phone=acknowledged_by_phone and logged,
            acknowledged_at=now if acknowledged_by_phone and logged else None,
            intake_match=intake_match,
            next_promise_due_at=first_reply_due,
        )
        with events.recorded_together():
            events.case_created(case, by=by, at=now)
            if by is not None and channel in AGENT_LOGGED_CHANNELS:
                events.call_logged(case, by=by, at=now)
            if first_reply_due is not None:
                promise_reply(case, by=None, text=FIRST_REPLY_TEXT, due_at=first_reply_due, first_of_new_case=True)
            if acknowledge:
                _queue_acknowledgement(case, new_customer=intake_match == IntakeMatch.NEW_CUSTOMER)
        return case


def _acknowledgements_sent_recently(case: Case) -> int:
    """How many acknowledgements this customer's address was sent in the last hour (by the outbox's
    index on the customer: a handful of rows)."""
    since = case.opened_at - timedelta(hours=1)
    recent = OutboundEmail.objects.filter(customer_id=case.customer_id, created_at__gte=since)
    return recent.filter(key__startswith="case:", key__endswith=":acknowledgement").count()


def _queue_acknowledgement(case: Case, *, new_customer: bool = False) -> None:
    """Exactly one acknowledgement per case (its outbox key), on every channel, in the creating transaction.
    At most ACKNOWLEDGEMENTS_PER_ADDRESS_PER_HOUR to one address: anyone can complain in someone else's
    name, and the cases still open, but their inbox is not flooded from ours (a customer created with
    this case has been sent none)."""
    if not case.customer.email:
        return
    limit = settings.ACKNOWLEDGEMENTS_PER_ADDRESS_PER_HOUR
    if not new_customer and _acknowledgements_sent_recently(case) >= limit:
        events.note_added(
            case,
            by=None,
            at=case.opened_at,
            text=(
                f"No acknowledgement was emailed: {limit} went to this address in the last hour. "
                "Contact the customer before you rely on them having the reference."
            ),
        )
        return
    emails.email_customer(
        case,
        key=emails.acknowledgement_key(case),
        template="cases/email/acknowledgement",
        subject=f"We have your complaint: {case.subject}",
        owner_name=staff_display_name(case.owner) if case.owner else "",
        first_response_due=reply_due(case.opened_at),
    )


def acknowledgement_sent(*, key: str, sent_at: datetime) -> None:
    """Outbox hook (crm's email_sent signal): when a case's acknowledgement was accepted by the mail
    server, that is when the customer was acknowledged."""
    case_id = emails.acknowledged_case_id(key)
    if case_id is not None:
        Case.objects.filter(pk=case_id, acknowledged_at__isnull=True).update(acknowledged_at=sent_at)


NO_CONTACT_REASON_REQUIRED = (
    "Give an email or a phone number, or say why there is neither (we cannot answer them otherwise)."
)


@transaction.atomic(durable=True)
def case_log_contact(
    *,
    by: StaffUser,
    customer: Customer | None = None,
    new_customer: dict | None = None,
    no_contact_reason: str = "",
    **case_fields: Any,
) -> Case:
    """An agent logs a call, letter or visit: the customer (found or created) and a case the agent owns,
    both or neither. A new customer with neither email nor phone needs the reason, kept on their record:
    otherwise nobody could answer them."""
    if customer is None:
        details = {"full_name": "", **(new_customer or {})}
        reason = clean_text(no_contact_reason)
        if not details.get("email", "").strip() and not details.get("phone", "").strip():
            if not reason:
                raise InvalidInput(
                    "No way to reach this customer.",
                    errors={"no_contact_reason": [NO_CONTACT_REASON_REQUIRED]},
                )
            details["notes"] = (
                f"No email or phone given when {case_fields.get('channel', 'contact')} was logged: {reason}"
            )
        # full_name is always checked, so a call logged with no details cannot make a nameless customer.
        customer = customer_create(by=by, **details)
    return case_create(customer=customer, by=by, **case_fields)


# --- Owning ------------------------------------------------------------------------------------------------


def _first_owner(case: Case, owner: StaffUser, *, action: CaseAction) -> Case:
    """Give a queue case its first owner by compare-and-swap: the row count says who won, no lock is held
    while others wait, and a loser hears who owns it (409) whoever's team they are in."""
    won = Case.objects.filter(pk=case.pk, owner__isnull=True, status__in=statuses_allowing(action)).update(
        owner=owner, status=CaseStatus.OPEN, updated_at=timezone.now()
    )
    case = Case.objects.select_related("owner", "customer").get(pk=case.pk)
    if not won:
        if case.owner is not None:
            raise AlreadyOwned(owner_username=case.owner.username, owner_name=staff_display_name(case.owner))
        raise NotAllowedInStatus(action=action.label, status=case.status)
    promises_follow_owner(case)
    return case


@transaction.atomic(durable=True)
def case_take(*, case: Case, agent: StaffUser) -> Case:
    """Become the owner of an unowned case. Exactly one of many simultaneous takers wins."""
    if not permissions.can_take(agent):
        raise NotPermitted("Only agents and leads take cases.")
    case = _first_owner(case, agent, action=CaseAction.TAKE)
    events.case_taken(case, by=agent, from_status=CaseStatus.NEW)
    return case


@transaction.atomic(durable=True)
def case_assign(*, case: Case, to: str, by: StaffUser) -> Case:
    """A lead (to a member of a team they lead) or a manager gives a queue case its first owner, who is
    told. Taking stays one click; like taking, exactly one of two at the same moment wins."""
    if not permissions.can_assign(by):
        raise NotPermitted("Only leads and managers assign cases.")
    if not to.strip():
        raise InvalidInput("Choose whom to assign the case to.", errors={"to": ["Choose whom to assign the case to."]})
    target = active_staff_member(to, field="to")
    if not permissions.can_assign_to(by, target):
        raise InvalidInput(
            "Not someone you can assign to.",
            errors={"to": [f"{staff_display_name(target)} is not an agent or lead in a team you lead."]},
        )
    case = _first_owner(case, target, action=CaseAction.ASSIGN)
    event = events.case_assigned(case, by=by, from_status=CaseStatus.NEW)
    first_reply = case.promises.open().filter(kind=PromiseKind.REPLY).order_by("due_at").first()
    emails.email_staff(
        target,
        key=emails.assigned_key(case, event),
        template="cases/email/assigned",
        subject=f"[{case.reference}] A case for you: {case.subject}",
        case=case,
        by_name=staff_display_name(by),
        first_reply_due=first_reply.due_at if first_reply else None,
    )
    return case


@transaction.atomic(durable=True)
def case_handover(*, case: Case, to: str, reason: str, by: StaffUser) -> Case:
    """Pass the case to another agent, with a reason the customer is told. Counts as a shuffle."""
    reason = require_reason(reason, min_length=HANDOVER_REASON_MIN_LENGTH)
    case = Case.objects.for_update().get(pk=case.pk)
    permissions.require_change(by, case)
    case.require(CaseAction.HANDOVER)
    target = active_staff_member(to, field="to")
    if not permissions.can_own(target):
        raise InvalidInput("Cases are owned by agents and leads.", errors={"to": [f"{to} is not an agent or lead."]})
    if target.pk == case.owner_id:
        raise InvalidInput("Already the owner.", errors={"to": [f"{to} already owns this case."]})
    previous = case.owner
    if previous is None:
        raise NotAllowedInStatus(action=CaseAction.HANDOVER.label, status=case.status)
    case.owner = target
    case.save(update_fields=["owner", "updated_at"])
    promises_follow_owner(case)
    event = events.case_handed_over(case, by=by, from_owner=previous, reason=reason)
    emails.email_customer(
        case,
        key=emails.handover_key(case, event),
        template="cases/email/handover",
        subject="Your case has a new owner",
        new_owner_name=staff_display_name(target),
        reason=reason,
    )
    emails.email_staff(
        target,
        key=emails.handed_to_key(case, event),
        template="cases/email/handed_to_you",
        subject=f"[{case.reference}] Handed over to you: {case.subject}",
        case=case,
        reason=reason,
        by_name=staff_display_name(by),
    )
    return case


def _escalation_target(*, case: Case, level: str | None, to: str | None) -> tuple[StaffUser, str]:
    if to:
        return active_staff_member(to, field="to"), ""
    if level not in EscalationLevel.values:
        raise InvalidInput(
            "Say who to escalate to.",
            errors={"level": [f"Choose one of {', '.join(EscalationLevel.values)}, or name a person in 'to'."]},
        )
    if level == EscalationLevel.LEAD:
        lead = permissions.lead_of(case.owner)
        if lead is not None and lead.is_active:
            return lead, level
    # The first active member of that role: deterministic, and an executive is always reachable.
    target = first_active_in_role(level)
    if target is None:
        raise InvalidInput("Nobody holds that role.", errors={"level": [f"No active {level} to escalate to."]})
    return target, level


@transaction.atomic(durable=True)
def case_escalate(
    *, case: Case, by: StaffUser, reason: str, level: str | None = None, to: str | None = None
) -> Collaborator:
    """Add a senior person to the case. The owner keeps the case."""
    reason = require_reason(reason)
    case = Case.objects.for_update().get(pk=case.pk)
    permissions.require_change(by, case)
    case.require(CaseAction.ESCALATE)
    target, level = _escalation_target(case=case, level=level, to=to)
    if target.pk == case.owner_id:
        raise InvalidInput("The owner already has the case.", errors={"to": ["Escalate to someone else."]})
    if Collaborator.objects.filter(case=case, user=target).exists():
        raise Conflict(f"Already escalated to {staff_display_name(target)}.", errors={"to": [target.username]})
    collaborator = Collaborator.objects.create(case=case, user=target, level=level, reason=reason, added_by=by)
    events.case_escalated(case, by=by, to=target, level=level, reason=reason)
    emails.email_staff(
        target,
        key=emails.escalation_key(case, collaborator),
        template="cases/email/escalated",
        subject=f"[{case.reference}] Escalated to you: {case.subject}",
        case=case,
        reason=reason,
        by_name=staff_display_name(by),
    )
    return collaborator


@transaction.atomic(durable=True)
def case_update(*, case: Case, by: StaffUser, **fields: Any) -> Case:
    """Edit what the case is about (not who owns it, nor its status: those have their own actions)."""
    unknown = set(fields) - set(EDITABLE_CASE_FIELDS)
    if unknown:
        raise InvalidInput("These fields cannot be edited.", errors={f: ["Not editable."] for f in sorted(unknown)})
    case = Case.objects.for_update().get(pk=case.pk)
    permissions.require_change(by, case)
    case.require(CaseAction.EDIT)
    if "subject" in fields:
        fields["subject"] = require_subject(str(fields["subject"]))
    if "severity" in fields and fields["severity"] not in Severity.values:
        raise InvalidInput("Unknown severity.", errors={"severity": [f"Choose one of {', '.join(Severity.values)}."]})
    changes: dict[str, list[str | int | None]] = {}
    for field, value in fields.items():
        before = getattr(case, field)
        if before != value:
            changes[field] = [str(getattr(before, "slug", before) or ""), str(getattr(value, "slug", value) or "")]
            setattr(case, field, value)
    if changes:
        case.save(update_fields=[*changes, "updated_at"])
        events.case_updated(case, by=by, changes=changes)
    return case


# --- Talking to the customer and to each other ------------------------------------------------------------


@transaction.atomic(durable=True)
def case_add_note(*, case: Case, by: StaffUser, text: str) -> CaseEvent:
    """An internal note: any staff member who can see the case; never shown to the customer."""
    text = require_text(text, field="text")
    permissions.require_see(by, case)
    case = Case.objects.for_update().get(pk=case.pk)
    case.require(CaseAction.NOTE)
    return events.note_added(case, by=by, text=text)


@transaction.atomic(durable=True)
def case_send_message(*, case: Case, by: StaffUser, text: str, await_reply: bool = False) -> CaseEvent:
    """Write to the customer (emailed through the outbox to their stored address)."""
    text = require_text(text, field="text")
    case = Case.objects.for_update().get(pk=case.pk)
    permissions.require_talk_to_customer(by, case)
    if not case.customer.email:
        raise InvalidInput(
            "This customer has no email address; call or write to them and log it instead.",
            errors={"customer": ["The customer has no email address."]},
        )
    case.require(CaseAction.MESSAGE)
    now = timezone.now()
    fields = ["awaiting_reply_since", "updated_at"]
    case.awaiting_reply_since = None
    if case.first_response_at is None:
        case.first_response_at = now
        fields.append("first_response_at")
    target = CaseStatus.WAITING_ON_CUSTOMER if await_reply else CaseStatus.OPEN
    before = case.status
    if target != case.status:
        case.move_to(target, action=CaseAction.MESSAGE)
        fields.append("status")
    case.save(update_fields=fields)
    event = events.message_sent(case, by=by, text=text, at=now)
    if "status" in fields:
        events.status_changed(case, by=by, from_status=before, at=now)
    keep_reply_promises(case, by=by, at=now)
    emails.email_message(case, key=emails.message_key(case, event), text=text, by=by)
    return event


def case_erase_personal_data(customer: Customer, identifiers: list[str], by: StaffUser, reason: str) -> None:
    """Part of crm.customers.services.customer_erase: on each of the customer's cases, what they wrote
    and anything naming them becomes "[erased]" (the case, its events, its files); what happened and when
    stays, so every figure is the same. Each case records the erasure as an event."""
    for case in Case.objects.select_for_update().filter(customer=customer).order_by("pk"):
        case.subject, case.description = ERASED, ERASED
        case.outcome_wanted = ERASED if case.outcome_wanted else ""
        case.order_reference = case.name_as_given = case.title_as_given = ""
        case.resolution_summary = scrubbed(case.resolution_summary, identifiers)
        case.save(
            update_fields=[
                "subject",
                "description",
                "outcome_wanted",
                "order_reference",
                "name_as_given",
                "title_as_given",
                "resolution_summary",
                "updated_at",
            ]
        )
        for event in CaseEvent.objects.filter(case=case):
            erased = _erased_event_data(event, identifiers)
            if erased != event.data:
                rewrite_for_erasure(CaseEvent, event.pk, data=erased)
        # Emails about the case (to staff too: "the customer wrote …") keep when and to whom, not the words.
        for email in OutboundEmail.objects.filter(emails.about_case(case)):
            subject = scrubbed(email.subject, identifiers)
            OutboundEmail.objects.filter(pk=email.pk).update(subject=subject, body_text=ERASED, body_html="")
        for attachment in Attachment.objects.filter(case=case):
            attachment.file.delete(save=False)
            attachment.delete()
        events.personal_data_erased(case, by=by, reason=reason)


def _erased_event_data(event: CaseEvent, identifiers: list[str]) -> dict[str, Any]:
    """The customer's own words go whole; staff text only where it names them."""
    their_words = event.actor_kind == ActorKind.CUSTOMER or event.kind in (
        EventKind.MESSAGE_IN_UNVERIFIED,
        EventKind.CALL_LOGGED,
    )
    data = dict(event.data)
    for key in ERASABLE_EVENT_KEYS:
        value = data.get(key)
        if value in (None, "", [], {}):
            continue
        data[key] = ERASED if their_words and isinstance(value, str) else scrubbed(value, identifiers)
    return data
