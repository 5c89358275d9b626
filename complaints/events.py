"""The case history: one constructor per kind of event, the only code that writes CaseEvent.

Call inside the transaction that changes the case. Each payload has a fixed shape (the
timeline template and the figures read these keys), written with the values as the customer
and staff will read them later: usernames, statuses, ISO times.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.utils import timezone

from complaints.models import ActorKind, Case, CaseEvent, CaseStatus, EventKind, Promise
from crm.permissions import StaffUser

# The events of one step recorded together (recorded_together): written in one INSERT as it ends.
_together: ContextVar[list[CaseEvent] | None] = ContextVar("events_recorded_together", default=None)


def _record(
    case: Case, kind: str, *, by: StaffUser | None = None, actor_kind: str = "", at: datetime | None = None, **data: Any
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        kind=kind,
        actor=by,
        actor_kind=actor_kind or (ActorKind.STAFF if by is not None else ActorKind.SYSTEM),
        created_at=at or timezone.now(),
        data=data,
    )
    together = _together.get()
    if together is None:
        event.save()
    else:
        together.append(event)
    return event


@contextmanager
def recorded_together() -> Iterator[None]:
    """The events recorded inside are written in one INSERT when the block ends (a new case's first
    events: one statement instead of one each). Nothing inside may read them back or use their ids."""
    events: list[CaseEvent] = []
    token = _together.set(events)
    try:
        yield
    finally:
        _together.reset(token)
    CaseEvent.objects.bulk_create(events)


def _username(user: StaffUser | None) -> str | None:
    return user.username if user is not None else None


# --- Opening and owning ------------------------------------------------------------------------


def case_created(case: Case, *, by: StaffUser | None, at: datetime) -> CaseEvent:
    """Staff logged it (`by`), or the customer opened it by form, API or email."""
    actor_kind = ActorKind.STAFF if by is not None else ActorKind.CUSTOMER
    return _record(
        case,
        EventKind.CREATED,
        by=by,
        actor_kind=actor_kind,
        at=at,
        channel=case.channel,
        owner=_username(by),
        to_status=case.status,
    )


def call_logged(case: Case, *, by: StaffUser, at: datetime) -> CaseEvent:
    return _record(case, EventKind.CALL_LOGGED, by=by, at=at, channel=case.channel, text=case.description)


def case_taken(case: Case, *, by: StaffUser, from_status: str) -> CaseEvent:
    return _record(case, EventKind.TAKEN, by=by, from_status=from_status, to_status=case.status)


def case_assigned(case: Case, *, by: StaffUser, from_status: str) -> CaseEvent:
    """A lead or manager gave a queue case its first owner (`by` is who assigned it)."""
    return _record(
        case, EventKind.ASSIGNED, by=by, to_owner=_username(case.owner), from_status=from_status, to_status=case.status
    )


def case_handed_over(case: Case, *, by: StaffUser, from_owner: StaffUser, reason: str) -> CaseEvent:
    return _record(
        case,
        EventKind.HANDED_OVER,
        by=by,
        from_owner=from_owner.username,
        to_owner=_username(case.owner),
        reason=reason,
    )


def case_escalated(case: Case, *, by: StaffUser, to: StaffUser, level: str, reason: str) -> CaseEvent:
    return _record(case, EventKind.ESCALATED, by=by, to=to.username, level=level, reason=reason)


def manager_requested(case: Case, *, to: StaffUser | None, level: str, reason: str) -> CaseEvent:
    """The customer asked for a manager (status page): an escalation by the customer."""
    return _record(
        case,
        EventKind.ESCALATED,
        actor_kind=ActorKind.CUSTOMER,
        requested_by="customer",
        to=_username(to),
        level=level,
        reason=reason,
    )


def case_updated(case: Case, *, by: StaffUser, changes: dict[str, list[str | int | None]]) -> CaseEvent:
    """Fields edited, each as [before, after]."""
    return _record(case, EventKind.UPDATED, by=by, changes=changes)


def incident_linked(case: Case, *, by: StaffUser, previous: int | None, incident: int | None) -> CaseEvent:
    """The case joined an incident (or left one): recorded as an edit of the case's incident field."""
    return case_updated(case, by=by, changes={"incident": [previous, incident]})


# --- Talking ----------------------------------------------------------------------------------------


def note_added(case: Case, *, by: StaffUser | None, text: str, at: datetime | None = None) -> CaseEvent:
    """An internal note; `by=None` for what the system itself notes (an acknowledgement held back)."""
    return _record(case, EventKind.NOTE, by=by, at=at, text=text)


def message_sent(case: Case, *, by: StaffUser, text: str, at: datetime) -> CaseEvent:
    return _record(case, EventKind.MESSAGE_OUT, by=by, at=at, text=text)


def message_received(
    case: Case, *, text: str, channel: str, at: datetime, logged_by: StaffUser | None = None
) -> CaseEvent:
    """The customer's words; `logged_by` when an agent took them down from a call, letter or visit."""
    extra: dict[str, Any] = {"logged_by": logged_by.username} if logged_by is not None else {}
    return _record(
        case, EventKind.MESSAGE_IN, actor_kind=ActorKind.CUSTOMER, at=at, text=text, channel=channel, **extra
    )


def unverified_message_received(case: Case, *, text: str, sender: str, reason: str, channel: str) -> CaseEvent:
    return _record(case, EventKind.MESSAGE_IN_UNVERIFIED, text=text, sender=sender, reason=reason, channel=channel)


def status_changed(
    case: Case, *, by: StaffUser | None, actor_kind: str = "", from_status: str, at: datetime
) -> CaseEvent:
    return _record(
        case,
        EventKind.STATUS_CHANGED,
        by=by,
        actor_kind=actor_kind,
        at=at,
        from_status=from_status,
        to_status=case.status,
    )


# --- Promises ---------------------------------------------------------------------------------------


def promise_made(promise: Promise, *, by: StaffUser | None) -> CaseEvent:
    """Made by staff, or (`by=None`) by the system: the reply every new complaint is promised."""
    return _record(
        promise.case,
        EventKind.PROMISE_MADE,
        by=by,
        promise=promise.pk,
        text=promise.text,
        due_at=promise.due_at.isoformat(),
        promise_kind=promise.kind,
    )


def promise_kept(promise: Promise, *, by: StaffUser, at: datetime) -> CaseEvent:
    return _record(promise.case, EventKind.PROMISE_KEPT, by=by, at=at, promise=promise.pk, on_time=at <= promise.due_at)


def promise_rescheduled(promise: Promise, *, successor: Promise, by: StaffUser, at: datetime) -> CaseEvent:
    return _record(
        promise.case,
        EventKind.PROMISE_RESCHEDULED,
        by=by,
        at=at,
        promise=promise.pk,
        new_promise=successor.pk,
        old_due_at=promise.due_at.isoformat(),
        due_at=successor.due_at.isoformat(),
        reason=successor.reason,
    )


def promise_warned(promise: Promise, *, at: datetime) -> CaseEvent:
    return _record(promise.case, EventKind.PROMISE_WARNED, at=at, promise=promise.pk, due_at=promise.due_at.isoformat())


def promise_overdue(promise: Promise, *, at: datetime) -> CaseEvent:
    """Found past due and still open by beat: it stays open until kept late or broken."""
    return _record(
        promise.case, EventKind.PROMISE_OVERDUE, at=at, promise=promise.pk, due_at=promise.due_at.isoformat()
    )


def promise_broken(promise: Promise, *, by: StaffUser, at: datetime) -> CaseEvent:
    """Its owner said we cannot keep it, and the customer was told why."""
    return _record(
        promise.case,
        EventKind.PROMISE_BROKEN,
        by=by,
        at=at,
        promise=promise.pk,
        due_at=promise.due_at.isoformat(),
        reason=promise.reason,
    )


def promise_withdrawn(promise: Promise, *, by: StaffUser, at: datetime) -> CaseEvent:
    return _record(
        promise.case,
        EventKind.PROMISE_WITHDRAWN,
        by=by,
        at=at,
        promise=promise.pk,
        due_at=promise.due_at.isoformat(),
        reason=promise.reason,
    )


# --- Resolution --------------------------------------------------------------------------------------


def case_resolved(case: Case, *, by: StaffUser, from_status: str, at: datetime) -> CaseEvent:
    return _record(
        case,
        EventKind.RESOLVED,
        by=by,
        at=at,
        from_status=from_status,
        to_status=case.status,
        root_cause=case.root_cause,
        resolution_summary=case.resolution_summary,
        first_contact=case.resolved_on_first_contact,
    )


def case_reopened(
    case: Case,
    *,
    by: StaffUser | None,
    actor_kind: str,
    from_status: str,
    reason: str,
    previous_owner: StaffUser | None = None,
) -> CaseEvent:
    """Back to its owner; `previous_owner` when the owner had left and the case went to their lead (or the queue)."""
    data: dict[str, Any] = {"from_status": from_status, "to_status": case.status, "reason": reason}
    if previous_owner is not None:
        data.update(
            previous_owner=previous_owner.username,
            owner=_username(case.owner),
            owner_change="previous owner is no longer active",
        )
    return _record(case, EventKind.REOPENED, by=by, actor_kind=actor_kind, **data)


def case_closed(case_id: int, *, at: datetime) -> CaseEvent:
    """Closed by the beat job after CASE_AUTO_CLOSE_AFTER_HOURS (claimed by compare-and-swap, so by id)."""
    return _record(
        Case(pk=case_id), EventKind.CLOSED, at=at, from_status=CaseStatus.RESOLVED, to_status=CaseStatus.CLOSED
    )


def case_rated(case: Case, *, score: int, comment: str) -> CaseEvent:
    return _record(case, EventKind.RATED, actor_kind=ActorKind.CUSTOMER, score=score, comment=comment)


def personal_data_erased(case: Case, *, by: StaffUser, reason: str) -> CaseEvent:
    """The customer's personal data on this case was erased at their request: who, when, why."""
    return _record(case, EventKind.PERSONAL_DATA_ERASED, by=by, reason=reason)
