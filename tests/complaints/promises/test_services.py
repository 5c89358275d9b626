"""Promises: due times, the warning window, keeping, rescheduling with a slip notice, breaking."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import tasks
from complaints.cases import services as case_services
from complaints.models import CaseEvent, EventKind, Promise, PromiseStatus
from complaints.promises import services as promise_services
from complaints.promises.selectors import promise_outcomes
from crm.exceptions import Conflict, InvalidInput
from crm.models import OutboundEmail
from tests.complaints.factories import make_case

pytestmark = pytest.mark.django_db


def promise_for(case, by, *, hours=48):
    return promise_services.promise_make(
        case=case, by=by, text="Engineer visit", due_at=timezone.now() + timedelta(hours=hours)
    )


def test_promises_in_the_past_or_without_offset_are_refused(alice):
    case = make_case(by=alice)
    with pytest.raises(InvalidInput) as past:
        promise_services.promise_make(case=case, by=alice, text="x", due_at=timezone.now() - timedelta(minutes=1))
    assert "due_at" in past.value.errors
    with pytest.raises(InvalidInput) as naive:
        promise_services.promise_make(case=case, by=alice, text="x", due_at=timezone.now().replace(tzinfo=None))
    assert "due_at" in naive.value.errors


def test_warning_time_is_the_later_of_two_hours_before_or_eighty_percent_through():
    made = timezone.now()
    # Long promise: 2 h before due is later than 80 % of 10 days.
    assert promise_services.warning_time(made_at=made, due_at=made + timedelta(days=10)) == (
        made + timedelta(days=10) - timedelta(hours=2)
    )
    # Short promise: 80 % of 5 h (4 h) is later than 2 h before due (3 h).
    assert promise_services.warning_time(made_at=made, due_at=made + timedelta(hours=5)) == made + timedelta(hours=4)


def test_the_case_knows_its_next_promise_due(alice):
    case = make_case(by=alice)
    later = promise_for(case, alice, hours=72)
    sooner = promise_for(case, alice, hours=24)
    case.refresh_from_db()
    assert case.next_promise_due_at == sooner.due_at
    promise_services.promise_keep(promise=sooner, by=alice)
    case.refresh_from_db()
    assert case.next_promise_due_at == later.due_at


def test_keep_on_time_is_counted(alice):
    promise = promise_services.promise_keep(promise=promise_for(make_case(by=alice), alice), by=alice)
    assert promise.status == PromiseStatus.KEPT
    assert CaseEvent.objects.get(kind=EventKind.PROMISE_KEPT).data["on_time"] is True
    assert promise_outcomes(Promise.objects.filter(made_by=alice))["kept_on_time"] == 1


def test_reschedule_before_due_tells_the_customer_the_reason_and_new_date_at_once(alice):
    case = make_case(by=alice)
    old = promise_for(case, alice)
    new_due = timezone.now() + timedelta(days=5)
    successor = promise_services.promise_reschedule(promise=old, by=alice, due_at=new_due, reason="The part is late")
    old.refresh_from_db()
    assert (old.status, successor.replaces, successor.status) == (PromiseStatus.RESCHEDULED, old, PromiseStatus.OPEN)
    slip = OutboundEmail.objects.get(key=f"promise:{old.pk}:slip")
    assert "The part is late" in slip.body_text and slip.to_email == case.customer.email
    assert slip.body_text.startswith(case.customer.salutation)
    assert promise_outcomes(Promise.objects.filter(made_by=alice))["rescheduled_before_due"] == 1


def test_reschedule_after_due_is_a_conflict(alice):
    promise = promise_for(make_case(by=alice), alice)
    Promise.objects.filter(pk=promise.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict):
        promise_services.promise_reschedule(
            promise=promise, by=alice, due_at=timezone.now() + timedelta(days=1), reason="too late"
        )


def test_beat_warns_once_inside_the_window_only(alice):
    case = make_case(by=alice)
    soon = promise_for(case, alice, hours=1)
    later = promise_for(case, alice, hours=72)
    Promise.objects.filter(pk=soon.pk).update(warn_at=timezone.now() - timedelta(seconds=1))  # the window opened
    assert tasks.check_promises() == {"warned": 1, "overdue": 0}
    assert tasks.check_promises() == {"warned": 0, "overdue": 0}
    assert OutboundEmail.objects.filter(key=f"promise:{soon.pk}:warning", to_email=alice.email).count() == 1
    assert not OutboundEmail.objects.filter(key=f"promise:{later.pk}:warning").exists()
    assert CaseEvent.objects.filter(kind=EventKind.PROMISE_WARNED).count() == 1


def test_beat_flags_an_overdue_promise_once_tells_the_lead_and_keeps_it_open(alice, lena):
    promise = promise_for(make_case(by=alice), alice)
    Promise.objects.filter(pk=promise.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert tasks.check_promises()["overdue"] == 1
    assert tasks.check_promises()["overdue"] == 0
    promise.refresh_from_db()
    # Not silently broken: it waits for the owner to keep it late or break it and tell the customer.
    assert promise.status == PromiseStatus.OPEN and promise.overdue_at is not None
    assert OutboundEmail.objects.get(key=f"promise:{promise.pk}:overdue").to_email == lena.email
    assert CaseEvent.objects.filter(kind=EventKind.PROMISE_OVERDUE).count() == 1
    assert promise_outcomes(Promise.objects.filter(made_by=alice))["overdue"] == 1


def test_an_overdue_promise_kept_late_counts_as_late(alice):
    promise = promise_for(make_case(by=alice), alice)
    Promise.objects.filter(pk=promise.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    tasks.check_promises()
    promise_services.promise_keep(promise=promise, by=alice)
    outcomes = promise_outcomes(Promise.objects.filter(made_by=alice))
    assert (outcomes["kept_late"], outcomes["kept_on_time"], outcomes["overdue"]) == (1, 0, 0)


def test_breaking_a_promise_tells_the_customer_why_and_counts_it_broken(alice):
    case = make_case(by=alice)
    promise = promise_for(case, alice)
    promise_services.promise_break(promise=promise, by=alice, reason="No engineer is free this week")
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN and promise.reason == "No engineer is free this week"
    email = OutboundEmail.objects.get(key=f"promise:{promise.pk}:broken")
    assert email.to_email == case.customer.email and "No engineer is free this week" in email.body_text
    assert CaseEvent.objects.filter(kind=EventKind.PROMISE_BROKEN).count() == 1
    assert promise_outcomes(Promise.objects.filter(made_by=alice))["broken"] == 1


def test_withdrawing_a_promise_needs_a_reason_the_customer_is_told(alice):
    case = make_case(by=alice)
    promise = promise_for(case, alice)
    with pytest.raises(InvalidInput) as no_reason:
        promise_services.promise_withdraw(promise=promise, by=alice, reason=" ")
    assert "reason" in no_reason.value.errors
    promise_services.promise_withdraw(promise=promise, by=alice, reason="You told us the visit is not needed")
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.WITHDRAWN
    email = OutboundEmail.objects.get(key=f"promise:{promise.pk}:withdrawn")
    assert email.to_email == case.customer.email and "not needed" in email.body_text
    with pytest.raises(Conflict):
        promise_services.promise_keep(promise=promise, by=alice)


def test_making_a_promise_tells_the_customer_what_and_by_when_unless_asked_not_to(alice):
    case = make_case(by=alice)
    told = promise_for(case, alice)
    email = OutboundEmail.objects.get(key=f"promise:{told.pk}:made")
    assert email.to_email == case.customer.email and "Engineer visit" in email.body_text
    quiet = promise_services.promise_make(
        case=case, by=alice, text="Check the line", due_at=timezone.now() + timedelta(days=1), tell_customer=False
    )
    assert not OutboundEmail.objects.filter(key=f"promise:{quiet.pk}:made").exists()


def test_the_first_reply_of_a_web_complaint_is_a_promise_kept_by_the_first_message(alice):
    case = make_case()
    [first_reply] = case.promises.all()
    assert (first_reply.kind, first_reply.made_by, first_reply.status) == ("reply", None, PromiseStatus.OPEN)
    acknowledgement = OutboundEmail.objects.get(key__endswith="acknowledgement", to_email=case.customer.email)
    assert f"{timezone.localtime(first_reply.due_at):%H:%M}" in acknowledgement.body_text
    case_services.case_take(case=case, agent=alice)
    case_services.case_add_note(case=case, by=alice, text="Looking")
    first_reply.refresh_from_db()
    assert first_reply.status == PromiseStatus.OPEN  # a note is not a reply
    case_services.case_send_message(case=case, by=alice, text="We are on it.", await_reply=False)
    first_reply.refresh_from_db()
    assert first_reply.status == PromiseStatus.KEPT and first_reply.settled_at <= first_reply.due_at


def test_a_case_logged_by_phone_promises_no_first_reply(alice):
    assert not make_case(by=alice).promises.exists()
