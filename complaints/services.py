"""Every write to a case: one function per user action, each in one transaction,
each writing its case event and queueing its emails through the outbox.

Web views, API views, Celery tasks and commands all call these; none of them assigns
`Case.status` or `Case.owner` itself.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from complaints import permissions, selectors
from complaints.exceptions import AlreadyOwned, Conflict, InvalidInput, NotAllowedInStatus, NotPermitted
from complaints.inbound_email import Attachment as InboundAttachment
from complaints.inbound_email import (
    MalformedEmail,
    ParsedEmail,
    best_effort_headers,
    message_identity,
    parse_email,
)
from complaints.models import (
    AGENT_LOGGED_CHANNELS,
    ActorKind,
    Attachment,
    Case,
    CaseEvent,
    Category,
    Channel,
    Collaborator,
    EscalationLevel,
    EventKind,
    InboundEmail,
    InboundOutcome,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    IntakeMatch,
    Promise,
    PromiseStatus,
    RejectedEmail,
    RootCause,
    Severity,
    Status,
    format_reference,
)
from crm.models import BulkEmail, Customer, OutboundEmail, Service
from crm.names import clean_text, staff_display_name
from crm.outbox import (
    HEADER_BREAKS,
    NOTICES_TOKEN_FIELD,
    SALUTATION_FIELD,
    enqueue_batch,
    enqueue_send,
    insert_bulk_emails,
    personalise,
    queue_email,
)
from crm.services import customer_create
from crm.validation import clean_customer_fields, normalise_email

User = get_user_model()

HANDOVER_REASON_MIN_LENGTH = 15
REASON_MIN_LENGTH = 3
# A beat run handles at most this many rows; the next run (a minute later) takes the rest.
BEAT_BATCH = 500


# --- Small building blocks ----------------------------------------------------------


def violated_constraint(error: IntegrityError) -> str:
    """The name of the unique constraint an INSERT broke (PostgreSQL names it; SQLite names the columns)."""
    diag = getattr(error.__cause__, "diag", None)
    if diag is not None and diag.constraint_name:
        return diag.constraint_name
    text = str(error)
    for name, columns in SQLITE_UNIQUE_COLUMNS.items():
        if columns in text:
            return name
    return ""


# How SQLite reports our named unique constraints (it names the columns, not the constraint).
SQLITE_UNIQUE_COLUMNS = {
    "inbound_email_identity_unique": "complaints_inboundemail.identity",
    "rejected_email_identity_unique": "complaints_rejectedemail.identity",
}


def record_event(
    case: Case, kind: str, *, by=None, actor_kind: str | None = None, at: datetime | None = None, **data: Any
) -> CaseEvent:
    """Append one event to the case's history. Call inside the transaction that changes the case."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=by,
        actor_kind=actor_kind or (ActorKind.STAFF if by is not None else ActorKind.SYSTEM),
        created_at=at or timezone.now(),
        data=data,
    )


def _lock(case: Case) -> Case:
    """Re-read the case under a row lock: every transition decides on fresh state."""
    return Case.objects.select_for_update(of=("self",)).select_related("owner", "customer").get(pk=case.pk)


def _require_change(user, case: Case) -> None:
    if not permissions.can_change(user, case):
        raise NotPermitted("Only the owner, their team lead or a manager can change this case.")


def _require_reason(reason: str, *, field: str = "reason", min_length: int = REASON_MIN_LENGTH) -> str:
    reason = (reason or "").strip()
    if len(reason) < min_length:
        raise InvalidInput(
            "A reason is required.", errors={field: [f"Give a reason of at least {min_length} characters."]}
        )
    return reason


def _move(case: Case, to: str, *, action: str) -> str:
    """Check the TRANSITIONS map and set the new status; returns the old one."""
    if not case.can_move_to(to):
        raise NotAllowedInStatus(action=action, status=case.status)
    before = case.status
    case.status = to
    return before


def _email_customer(case: Case, *, key: str, template: str, subject: str, **context: Any) -> None:
    """Queue an email to the case's customer through the outbox (skipped if they have no address)."""
    customer = case.customer
    if not customer.email:
        return
    context.update(case=case, customer=customer, salutation=customer.salutation, base_url=settings.GEMDESK_BASE_URL)
    queue_email(
        key=key,
        to_email=customer.email,
        to_name=customer.full_name,
        subject=f"[{case.reference}] {subject}",
        body_text=render_to_string(f"complaints/email/{template}.txt", context),
        customer=customer,
    )


def _email_staff(user, *, key: str, template: str, subject: str, **context: Any) -> None:
    if not user.email:
        return
    context.update(recipient=user, recipient_name=staff_display_name(user), base_url=settings.GEMDESK_BASE_URL)
    queue_email(
        key=key,
        to_email=user.email,
        to_name=staff_display_name(user),
        subject=subject,
        body_text=render_to_string(f"complaints/email/{template}.txt", context),
    )


def refresh_next_promise(case_id: int) -> None:
    """Keep Case.next_promise_due_at equal to the earliest open promise (call after any promise change)."""
    earliest = Promise.objects.filter(case_id=case_id, status=PromiseStatus.OPEN).aggregate(due=Min("due_at"))["due"]
    Case.objects.filter(pk=case_id).update(next_promise_due_at=earliest)


def _future(due_at: datetime, *, field: str = "due_at") -> datetime:
    if timezone.is_naive(due_at):
        raise InvalidInput("Give the time with its offset.", errors={field: ["Include a time zone offset."]})
    if due_at <= timezone.now():
        raise InvalidInput("The due time is in the past.", errors={field: ["The due time must be in the future."]})
    return due_at


# --- Creating and owning --------------------------------------------------------------


@transaction.atomic
def case_create(
    *,
    customer: Customer,
    channel: str,
    subject: str,
    description: str,
    by=None,
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
    if channel not in Channel.values:
        raise InvalidInput("Unknown channel.", errors={"channel": [f"Choose one of {', '.join(Channel.values)}."]})
    if severity not in Severity.values:
        raise InvalidInput("Unknown severity.", errors={"severity": [f"Choose one of {', '.join(Severity.values)}."]})
    subject = require_subject(subject)
    if not description.strip():
        raise InvalidInput("A description is required.", errors={"description": ["This field may not be blank."]})
    if by is not None and not permissions.roles_of(by):
        raise NotPermitted("Only staff can log cases.")

    now = timezone.now()
    case = Case.objects.create(
        customer=customer,
        channel=channel,
        subject=subject,
        description=description,
        outcome_wanted=outcome_wanted,
        category=category,
        severity=severity,
        owner=by,
        status=Status.OPEN if by is not None else Status.NEW,
        opened_at=now,
        awaiting_reply_since=None if by is not None else now,
        service=service,
        order_reference=order_reference,
        name_as_given=name_as_given,
        title_as_given=title_as_given,
        name_needs_confirming=bool(name_as_given or title_as_given),
        acknowledged_by_phone=acknowledged_by_phone and by is not None,
        acknowledged_at=now if acknowledged_by_phone and by is not None else None,
        intake_match=intake_match,
    )
    # The reference comes from the primary key, unique under any concurrency.
    case.reference = format_reference(case.pk)
    Case.objects.filter(pk=case.pk).update(reference=case.reference)
    record_event(
        case,
        EventKind.CREATED,
        by=by,
        actor_kind=ActorKind.STAFF if by is not None else ActorKind.CUSTOMER,
        at=now,
        channel=channel,
        owner=by.username if by is not None else None,
        to_status=case.status,
    )
    if by is not None and channel in AGENT_LOGGED_CHANNELS:
        record_event(case, EventKind.CALL_LOGGED, by=by, at=now, channel=channel, text=description)
    if acknowledge:
        _queue_acknowledgement(case)
    return case


def require_subject(subject: str, *, field: str = "subject") -> str:
    """A case subject: one line, because it becomes the subject of every email about the case."""
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput("A subject is required.", errors={field: ["This field may not be blank."]})
    if HEADER_CONTROL_CHARACTERS.search(subject):
        raise InvalidInput("A subject is one line.", errors={field: ["Remove the line breaks and control characters."]})
    return subject


def acknowledgement_key(case: Case) -> str:
    return f"case:{case.pk}:acknowledgement"


def _acknowledgements_sent_recently(case: Case) -> int:
    """How many of this customer's other cases opened in the last hour were acknowledged by email:
    by the outbox keys of those few cases, so the lookup is a handful of unique-index probes."""
    since = case.opened_at - timedelta(hours=1)
    recent = Case.objects.filter(customer_id=case.customer_id, opened_at__gte=since).exclude(pk=case.pk)
    keys = [acknowledgement_key(other) for other in recent.only("pk")[:100]]
    return OutboundEmail.objects.filter(key__in=keys).count() if keys else 0


def _queue_acknowledgement(case: Case) -> None:
    """Exactly one acknowledgement per case (its outbox key), on every channel, in the creating transaction.
    At most ACKNOWLEDGEMENTS_PER_ADDRESS_PER_HOUR to one address: anyone can complain in someone else's
    name, and the cases still open, but their inbox is not flooded from ours."""
    if not case.customer.email:
        return
    if _acknowledgements_sent_recently(case) >= settings.ACKNOWLEDGEMENTS_PER_ADDRESS_PER_HOUR:
        record_event(
            case,
            EventKind.NOTE,
            at=case.opened_at,
            text=(
                f"No acknowledgement was emailed: {settings.ACKNOWLEDGEMENTS_PER_ADDRESS_PER_HOUR} went to this "
                "address in the last hour. Contact the customer before you rely on them having the reference."
            ),
        )
        return
    first_response_due = case.opened_at + timedelta(hours=settings.FIRST_RESPONSE_HOURS)
    _email_customer(
        case,
        key=acknowledgement_key(case),
        template="acknowledgement",
        subject=f"We have your complaint: {case.subject}",
        owner_name=staff_display_name(case.owner) if case.owner else "",
        first_response_due=first_response_due,
    )


def record_acknowledgement_sent(*, key: str, sent_at: datetime) -> None:
    """Outbox hook: when a case's acknowledgement has been accepted by the mail server, note the time."""
    prefix, _, rest = key.partition(":")
    case_id, _, kind = rest.partition(":")
    if prefix == "case" and kind == "acknowledgement" and case_id.isdigit():
        Case.objects.filter(pk=int(case_id), acknowledged_at__isnull=True).update(acknowledged_at=sent_at)


@transaction.atomic(durable=True)
def case_log_contact(*, by, customer: Customer | None = None, new_customer: dict | None = None, **case_fields) -> Case:
    """An agent logs a call, letter or visit: the customer (found or created) and a case the agent owns,
    both or neither."""
    if customer is None:
        # full_name is always checked, so a call logged with no details cannot make a nameless customer.
        customer = customer_create(by=by, **{"full_name": "", **(new_customer or {})})
    return case_create(customer=customer, by=by, **case_fields)


@transaction.atomic(durable=True)
def case_take(*, case: Case, agent) -> Case:
    """Become the owner of an unowned case. Exactly one of many simultaneous takers wins."""
    if not permissions.can_take(agent):
        raise NotPermitted("Only agents and leads take cases.")
    # Compare-and-swap: the row count says who won; no lock is held while others wait.
    won = Case.objects.filter(pk=case.pk, owner__isnull=True, status=Status.NEW).update(
        owner=agent, status=Status.OPEN, updated_at=timezone.now()
    )
    case = Case.objects.select_related("owner", "customer").get(pk=case.pk)
    if not won:
        if case.owner is not None:
            raise AlreadyOwned(owner_username=case.owner.username, owner_name=staff_display_name(case.owner))
        raise NotAllowedInStatus(action="take this case", status=case.status)
    record_event(case, EventKind.TAKEN, by=agent, from_status=Status.NEW, to_status=Status.OPEN)
    return case


def _active_staff(username: str, *, field: str = "to"):
    user = User.objects.filter(username=username, is_active=True).select_related("staff_profile").first()
    if user is None or not permissions.roles_of(user):
        raise InvalidInput("No such active staff member.", errors={field: [f"No active staff member '{username}'."]})
    return user


@transaction.atomic(durable=True)
def case_handover(*, case: Case, to: str, reason: str, by) -> Case:
    """Pass the case to another agent, with a reason the customer is told. Counts as a shuffle."""
    reason = _require_reason(reason, min_length=HANDOVER_REASON_MIN_LENGTH)
    case = _lock(case)
    _require_change(by, case)
    if case.status not in (Status.OPEN, Status.WAITING_ON_CUSTOMER):
        raise NotAllowedInStatus(action="hand over", status=case.status)
    target = _active_staff(to)
    if not permissions.roles_of(target) & permissions.TAKE_ROLES:
        raise InvalidInput("Cases are owned by agents and leads.", errors={"to": [f"{to} is not an agent or lead."]})
    if target.pk == case.owner_id:
        raise InvalidInput("Already the owner.", errors={"to": [f"{to} already owns this case."]})
    previous = case.owner
    case.owner = target
    case.save(update_fields=["owner", "updated_at"])
    event = record_event(
        case, EventKind.HANDED_OVER, by=by, from_owner=previous.username, to_owner=target.username, reason=reason
    )
    _email_customer(
        case,
        key=f"case:{case.pk}:handover:{event.pk}",
        template="handover",
        subject="Your case has a new owner",
        new_owner_name=staff_display_name(target),
        reason=reason,
    )
    return case


def _escalation_target(*, case: Case, level: str | None, to: str | None):
    if to:
        return _active_staff(to), ""
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
    target = User.objects.filter(groups__name=level, is_active=True).order_by("pk").first()
    if target is None:
        raise InvalidInput("Nobody holds that role.", errors={"level": [f"No active {level} to escalate to."]})
    return target, level


@transaction.atomic(durable=True)
def case_escalate(*, case: Case, by, reason: str, level: str | None = None, to: str | None = None) -> Collaborator:
    """Add a senior person to the case. The owner keeps the case."""
    reason = _require_reason(reason)
    case = _lock(case)
    _require_change(by, case)
    if case.status not in (Status.OPEN, Status.WAITING_ON_CUSTOMER):
        raise NotAllowedInStatus(action="escalate", status=case.status)
    target, level = _escalation_target(case=case, level=level, to=to)
    if target.pk == case.owner_id:
        raise InvalidInput("The owner already has the case.", errors={"to": ["Escalate to someone else."]})
    if Collaborator.objects.filter(case=case, user=target).exists():
        raise Conflict(f"Already escalated to {staff_display_name(target)}.", errors={"to": [target.username]})
    collaborator = Collaborator.objects.create(case=case, user=target, level=level, reason=reason, added_by=by)
    record_event(case, EventKind.ESCALATED, by=by, to=target.username, level=level, reason=reason)
    _email_staff(
        target,
        key=f"case:{case.pk}:escalation:{collaborator.pk}",
        template="escalated",
        subject=f"[{case.reference}] Escalated to you: {case.subject}",
        case=case,
        reason=reason,
        by_name=staff_display_name(by),
    )
    return collaborator


EDITABLE_CASE_FIELDS = ("subject", "category", "severity", "outcome_wanted")


@transaction.atomic(durable=True)
def case_update(*, case: Case, by, **fields: Any) -> Case:
    """Edit what the case is about (not who owns it, nor its status: those have their own actions)."""
    unknown = set(fields) - set(EDITABLE_CASE_FIELDS)
    if unknown:
        raise InvalidInput("These fields cannot be edited.", errors={f: ["Not editable."] for f in sorted(unknown)})
    case = _lock(case)
    _require_change(by, case)
    if "subject" in fields:
        fields["subject"] = require_subject(str(fields["subject"]))
    if "severity" in fields and fields["severity"] not in Severity.values:
        raise InvalidInput("Unknown severity.", errors={"severity": [f"Choose one of {', '.join(Severity.values)}."]})
    changes = {}
    for field, value in fields.items():
        before = getattr(case, field)
        if before != value:
            changes[field] = [str(getattr(before, "slug", before) or ""), str(getattr(value, "slug", value) or "")]
            setattr(case, field, value)
    if changes:
        case.save(update_fields=[*changes, "updated_at"])
        record_event(case, EventKind.UPDATED, by=by, changes=changes)
    return case


# --- Talking to the customer and to each other -----------------------------------------


@transaction.atomic(durable=True)
def case_add_note(*, case: Case, by, text: str) -> CaseEvent:
    """An internal note: any staff member who can see the case; never shown to the customer."""
    text = _require_reason(text, field="text", min_length=1)
    if not permissions.visible_cases(by).filter(pk=case.pk).exists():
        raise NotPermitted("You cannot see this case.")
    case = _lock(case)
    return record_event(case, EventKind.NOTE, by=by, text=text)


@transaction.atomic(durable=True)
def case_message_customer(*, case: Case, by, text: str, await_reply: bool = False) -> CaseEvent:
    """Write to the customer (emailed through the outbox)."""
    text = _require_reason(text, field="text", min_length=1)
    case = _lock(case)
    _require_change(by, case)
    if not case.customer.email:
        raise InvalidInput(
            "This customer has no email address; call or write to them and log it instead.",
            errors={"customer": ["The customer has no email address."]},
        )
    if case.status not in (Status.OPEN, Status.WAITING_ON_CUSTOMER):
        raise NotAllowedInStatus(action="message the customer", status=case.status)
    now = timezone.now()
    fields = ["awaiting_reply_since", "updated_at"]
    case.awaiting_reply_since = None
    if case.first_response_at is None:
        case.first_response_at = now
        fields.append("first_response_at")
    target = Status.WAITING_ON_CUSTOMER if await_reply else Status.OPEN
    before = case.status
    if target != case.status:
        _move(case, target, action="wait for the customer" if await_reply else "reopen")
        fields.append("status")
    case.save(update_fields=fields)
    event = record_event(case, EventKind.MESSAGE_OUT, by=by, at=now, text=text)
    if "status" in fields:
        record_event(case, EventKind.STATUS_CHANGED, by=by, at=now, from_status=before, to_status=case.status)
    _email_customer(
        case,
        key=f"case:{case.pk}:message:{event.pk}",
        template="message",
        subject=case.subject,
        text=text,
        owner_name=staff_display_name(by),
    )
    return event


# --- Promises --------------------------------------------------------------------------


def promise_warning_time(*, made_at: datetime, due_at: datetime) -> datetime:
    """When the owner is warned: the later of N hours before due and F of the way from making to due."""
    hours_before = due_at - timedelta(hours=settings.PROMISE_WARNING_HOURS)
    fraction_through = made_at + (due_at - made_at) * settings.PROMISE_WARNING_FRACTION
    return max(hours_before, fraction_through)


def _new_promise(case: Case, *, by, text: str, due_at: datetime, replaces: Promise | None = None) -> Promise:
    now = timezone.now()
    return Promise.objects.create(
        case=case,
        text=text,
        due_at=due_at,
        made_at=now,
        made_by=by,
        replaces=replaces,
        warn_at=promise_warning_time(made_at=now, due_at=due_at),
    )


@transaction.atomic(durable=True)
def promise_make(*, case: Case, by, text: str, due_at: datetime) -> Promise:
    text = _require_reason(text, field="text", min_length=1)
    _future(due_at)
    case = _lock(case)
    _require_change(by, case)
    if case.status not in (Status.OPEN, Status.WAITING_ON_CUSTOMER):
        raise NotAllowedInStatus(action="make a promise", status=case.status)
    promise = _new_promise(case, by=by, text=text, due_at=due_at)
    refresh_next_promise(case.pk)
    record_event(case, EventKind.PROMISE_MADE, by=by, promise=promise.pk, text=text, due_at=due_at.isoformat())
    return promise


def _lock_open_promise(promise: Promise, *, action: str) -> Promise:
    promise = (
        Promise.objects.select_for_update(of=("self",))
        .select_related("case__owner", "case__customer")
        .get(pk=promise.pk)
    )
    if promise.status != PromiseStatus.OPEN:
        raise Conflict(
            f"Cannot {action}: the promise is already {promise.status}.", errors={"status": [promise.status]}
        )
    return promise


@transaction.atomic(durable=True)
def promise_keep(*, promise: Promise, by) -> Promise:
    promise = _lock_open_promise(promise, action="keep it")
    _require_change(by, promise.case)
    now = timezone.now()
    promise.status, promise.settled_at = PromiseStatus.KEPT, now
    promise.save(update_fields=["status", "settled_at"])
    refresh_next_promise(promise.case_id)
    record_event(promise.case, EventKind.PROMISE_KEPT, by=by, at=now, promise=promise.pk, on_time=now <= promise.due_at)
    return promise


@transaction.atomic(durable=True)
def promise_reschedule(*, promise: Promise, by, due_at: datetime, reason: str) -> Promise:
    """Move a promise before it is broken, telling the customer the reason and the new date at once."""
    reason = _require_reason(reason)
    _future(due_at)
    promise = _lock_open_promise(promise, action="reschedule it")
    _require_change(by, promise.case)
    now = timezone.now()
    if promise.due_at <= now:
        raise Conflict("This promise is already past due: it can no longer be rescheduled.", errors={"due_at": []})
    promise.status, promise.settled_at = PromiseStatus.RESCHEDULED, now
    promise.save(update_fields=["status", "settled_at"])
    successor = _new_promise(promise.case, by=by, text=promise.text, due_at=due_at, replaces=promise)
    successor.reschedule_reason = reason
    successor.save(update_fields=["reschedule_reason"])
    refresh_next_promise(promise.case_id)
    record_event(
        promise.case,
        EventKind.PROMISE_RESCHEDULED,
        by=by,
        at=now,
        promise=promise.pk,
        new_promise=successor.pk,
        old_due_at=promise.due_at.isoformat(),
        due_at=due_at.isoformat(),
        reason=reason,
    )
    _email_customer(
        promise.case,
        key=f"promise:{promise.pk}:slip",
        template="promise_slip",
        subject="A new date for what we promised",
        promise=successor,
        old_due_at=promise.due_at,
        reason=reason,
        owner_name=staff_display_name(by),
    )
    return successor


# --- Resolution ------------------------------------------------------------------------


@transaction.atomic(durable=True)
def case_resolve(*, case: Case, by, resolution_summary: str, root_cause: str) -> Case:
    summary = _require_reason(resolution_summary, field="resolution_summary", min_length=1)
    if root_cause not in RootCause.values:
        raise InvalidInput(
            "A root cause is required.", errors={"root_cause": [f"Choose one of {', '.join(RootCause.values)}."]}
        )
    case = _lock(case)
    _require_change(by, case)
    before = _move(case, Status.RESOLVED, action="resolve")
    now = timezone.now()
    # First contact resolution, from the history: the owner resolved it with no handover
    # and the customer never had to contact us again.
    history = case.events.filter(kind__in=[EventKind.HANDED_OVER, EventKind.MESSAGE_IN, EventKind.REOPENED])
    case.resolved_on_first_contact = by.pk == case.owner_id and not history.exists()
    case.resolution_summary, case.root_cause, case.resolved_at = summary, root_cause, now
    case.save(
        update_fields=[
            "status",
            "resolution_summary",
            "root_cause",
            "resolved_at",
            "resolved_on_first_contact",
            "updated_at",
        ]
    )
    record_event(
        case,
        EventKind.RESOLVED,
        by=by,
        at=now,
        from_status=before,
        to_status=case.status,
        root_cause=root_cause,
        resolution_summary=summary,
        first_contact=case.resolved_on_first_contact,
    )
    return case


@transaction.atomic(durable=True)
def case_reopen(*, case: Case, by, reason: str, actor_kind: str = ActorKind.STAFF) -> Case:
    """Back to the same owner. If they have left, to their team lead, recorded."""
    reason = _require_reason(reason)
    case = _lock(case)
    if actor_kind == ActorKind.STAFF:
        _require_change(by, case)
    elif (deadline := customer_reopen_deadline(case)) is not None and deadline < timezone.now():
        raise _reopen_window_closed(case)
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        raise NotAllowedInStatus(action="reopen", status=case.status)
    _reopen(case, by=by if actor_kind == ActorKind.STAFF else None, actor_kind=actor_kind, reason=reason)
    return case


def _reopen(case: Case, *, by, actor_kind: str, reason: str) -> None:
    """Move a locked, resolved or closed case back to open, with its owner (or their lead if they left)."""
    before = _move(case, Status.OPEN, action="reopen")
    data: dict[str, Any] = {"from_status": before, "to_status": Status.OPEN, "reason": reason}
    owner = case.owner
    if owner is not None and not owner.is_active:
        lead = permissions.lead_of(owner)
        case.owner = lead if lead is not None and lead.is_active else None
        if case.owner is None:
            case.status = Status.NEW
        data.update(
            previous_owner=owner.username,
            owner=case.owner.username if case.owner else None,
            owner_change="previous owner is no longer active",
        )
    case.resolved_at = None
    case.closed_at = None
    case.resolved_on_first_contact = None
    case.save(update_fields=["status", "owner", "resolved_at", "closed_at", "resolved_on_first_contact", "updated_at"])
    record_event(case, EventKind.REOPENED, by=by, actor_kind=actor_kind, **data)


# --- Beat jobs -----------------------------------------------------------------------------


def promises_warn_due(*, now: datetime | None = None) -> int:
    """Tell owners about open promises entering their warning window. Once per promise."""
    now = now or timezone.now()
    warned = 0
    due_ids = list(
        Promise.objects.filter(
            status=PromiseStatus.OPEN, warned_at__isnull=True, warn_at__lte=now, due_at__gt=now
        ).values_list("pk", flat=True)[:BEAT_BATCH]
    )
    for promise_id in due_ids:
        with transaction.atomic():
            # Claim by compare-and-swap: two beat runs never warn twice.
            if not Promise.objects.filter(pk=promise_id, warned_at__isnull=True).update(warned_at=now):
                continue
            promise = Promise.objects.select_related("case__owner", "case__customer").get(pk=promise_id)
            record_event(
                promise.case, EventKind.PROMISE_WARNED, at=now, promise=promise.pk, due_at=promise.due_at.isoformat()
            )
            if promise.case.owner is not None:
                _email_staff(
                    promise.case.owner,
                    key=f"promise:{promise.pk}:warning",
                    template="promise_warning",
                    subject=f"[{promise.case.reference}] Promise due soon: keep it or tell the customer now",
                    promise=promise,
                    case=promise.case,
                )
            warned += 1
    return warned


def promises_break_overdue(*, now: datetime | None = None) -> int:
    """Mark open promises past due as broken, and tell the owner's lead."""
    now = now or timezone.now()
    broken = 0
    overdue_ids = list(
        Promise.objects.filter(status=PromiseStatus.OPEN, due_at__lte=now).values_list("pk", flat=True)[:BEAT_BATCH]
    )
    for promise_id in overdue_ids:
        with transaction.atomic():
            if not Promise.objects.filter(pk=promise_id, status=PromiseStatus.OPEN).update(
                status=PromiseStatus.BROKEN, settled_at=now
            ):
                continue
            promise = Promise.objects.select_related("case__owner__staff_profile__team__lead").get(pk=promise_id)
            refresh_next_promise(promise.case_id)
            record_event(
                promise.case, EventKind.PROMISE_BROKEN, at=now, promise=promise.pk, due_at=promise.due_at.isoformat()
            )
            owner = promise.case.owner
            lead = permissions.lead_of(owner)
            if lead is not None:
                _email_staff(
                    lead,
                    key=f"promise:{promise.pk}:broken",
                    template="promise_broken",
                    subject=f"[{promise.case.reference}] A promise was broken",
                    promise=promise,
                    case=promise.case,
                    owner_name=staff_display_name(owner),
                )
            broken += 1
    return broken


def cases_close_resolved(*, now: datetime | None = None) -> int:
    """Close cases resolved longer ago than CASE_AUTO_CLOSE_AFTER_HOURS, unless reopened."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CASE_AUTO_CLOSE_AFTER_HOURS)
    closed = 0
    ids = list(
        Case.objects.filter(status=Status.RESOLVED, resolved_at__lte=cutoff).values_list("pk", flat=True)[:BEAT_BATCH]
    )
    for case_id in ids:
        with transaction.atomic():
            if not Case.objects.filter(pk=case_id, status=Status.RESOLVED).update(
                status=Status.CLOSED, closed_at=now, updated_at=now
            ):
                continue
            record_event(
                Case(pk=case_id), EventKind.CLOSED, at=now, from_status=Status.RESOLVED, to_status=Status.CLOSED
            )
            closed += 1
    return closed


# --- Customers reaching us: the public form, the status page, email in ------------------------

PUBLIC_CHANNELS = {Channel.WEB, Channel.EMAIL}
# Text a customer writes: line breaks and tabs are theirs; other control characters and lone surrogates
# (which PostgreSQL cannot store) are not text.
TEXT_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ud800-\udfff]")
# Text bound for an email header (a subject): one line.
HEADER_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
SUBJECT_LENGTH = 80
# The whole text of a long email is kept as a file of this name on the case.
FULL_MESSAGE_FILENAME = "full-message.txt"


def _customer_text(value: str, *, field: str, max_length: int, required: bool, errors: dict) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        errors[field] = ["Please tell us this."]
    elif len(value) > max_length:
        errors[field] = [f"Please keep this under {max_length:,} characters (it has {len(value):,})."]
    elif TEXT_CONTROL_CHARACTERS.search(value):
        errors[field] = ["This contains characters we cannot store (binary data?). Please type it as text."]
    return value


def subject_from(text: str) -> str:
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "Complaint")
    first_line = HEADER_CONTROL_CHARACTERS.sub(" ", first_line).strip() or "Complaint"
    return first_line if len(first_line) <= SUBJECT_LENGTH else first_line[: SUBJECT_LENGTH - 1].rstrip() + "…"


def _same_name(customer: Customer, name: str, title: str) -> bool:
    return clean_text(customer.full_name).casefold() == clean_text(name).casefold() and (
        not title or customer.title.casefold() == title.casefold()
    )


def _customer_for_new_email(email: str, **fields: str) -> Customer:
    """The customer with this address, created if there is none. Two first messages from one new address
    at the same moment both find the one customer: the loser of the insert reads the winner's row."""
    existing = Customer.objects.filter(email=email).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return customer_create(by=None, email=email, **fields)
    except IntegrityError:
        return Customer.objects.get(email=email)


@transaction.atomic(durable=True)
def complaint_submit(
    *,
    name: str,
    description: str,
    title: str = "",
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
    given. Whoever typed a known number has proved nothing, so nothing is emailed to the address on file."""
    errors: dict[str, list[str]] = {}
    limit = settings.PUBLIC_TEXT_MAX_LENGTH
    description = _customer_text(description, field="description", max_length=limit, required=True, errors=errors)
    outcome_wanted = _customer_text(
        outcome_wanted, field="outcome_wanted", max_length=5_000, required=False, errors=errors
    )
    order_reference = _customer_text(
        order_reference, field="order_reference", max_length=100, required=False, errors=errors
    )
    # The customer's own fields, by the same rules as everywhere; the email may belong to a stored customer.
    contact: dict[str, str] = {}
    try:
        contact = clean_customer_fields({"full_name": name, "title": title, "phone": phone})
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

    customer = None
    match = IntakeMatch.NEW_CUSTOMER
    if contact["email"]:
        customer = Customer.objects.filter(email=contact["email"]).first()
        match = IntakeMatch.EMAIL if customer is not None else match
    elif contact["phone"]:
        customer = Customer.objects.filter(phone=contact["phone"]).order_by("pk").first()
        match = IntakeMatch.PHONE if customer is not None else match
    name_as_given = title_as_given = ""
    if customer is None:
        customer = _customer_for_new_email(**contact) if contact["email"] else customer_create(by=None, **contact)
    elif not _same_name(customer, contact["full_name"], contact["title"]):
        name_as_given, title_as_given = contact["full_name"], contact["title"]
    return case_create(
        customer=customer,
        channel=Channel.WEB,
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


# Said by the form, the API and the service alike.
CONTACT_REQUIRED = "Give an email address or a phone number, so we can answer you."


def _notify_owner(case: Case, *, key: str, template: str, subject: str, **context: Any) -> None:
    if case.owner is not None:
        _email_staff(case.owner, key=key, template=template, subject=subject, case=case, **context)


def customer_reopen_deadline(case: Case) -> datetime | None:
    """Until when the customer may reopen a resolved case themselves (None: it is not resolved)."""
    if case.status not in (Status.RESOLVED, Status.CLOSED) or case.resolved_at is None:
        return None
    return case.resolved_at + timedelta(days=settings.CUSTOMER_REOPEN_DAYS)


def _reopen_window_closed(case: Case) -> Conflict:
    return Conflict(
        f"This case was resolved more than {settings.CUSTOMER_REOPEN_DAYS} days ago; please tell us about "
        "it as a new complaint and mention this reference.",
        errors={"status": [case.status]},
    )


@transaction.atomic(durable=True)
def case_customer_message(*, case: Case, text: str, channel: str = Channel.WEB) -> CaseEvent:
    """The customer writes to us (status page or email): a message_in event; a waiting case opens again,
    and so does a resolved one within CUSTOMER_REOPEN_DAYS (after that: 409, a new complaint)."""
    errors: dict[str, list[str]] = {}
    text = _customer_text(text, field="text", max_length=settings.PUBLIC_TEXT_MAX_LENGTH, required=True, errors=errors)
    if errors:
        raise InvalidInput("Your message needs another look.", errors=errors)
    return _receive_customer_message(_lock(case), text=text, channel=channel)


def _receive_customer_message(case: Case, *, text: str, channel: str) -> CaseEvent:
    now = timezone.now()
    deadline = customer_reopen_deadline(case)
    if deadline is not None:
        if deadline < now:
            raise _reopen_window_closed(case)
        _reopen(case, by=None, actor_kind=ActorKind.CUSTOMER, reason="The customer wrote after the resolution.")
    event = record_event(case, EventKind.MESSAGE_IN, actor_kind=ActorKind.CUSTOMER, at=now, text=text, channel=channel)
    fields = ["updated_at"]
    if case.awaiting_reply_since is None:
        case.awaiting_reply_since = now
        fields.append("awaiting_reply_since")
    if case.status == Status.WAITING_ON_CUSTOMER:
        before = _move(case, Status.OPEN, action="reopen")
        fields.append("status")
        record_event(
            case,
            EventKind.STATUS_CHANGED,
            actor_kind=ActorKind.CUSTOMER,
            at=now,
            from_status=before,
            to_status=case.status,
        )
    case.save(update_fields=fields)
    _notify_owner(
        case,
        key=f"case:{case.pk}:customer-message:{event.pk}",
        template="customer_message",
        subject=f"[{case.reference}] The customer wrote",
        text=text,
    )
    return event


def _receive_unverified_message(case: Case, *, text: str, sender: str, reason: str) -> CaseEvent:
    """Someone wrote on the case whom we cannot take for its customer: kept and shown to staff, marked,
    never as the customer's words, never changing the case, never on the customer's status page."""
    event = record_event(
        case,
        EventKind.MESSAGE_IN_UNVERIFIED,
        actor_kind=ActorKind.SYSTEM,
        text=text,
        sender=sender,
        reason=reason,
        channel=Channel.EMAIL,
    )
    _notify_owner(
        case,
        key=f"case:{case.pk}:unverified-message:{event.pk}",
        template="unverified_message",
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
    comment = _customer_text(comment, field="comment", max_length=5_000, required=False, errors=errors)
    if not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = ["Choose a score from 1 to 5."]
    if errors:
        raise InvalidInput("Your rating needs another look.", errors=errors)
    case = _lock(case)
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        raise NotAllowedInStatus(action="rate the case", status=case.status)
    if case.events.filter(kind=EventKind.RATED, created_at__gte=case.resolved_at).exists():
        raise Conflict("You have already rated this case. Thank you!")
    return record_event(case, EventKind.RATED, actor_kind=ActorKind.CUSTOMER, score=score, comment=comment)


@transaction.atomic(durable=True)
def case_customer_escalation(*, case: Case, reason: str) -> CaseEvent:
    """The customer asks for a manager: recorded, and the owner's lead (or a manager) is told and added.
    Once per senior person: asking again while they are on the case changes nothing and emails nobody."""
    errors: dict[str, list[str]] = {}
    reason = _customer_text(reason, field="reason", max_length=5_000, required=True, errors=errors)
    if errors:
        raise InvalidInput("Please tell us why.", errors=errors)
    case = _lock(case)
    if case.status in (Status.RESOLVED, Status.CLOSED):
        raise Conflict(
            "This case is resolved. If it is not fixed, reopen it first; the manager then joins the reopened case.",
            errors={"status": [case.status]},
        )
    senior = permissions.lead_of(case.owner)
    if senior is None or not senior.is_active:
        senior = User.objects.filter(groups__name=EscalationLevel.MANAGER, is_active=True).order_by("pk").first()
    if senior is not None and Collaborator.objects.filter(case=case, user=senior).exists():
        raise Conflict(
            f"{staff_display_name(senior)} is already on your case and will answer you.",
            errors={"to": [staff_display_name(senior)]},
        )
    event = record_event(
        case,
        EventKind.ESCALATED,
        actor_kind=ActorKind.CUSTOMER,
        requested_by="customer",
        level=EscalationLevel.MANAGER,
        to=senior.username if senior else None,
        reason=reason,
    )
    if senior is not None:
        Collaborator.objects.create(
            case=case,
            user=senior,
            level=EscalationLevel.MANAGER,
            reason=f"The customer asked for a manager: {reason}",
        )
        _email_staff(
            senior,
            key=f"case:{case.pk}:customer-escalation:{event.pk}",
            template="escalated",
            subject=f"[{case.reference}] The customer asked for a manager",
            case=case,
            reason=reason,
            by_name="The customer",
        )
    return event


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
            kind, _, rest = key.partition(":")
            object_id = rest.partition(":")[0]
            if kind == "case" and object_id.isdigit():
                case = Case.objects.select_related("customer").filter(pk=int(object_id)).first()
            elif kind == "promise" and object_id.isdigit():
                case = Case.objects.select_related("customer").filter(promises__pk=int(object_id)).first()
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


def _store_attachments(case: Case, event: CaseEvent | None, attachments: list) -> None:
    """Each file under a generated name (the name the sender gave is data, shown but never a path)."""
    for attachment in attachments:
        extension = Path(attachment.filename.replace("\\", "/")).suffix.lower()
        stored_as = f"{uuid.uuid4().hex}{extension if SAFE_EXTENSION.fullmatch(extension) else ''}"
        Attachment.objects.create(
            case=case,
            event=event,
            filename=attachment.filename,
            content_type=attachment.content_type[:100],
            size=attachment.size,
            file=ContentFile(attachment.content, name=stored_as),
        )


SAFE_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def _case_text(parsed: ParsedEmail) -> tuple[str, list]:
    """The message's text for the case, and files to add. A text longer than the case can hold is kept
    up to the limit, and the whole of it as a file beside, so nothing the customer wrote is lost."""
    limit = settings.PUBLIC_TEXT_MAX_LENGTH
    text = TEXT_CONTROL_CHARACTERS.sub("", parsed.full_text).strip() or "(no text; see the attachments)"
    files = list(parsed.attachments)
    if len(text) > limit:
        note = f"\n\n[This message is longer than {limit:,} characters: the whole of it is in {FULL_MESSAGE_FILENAME}.]"
        files.append(InboundAttachment(FULL_MESSAGE_FILENAME, "text/plain", text.encode()))
        text = text[: limit - len(note)].rstrip() + note
    return text, files


def _reject(*, identity: str, raw: bytes, reason: str) -> RejectedEmail:
    sender, subject, _ = best_effort_headers(raw[: settings.INBOUND_REJECTED_KEEP_BYTES])
    return RejectedEmail.objects.create(
        identity=identity,
        reason=reason[:500],
        from_address=sender[:254],
        subject=subject[:250],
        raw=raw[: settings.INBOUND_REJECTED_KEEP_BYTES],
        size=len(raw),
    )


@transaction.atomic(durable=True)
def email_keep_rejected(raw: bytes, *, reason: str) -> RejectedEmail:
    """Keep a message that could not be processed, with the reason; keeping it again changes nothing."""
    identity = message_identity(raw, best_effort_headers(raw[:INBOUND_HEADER_BYTES])[2])
    existing = RejectedEmail.objects.filter(identity=identity).first()
    return existing or _reject(identity=identity, raw=raw, reason=reason)


def already_received(identity: str) -> bool:
    return (
        InboundEmail.objects.filter(identity=identity).exists()
        or RejectedEmail.objects.filter(identity=identity).exists()
    )


def email_ingest(raw: bytes) -> InboundEmail | RejectedEmail:
    """One raw message from the mail server: a reply on its case, a new case, an ignored auto-reply or
    bounce, or a refusal kept with its reason. Reading the same message again changes nothing.

    Raises only when the message could not be stored (the database is down): the caller then tells the
    mail server to try again later."""
    identity = message_identity(raw, best_effort_headers(raw[:INBOUND_HEADER_BYTES])[2])
    try:
        return _email_ingest(raw, identity)
    except IntegrityError as error:
        # The same message read twice at the same moment: the other reading stored it.
        if violated_constraint(error) in IDENTITY_CONSTRAINTS:
            return _duplicate(identity)
        raise


INBOUND_HEADER_BYTES = 256 * 1024
IDENTITY_CONSTRAINTS = {"inbound_email_identity_unique", "rejected_email_identity_unique"}


def _duplicate(identity: str) -> InboundEmail:
    return InboundEmail(identity=identity, outcome=InboundOutcome.DUPLICATE)


@transaction.atomic(durable=True)
def _email_ingest(raw: bytes, identity: str) -> InboundEmail | RejectedEmail:
    if already_received(identity):
        return _duplicate(identity)
    if len(raw) > settings.INBOUND_MESSAGE_MAX_BYTES:
        return _reject(
            identity=identity,
            raw=raw,
            reason=f"larger than {settings.INBOUND_MESSAGE_MAX_BYTES:,} bytes ({len(raw):,}); the start is kept",
        )
    try:
        parsed = parse_email(
            raw,
            attachment_max_bytes=settings.INBOUND_ATTACHMENT_MAX_BYTES,
            trusted_authserv_id=settings.INBOUND_TRUSTED_AUTHSERV_ID,
        )
    except MalformedEmail as error:
        return _reject(identity=identity, raw=raw, reason=str(error))
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
        case = _lock(target.case)
        if not target.verified:
            event = _receive_unverified_message(
                case, text=text, sender=parsed.from_address, reason=target.why_unverified
            )
            record.outcome, record.reason = InboundOutcome.UNVERIFIED, target.why_unverified[:200]
        elif (deadline := customer_reopen_deadline(case)) is not None and deadline < timezone.now():
            target = None  # long closed: the customer's new message is a new complaint
            text = f"(About the earlier case {case.reference}.)\n\n{text}"
        else:
            event = _receive_customer_message(case, text=text, channel=Channel.EMAIL)
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


@transaction.atomic(durable=True)
def rejected_email_open_case(
    *, rejected: RejectedEmail, by, email: str, name: str, subject: str, description: str
) -> Case:
    """Staff read a refused message and open the case it should have been: the customer by the address
    they checked, the raw message attached to the case, and a note saying who did it and why it was refused."""
    if not permissions.can_review_inbound_mail(by):
        raise NotPermitted("Only leads and managers handle refused mail.")
    rejected = RejectedEmail.objects.select_for_update().get(pk=rejected.pk)
    if rejected.case_id is not None:
        raise Conflict(
            f"This message already opened {rejected.case.reference}.", errors={"case": [rejected.case.reference]}
        )
    errors: dict[str, list[str]] = {}
    description = _customer_text(
        description, field="description", max_length=settings.PUBLIC_TEXT_MAX_LENGTH, required=True, errors=errors
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
        channel=Channel.EMAIL,
        subject=subject or subject_from(description),
        description=description,
        intake_match=IntakeMatch.EMAIL if existing is not None else IntakeMatch.NEW_CUSTOMER,
    )
    record_event(case, EventKind.NOTE, by=by, text=f"Opened from an email that was refused ({rejected.reason}).")
    _store_attachments(case, None, [InboundAttachment("original-message.eml", "message/rfc822", bytes(rejected.raw))])
    rejected.case, rejected.converted_by = case, by
    rejected.save(update_fields=["case", "converted_by"])
    return case


def _new_email_case(parsed: ParsedEmail, text: str) -> Case:
    """A message that answers nothing of ours: a new case for the customer with the sender's address."""
    email = parsed.from_address.lower()
    name = (parsed.from_name or email.partition("@")[0])[:200]
    existing = Customer.objects.filter(email=email).first()
    customer = existing or _customer_for_new_email(email, full_name=name)
    verified = not parsed.authentication_failures
    if not verified:
        match = IntakeMatch.UNVERIFIED_SENDER
    else:
        match = IntakeMatch.EMAIL if existing is not None else IntakeMatch.NEW_CUSTOMER
    return case_create(
        customer=customer,
        channel=Channel.EMAIL,
        subject=(parsed.subject or subject_from(text))[:200],
        description=text,
        intake_match=match,
        # A forged sender would have us mail someone who never wrote (backscatter): acknowledge real ones only.
        acknowledge=verified,
    )


# --- Incidents: proactive notices -------------------------------------------------------------

# Outbox rows are written for this many customer ids at a time, one INSERT ... SELECT each, so
# memory stays flat whatever the number of customers and no transaction holds 100,000 rows.
FANOUT_CHUNK = 5000
# Publishing the same update again within this time (double click, retried request) changes nothing.
REPUBLISH_WINDOW = timedelta(minutes=10)
INCIDENT_ROLES = {EscalationLevel.LEAD, EscalationLevel.MANAGER}


def _require_incident_role(user) -> None:
    if not permissions.roles_of(user) & INCIDENT_ROLES:
        raise NotPermitted("Only leads and managers run incidents.")


@transaction.atomic(durable=True)
def incident_declare(
    *,
    by,
    title: str,
    services: list[Service],
    regions: list[str] | None = None,
    description: str = "",
    severity: str = Severity.HIGH,
) -> Incident:
    _require_incident_role(by)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["Give the incident a title customers will understand."]
    if not services:
        errors["services"] = ["Choose at least one affected service."]
    if severity not in Severity.values:
        errors["severity"] = [f"Choose one of {', '.join(Severity.values)}."]
    regions = sorted({r.strip().lower() for r in (regions or []) if r.strip()})
    if errors:
        raise InvalidInput("The incident needs more detail.", errors=errors)
    incident = Incident.objects.create(
        title=title.strip(), description=description, regions=regions, severity=severity, declared_by=by
    )
    incident.services.set(services)
    return incident


@transaction.atomic(durable=True)
def incident_link_case(*, case: Case, incident: Incident | None, by) -> Case:
    """Link a case to an incident (or unlink with None): its customer then hears every update."""
    case = _lock(case)
    # Linking signs the customer up for the incident's emails: a change to the case, not a note.
    _require_change(by, case)
    previous = case.incident_id
    case.incident = incident
    case.save(update_fields=["incident", "updated_at"])
    record_event(case, EventKind.UPDATED, by=by, changes={"incident": [previous, incident.pk if incident else None]})
    return case


@transaction.atomic(durable=True)
def incident_publish_update(
    *,
    incident: Incident,
    by,
    subject: str,
    body: str,
    next_update_by: datetime | None = None,
    is_resolution: bool = False,
) -> IncidentUpdate:
    """Record what customers are told and hand the fan-out to Celery (returns at once)."""
    _require_incident_role(by)
    errors: dict[str, list[str]] = {}
    if not subject.strip() or any(mark in subject for mark in HEADER_BREAKS):
        errors["subject"] = ["Give a one-line subject."]
    if not body.strip():
        errors["body"] = ["Tell customers what is happening."]
    if errors:
        raise InvalidInput("The update needs more detail.", errors=errors)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.status == IncidentStatus.RESOLVED:
        raise Conflict("This incident is resolved; declare a new one.", errors={"status": [incident.status]})
    same = incident.updates.filter(
        subject=subject.strip(), body=body, published_at__gte=timezone.now() - REPUBLISH_WINDOW
    ).first()
    if same is not None:
        return same  # a double click or a retried request: one update, one email per customer
    update = IncidentUpdate.objects.create(
        incident=incident,
        subject=subject.strip(),
        body=body,
        next_update_by=next_update_by,
        is_resolution=is_resolution,
        written_by=by,
    )
    update.email = BulkEmail.objects.create(
        subject=update.subject, body_text=notice_text(update), headers=_notice_headers()
    )
    update.save(update_fields=["email"])
    if is_resolution:
        incident.status, incident.resolved_at = IncidentStatus.RESOLVED, update.published_at
        incident.save(update_fields=["status", "resolved_at"])
    transaction.on_commit(lambda: _enqueue_fan_out(update.pk))
    return update


def _enqueue_fan_out(update_id: int) -> None:
    from complaints.tasks import fan_out_incident_update

    fan_out_incident_update.delay(update_id)


def _earlier_update_unfinished(update: IncidentUpdate) -> bool:
    """Customers get updates in order: update N waits until every email of the earlier ones is settled."""
    earlier = IncidentUpdate.objects.filter(incident_id=update.incident_id, pk__lt=update.pk)  # ids follow publishing
    if earlier.filter(fanned_out_at__isnull=True).exists():
        return True
    batches = [u.batch for u in earlier]
    return OutboundEmail.objects.filter(batch__in=batches, state__in=["pending", "sending"]).exists()


def _notices_link() -> str:
    return f"{settings.GEMDESK_BASE_URL}/notices/{NOTICES_TOKEN_FIELD}/"


def _notice_headers() -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{_notices_link()}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def notice_text(update: IncidentUpdate) -> str:
    """The update's email, rendered once, with merge fields where each customer's salutation and link go."""
    return get_template("complaints/email/incident_update.txt").render(
        {
            "salutation": SALUTATION_FIELD,
            "update": update,
            "base_url": settings.GEMDESK_BASE_URL,
            "unsubscribe_url": _notices_link(),
        }
    )


def incident_preview(*, incident: Incident, subject: str, body: str, next_update_by=None, count: int = 3) -> list:
    """What the first few affected customers would receive, exactly as they will receive it."""
    draft = IncidentUpdate(incident=incident, subject=subject, body=body, next_update_by=next_update_by)
    text = notice_text(draft)
    return [
        (customer, personalise(text, customer))
        for customer in selectors.incident_audience(incident=incident).order_by("pk")[:count]
    ]


def incident_fan_out(*, update_id: int) -> int | None:
    """Write one outbox row per affected customer, chunk by chunk of customer ids, then wake the senders
    (sending meanwhile would slow the writing). Safe to run again: keys are unique, ON CONFLICT DO NOTHING.
    None: an earlier update is still going out."""
    update = IncidentUpdate.objects.select_related("incident", "email").get(pk=update_id)
    if update.fanned_out_at is not None:
        return update.recipients
    if _earlier_update_unfinished(update):
        return None
    audience = selectors.incident_audience(incident=update.incident)
    bounds = audience.aggregate(first=Min("pk"), last=Max("pk"))
    if bounds["first"] is not None:
        for low in range(bounds["first"], bounds["last"] + 1, FANOUT_CHUNK):
            with transaction.atomic():
                insert_bulk_emails(
                    bulk=update.email,
                    customers=audience.filter(pk__gte=low, pk__lt=low + FANOUT_CHUNK),
                    key_prefix=f"incident-update:{update.pk}:customer:",
                    batch=update.batch,
                )
    recipients = OutboundEmail.objects.filter(batch=update.batch).count()
    with transaction.atomic():
        claimed = IncidentUpdate.objects.filter(pk=update.pk, fanned_out_at__isnull=True).update(
            fanned_out_at=timezone.now(), recipients=recipients
        )
        if claimed and update.is_resolution:
            _tell_linked_case_owners(update)
    enqueue_batch(update.batch)  # if this run dies first, the sweeper finds the pending rows
    return recipients


def _tell_linked_case_owners(update: IncidentUpdate) -> None:
    for case in Case.objects.filter(incident=update.incident, owner__isnull=False).select_related("owner"):
        _email_staff(
            case.owner,
            key=f"incident-update:{update.pk}:owner-of:{case.pk}",
            template="incident_resolved",
            subject=f"[{case.reference}] Incident resolved: {update.incident.title}",
            case=case,
            update=update,
        )


def incident_updates_to_restart(*, now: datetime | None = None) -> list[int]:
    """Fan-outs whose task the broker lost (published a while ago, never finished)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_STALE_PENDING_SECONDS)
    return list(
        IncidentUpdate.objects.filter(fanned_out_at__isnull=True, published_at__lt=stale).values_list("pk", flat=True)[
            :100
        ]
    )


@transaction.atomic(durable=True)
def incident_retry_failed(*, update: IncidentUpdate, by) -> int:
    """Give failed emails of an update another round of attempts."""
    _require_incident_role(by)
    ids = list(OutboundEmail.objects.filter(batch=update.batch, state="failed").values_list("pk", flat=True))
    OutboundEmail.objects.filter(pk__in=ids).update(state="pending", attempts=0, next_attempt_at=timezone.now())
    transaction.on_commit(lambda: enqueue_send(ids))
    return len(ids)
