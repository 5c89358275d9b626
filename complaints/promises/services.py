"""Promises: made with a due time (the customer told what and by when), kept, rescheduled before they
are broken (the customer told the reason and the new date at once), withdrawn with a reason, or broken
and the customer told. None is forgotten: beat warns the owner before one is due and flags it overdue
after (its lead told); an overdue promise stays open until its owner keeps it late or breaks it, and a
case with an open promise cannot be resolved.

The system makes promises too: every new complaint is promised a first reply, a reopened case an
answer, a customer who asked for a manager that manager's reply. Each is kept by the first message to
the customer from whoever it binds."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from complaints import emails, events, permissions
from complaints.models import Case, CaseAction, Promise, PromiseKind, PromiseStatus
from complaints.validation import require_future, require_reason, require_text
from crm.exceptions import Conflict
from crm.names import staff_display_name
from crm.permissions import StaffUser

# A beat run handles at most this many promises; the next run (a minute later) takes the rest.
BEAT_BATCH = 500
FIRST_REPLY_TEXT = "Our first reply to your complaint"
REOPENED_REPLY_TEXT = "Our reply about your reopened case"


def warning_time(*, made_at: datetime, due_at: datetime) -> datetime:
    """When the owner is warned: the later of N hours before due and F of the way from making to due."""
    hours_before = due_at - timedelta(hours=settings.PROMISE_WARNING_HOURS)
    fraction_through = made_at + (due_at - made_at) * settings.PROMISE_WARNING_FRACTION
    return max(hours_before, fraction_through)


def refresh_next_promise_due(case_id: int) -> None:
    """Keep Case.next_promise_due_at equal to the earliest open promise (call after any promise change)."""
    earliest = Promise.objects.filter(case_id=case_id).open().aggregate(due=Min("due_at"))["due"]
    Case.objects.filter(pk=case_id).update(next_promise_due_at=earliest)


def promises_follow_owner(case: Case) -> None:
    """A case's promises go with it to its new owner (call inside the step that changes the owner)."""
    Promise.objects.filter(case_id=case.pk).update(owner_id=case.owner_id)


def _new_promise(
    case: Case,
    *,
    by: StaffUser | None,
    text: str,
    due_at: datetime,
    kind: str = PromiseKind.COMMITMENT,
    replaces: Promise | None = None,
    reason: str = "",
) -> Promise:
    now = timezone.now()
    return Promise.objects.create(
        case=case,
        owner_id=case.owner_id,
        text=text,
        due_at=due_at,
        made_at=now,
        made_by=by,
        kind=kind,
        replaces=replaces,
        reason=reason,
        warn_at=warning_time(made_at=now, due_at=due_at),
    )


def promise_reply(
    case: Case, *, by: StaffUser | None, text: str, due_at: datetime, first_of_new_case: bool = False
) -> Promise:
    """A reply promised to the customer (inside the caller's transaction): by the system (`by=None`) or the
    senior person the customer asked for. Kept by that person's, or anyone's for the system's, next message.
    `first_of_new_case`: the case was just created with next_promise_due_at = due_at (two statements saved
    on every complaint)."""
    promise = _new_promise(case, by=by, text=text, due_at=due_at, kind=PromiseKind.REPLY)
    if not first_of_new_case:
        refresh_next_promise_due(case.pk)
    events.promise_made(promise, by=by)
    return promise


def keep_reply_promises(case: Case, *, by: StaffUser, at: datetime) -> None:
    """A message to the customer keeps the open reply promises it answers (inside the caller's transaction)."""
    answered = Promise.objects.filter(case=case, kind=PromiseKind.REPLY).open()
    for promise in answered.select_for_update():
        if promise.made_by_id is None or promise.made_by_id == by.pk:
            promise.status, promise.settled_at = PromiseStatus.KEPT, at
            promise.save(update_fields=["status", "settled_at"])
            events.promise_kept(promise, by=by, at=at)
    refresh_next_promise_due(case.pk)


@transaction.atomic(durable=True)
def promise_make(*, case: Case, by: StaffUser, text: str, due_at: datetime, tell_customer: bool = True) -> Promise:
    """A commitment to the customer with a due time; unless asked not to, the customer is emailed what and when."""
    text = require_text(text, field="text")
    require_future(due_at)
    case = Case.objects.for_update().get(pk=case.pk)
    permissions.require_talk_to_customer(by, case)
    case.require(CaseAction.PROMISE)
    promise = _new_promise(case, by=by, text=text, due_at=due_at)
    refresh_next_promise_due(case.pk)
    events.promise_made(promise, by=by)
    if tell_customer:
        emails.email_customer(
            case,
            key=emails.promise_made_key(promise),
            template="promises/email/made",
            subject="What we have promised you",
            promise=promise,
            owner_name=staff_display_name(by),
        )
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
    """Kept: on time, or late (an overdue promise kept late counts as late, never as on time)."""
    promise = _lock_open_promise(promise, action="keep it", settle_as=PromiseStatus.KEPT)
    permissions.require_settle(by, promise)
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
    permissions.require_settle(by, promise)
    now = timezone.now()
    if promise.due_at <= now:
        raise Conflict(
            "This promise is already past due: keep it late, or break it and tell the customer.", errors={"due_at": []}
        )
    promise.status, promise.settled_at = PromiseStatus.RESCHEDULED, now
    promise.save(update_fields=["status", "settled_at"])
    successor = _new_promise(
        promise.case, by=by, text=promise.text, due_at=due_at, kind=promise.kind, replaces=promise, reason=reason
    )
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


def _settle_and_tell(promise: Promise, *, by: StaffUser, reason: str, status: str, action: str) -> Promise:
    reason = require_reason(reason)
    promise = _lock_open_promise(promise, action=action, settle_as=status)
    permissions.require_settle(by, promise)
    now = timezone.now()
    promise.status, promise.settled_at, promise.reason = status, now, reason
    promise.save(update_fields=["status", "settled_at", "reason"])
    refresh_next_promise_due(promise.case_id)
    withdrawn = status == PromiseStatus.WITHDRAWN
    (events.promise_withdrawn if withdrawn else events.promise_broken)(promise, by=by, at=now)
    emails.email_customer(
        promise.case,
        key=(emails.promise_withdrawn_key if withdrawn else emails.promise_broken_key)(promise),
        template=f"promises/email/{'withdrawn' if withdrawn else 'broken'}",
        subject="About what we promised you",
        promise=promise,
        reason=reason,
        owner_name=staff_display_name(by),
    )
    return promise


@transaction.atomic(durable=True)
def promise_withdraw(*, promise: Promise, by: StaffUser, reason: str) -> Promise:
    """No longer needed (the customer withdrew the request, it was overtaken): the customer is told why."""
    return _settle_and_tell(promise, by=by, reason=reason, status=PromiseStatus.WITHDRAWN, action="withdraw it")


@transaction.atomic(durable=True)
def promise_break(*, promise: Promise, by: StaffUser, reason: str) -> Promise:
    """We cannot keep it: said plainly to the customer, with the reason, and counted as broken."""
    return _settle_and_tell(promise, by=by, reason=reason, status=PromiseStatus.BROKEN, action="break it")


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


def promises_flag_overdue(*, now: datetime | None = None) -> int:
    """Flag open promises past due, once each, and tell the owner's lead. They stay open: the owner keeps
    them late or breaks them and tells the customer (and until then the case cannot be resolved)."""
    now = now or timezone.now()
    flagged = 0
    overdue_ids = list(Promise.objects.to_flag_overdue(now).values_list("pk", flat=True)[:BEAT_BATCH])
    for promise_id in overdue_ids:
        with transaction.atomic():
            # Compare-and-swap: a promise kept meanwhile, or flagged by another run, is left alone.
            if not Promise.objects.filter(pk=promise_id, overdue_at__isnull=True).open().update(overdue_at=now):
                continue
            promise = Promise.objects.select_related("case__owner__staff_profile__team__lead").get(pk=promise_id)
            events.promise_overdue(promise, at=now)
            owner = promise.case.owner
            lead = permissions.lead_of(owner)
            if lead is not None:
                emails.email_staff(
                    lead,
                    key=emails.promise_overdue_key(promise),
                    template="promises/email/overdue",
                    subject=f"[{promise.case.reference}] A promise is overdue",
                    promise=promise,
                    case=promise.case,
                    owner_name=staff_display_name(owner),
                )
            flagged += 1
    return flagged
