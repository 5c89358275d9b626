"""Closing the loop with the customer: a case is resolved (never with a promise left open; the customer
is emailed what we did and how to rate it or reopen it), reopened by staff or by the customer within
CUSTOMER_REOPEN_DAYS (back to its owner, who is told and must answer by a promised time), and closed
by beat after CASE_AUTO_CLOSE_AFTER_HOURS."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from complaints import emails, events, permissions
from complaints.models import ActorKind, Case, CaseAction, CaseStatus, EventKind, RootCause, statuses_allowing
from complaints.promises.selectors import reply_due
from complaints.promises.services import REOPENED_REPLY_TEXT, promise_reply, promises_follow_owner
from complaints.validation import require_reason, require_text
from crm.exceptions import Conflict, InvalidInput, NotPermitted
from crm.names import staff_display_name
from crm.permissions import StaffUser
from crm.times import absolute

# A beat run closes at most this many cases; the next run takes the rest.
BEAT_BATCH = 500


@transaction.atomic(durable=True)
def case_resolve(*, case: Case, by: StaffUser, resolution_summary: str, root_cause: str) -> Case:
    summary = require_text(resolution_summary, field="resolution_summary")
    if root_cause not in RootCause.values:
        raise InvalidInput(
            "A root cause is required.", errors={"root_cause": [f"Choose one of {', '.join(RootCause.values)}."]}
        )
    case = Case.objects.for_update().get(pk=case.pk)
    permissions.require_change(by, case)
    case.require(CaseAction.RESOLVE)
    open_promises = list(case.promises.open().order_by("due_at", "pk"))
    if open_promises:
        # Promises are not forgotten: each is kept, rescheduled, withdrawn or broken (the customer told) first.
        listed = [f"{p.text} (due {absolute(p.due_at)})" for p in open_promises]
        raise Conflict(
            f"Settle the open promises first (keep, reschedule, withdraw or break each): {'; '.join(listed)}.",
            errors={"promises": listed},
        )
    before = case.move_to(CaseStatus.RESOLVED, action=CaseAction.RESOLVE)
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
    event = events.case_resolved(case, by=by, from_status=before, at=now)
    emails.email_customer(
        case,
        key=emails.resolved_key(case, event),
        template="cases/email/resolved",
        subject=f"Resolved: {case.subject}",
        resolver_name=staff_display_name(by),
        owner_name=staff_display_name(case.owner) if case.owner else "",
        reopen_until=now + timedelta(days=settings.CUSTOMER_REOPEN_DAYS),
    )
    return case


def customer_reopen_deadline(case: Case) -> datetime | None:
    """Until when the customer may reopen a resolved case themselves (None: it is not resolved)."""
    if not case.can(CaseAction.REOPEN) or case.resolved_at is None:
        return None
    return case.resolved_at + timedelta(days=settings.CUSTOMER_REOPEN_DAYS)


def reopen_window_closed(case: Case) -> Conflict:
    return Conflict(
        f"This case was resolved more than {settings.CUSTOMER_REOPEN_DAYS} days ago; please tell us about "
        "it as a new complaint and mention this reference.",
        errors={"status": [case.status]},
    )


@transaction.atomic(durable=True)
def case_reopen(*, case: Case, by: StaffUser | None, reason: str, actor_kind: str = ActorKind.STAFF) -> Case:
    """Back to the same owner, by staff or by the customer (within CUSTOMER_REOPEN_DAYS).
    If the owner has left, to their team lead, recorded."""
    reason = require_reason(reason)
    case = Case.objects.for_update().get(pk=case.pk)
    if actor_kind == ActorKind.STAFF:
        if by is None:
            raise NotPermitted(permissions.CHANGE_RULE)
        permissions.require_change(by, case)
    elif (deadline := customer_reopen_deadline(case)) is not None and deadline < timezone.now():
        raise reopen_window_closed(case)
    reopen_locked(case, by=by if actor_kind == ActorKind.STAFF else None, actor_kind=actor_kind, reason=reason)
    return case


def reopen_locked(case: Case, *, by: StaffUser | None, actor_kind: str, reason: str) -> None:
    """Move a locked, resolved or closed case back to its owner; to their lead if they left, or to the
    queue (NEW) if there is none. Also used when a customer writes to a resolved case."""
    case.require(CaseAction.REOPEN)
    owner = case.owner
    previous_owner = None
    if owner is not None and not owner.is_active:
        lead = permissions.lead_of(owner)
        case.owner = lead if lead is not None and lead.is_active else None
        previous_owner = owner
    before = case.move_to(CaseStatus.OPEN if case.owner is not None else CaseStatus.NEW, action=CaseAction.REOPEN)
    case.resolved_at = None
    case.closed_at = None
    case.resolved_on_first_contact = None
    case.save(update_fields=["status", "owner", "resolved_at", "closed_at", "resolved_on_first_contact", "updated_at"])
    if previous_owner is not None:
        promises_follow_owner(case)
    event = events.case_reopened(
        case, by=by, actor_kind=actor_kind, from_status=before, reason=reason, previous_owner=previous_owner
    )
    if actor_kind == ActorKind.CUSTOMER:
        # The customer is told who answers and by when, and that person is told at once.
        answer_by = reply_due(timezone.now())
        promise_reply(case, by=None, text=REOPENED_REPLY_TEXT, due_at=answer_by)
        emails.email_owner(
            case,
            key=emails.reopened_key(case, event),
            template="intake/email/reopened",
            subject=f"[{case.reference}] The customer reopened the case",
            reason=reason,
            answer_by=answer_by,
        )


def cases_close_resolved(*, now: datetime | None = None) -> int:
    """Close cases resolved longer ago than CASE_AUTO_CLOSE_AFTER_HOURS, unless reopened."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CASE_AUTO_CLOSE_AFTER_HOURS)
    closed = 0
    closable = statuses_allowing(CaseAction.CLOSE)
    ids = list(
        Case.objects.filter(status__in=closable, resolved_at__lte=cutoff).values_list("pk", flat=True)[:BEAT_BATCH]
    )
    for case_id in ids:
        with transaction.atomic():
            # Compare-and-swap: a case reopened meanwhile is not closed.
            if not Case.objects.filter(pk=case_id, status__in=closable).update(
                status=CaseStatus.CLOSED, closed_at=now, updated_at=now
            ):
                continue
            events.case_closed(case_id, at=now)
            closed += 1
    return closed
