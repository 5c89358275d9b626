"""Promises: made with a due time, kept, rescheduled before they are broken (the customer told the
reason and the new date at once), warned about, and marked broken by beat when left past due."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from complaints import emails, events, permissions
from complaints.models import Case, CaseAction, Promise, PromiseStatus
from complaints.validation import require_future, require_reason, require_text
from crm.exceptions import Conflict
from crm.names import staff_display_name
from crm.permissions import StaffUser

# A beat run handles at most this many promises; the next run (a minute later) takes the rest.
BEAT_BATCH = 500


def warning_time(*, made_at: datetime, due_at: datetime) -> datetime:
    """When the owner is warned: the later of N hours before due and F of the way from making to due."""
    hours_before = due_at - timedelta(hours=settings.PROMISE_WARNING_HOURS)
    fraction_through = made_at + (due_at - made_at) * settings.PROMISE_WARNING_FRACTION
    return max(hours_before, fraction_through)


def refresh_next_promise_due(case_id: int) -> None:
    """Keep Case.next_promise_due_at equal to the earliest open promise (call after any promise change)."""
    earliest = Promise.objects.filter(case_id=case_id).open().aggregate(due=Min("due_at"))["due"]
    Case.objects.filter(pk=case_id).update(next_promise_due_at=earliest)


def _new_promise(
    case: Case, *, by: StaffUser, text: str, due_at: datetime, replaces: Promise | None = None, reason: str = ""
) -> Promise:
    now = timezone.now()
    return Promise.objects.create(
        case=case,
        text=text,
        due_at=due_at,
        made_at=now,
        made_by=by,
        replaces=replaces,
        reschedule_reason=reason,
        warn_at=warning_time(made_at=now, due_at=due_at),
    )


@transaction.atomic(durable=True)
def promise_make(*, case: Case, by: StaffUser, text: str, due_at: datetime) -> Promise:
    text = require_text(text, field="text")
    require_future(due_at)
    case = Case.objects.for_update().get(pk=case.pk)
    permissions.require_change(by, case)
    case.require(CaseAction.PROMISE)
    promise = _new_promise(case, by=by, text=text, due_at=due_at)
    refresh_next_promise_due(case.pk)
    events.promise_made(promise, by=by)
    return promise


def _lock_open_promise(promise: Promise, *, action: str, settle_as: str) -> Promise:
    promise = (
        Promise.objects.select_for_update(of=("self",))
        .select_related("case__owner", "case__customer")
        .get(pk=promise.pk)
    )
    if not promise.can_move_to(settle_as):
        raise Conflict(
            f"Cannot {action}: the promise is already {promise.status}.", errors={"status": [promise.status]}
        )
    return promise


@transaction.atomic(durable=True)
def promise_keep(*, promise: Promise, by: StaffUser) -> Promise:
    promise = _lock_open_promise(promise, action="keep it", settle_as=PromiseStatus.KEPT)
    permissions.require_change(by, promise.case)
    now = timezone.now()
    promise.status, promise.settled_at = PromiseStatus.KEPT, now
    promise.save(update_fields=["status", "settled_at"])
    refresh_next_promise_due(promise.case_id)
    events.promise_kept(promise, by=by, at=now)
    return promise


@transaction.atomic(durable=True)
def promise_reschedule(*, promise: Promise, by: StaffUser, due_at: datetime, reason: str) -> Promise:
    """Move a promise before it is broken, telling the customer the reason and the new date at once."""
    reason = require_reason(reason)
    require_future(due_at)
    promise = _lock_open_promise(promise, action="reschedule it", settle_as=PromiseStatus.RESCHEDULED)
    permissions.require_change(by, promise.case)
    now = timezone.now()
    if promise.due_at <= now:
        raise Conflict("This promise is already past due: it can no longer be rescheduled.", errors={"due_at": []})
    promise.status, promise.settled_at = PromiseStatus.RESCHEDULED, now
    promise.save(update_fields=["status", "settled_at"])
    successor = _new_promise(promise.case, by=by, text=promise.text, due_at=due_at, replaces=promise, reason=reason)
    refresh_next_promise_due(promise.case_id)
    events.promise_rescheduled(promise, successor=successor, by=by, at=now)
    emails.email_customer(
        promise.case,
        key=emails.promise_slip_key(promise),
        template="promises/email/slip",
        subject="A new date for what we promised",
        promise=successor,
        old_due_at=promise.due_at,
        reason=reason,
        owner_name=staff_display_name(by),
    )
    return successor


# --- Beat ---------------------------------------------------------------------------------------------------


def promises_warn_due(*, now: datetime | None = None) -> int:
    """Tell owners about open promises entering their warning window. Once per promise."""
    now = now or timezone.now()
    warned = 0
    due_ids = list(Promise.objects.to_warn(now).values_list("pk", flat=True)[:BEAT_BATCH])
    for promise_id in due_ids:
        with transaction.atomic():
            # Claim by compare-and-swap: two beat runs never warn twice.
            if not Promise.objects.filter(pk=promise_id, warned_at__isnull=True).update(warned_at=now):
                continue
            promise = Promise.objects.select_related("case__owner", "case__customer").get(pk=promise_id)
            events.promise_warned(promise, at=now)
            if promise.case.owner is not None:
                emails.email_staff(
                    promise.case.owner,
                    key=emails.promise_warning_key(promise),
                    template="promises/email/warning",
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
    overdue_ids = list(Promise.objects.overdue(now).values_list("pk", flat=True)[:BEAT_BATCH])
    for promise_id in overdue_ids:
        with transaction.atomic():
            # Compare-and-swap on the open status: a promise kept meanwhile is not broken.
            if not Promise.objects.filter(pk=promise_id).open().update(status=PromiseStatus.BROKEN, settled_at=now):
                continue
            promise = Promise.objects.select_related("case__owner__staff_profile__team__lead").get(pk=promise_id)
            refresh_next_promise_due(promise.case_id)
            events.promise_broken(promise, at=now)
            owner = promise.case.owner
            lead = permissions.lead_of(owner)
            if lead is not None:
                emails.email_staff(
                    lead,
                    key=emails.promise_broken_key(promise),
                    template="promises/email/broken",
                    subject=f"[{promise.case.reference}] A promise was broken",
                    promise=promise,
                    case=promise.case,
                    owner_name=staff_display_name(owner),
                )
            broken += 1
    return broken
