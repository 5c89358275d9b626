"""Promises: due times, the warning window, keeping, rescheduling with a slip notice, breaking."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import tasks
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
    assert tasks.check_promises() == {"warned": 1, "broken": 0}
    assert tasks.check_promises() == {"warned": 0, "broken": 0}
    assert OutboundEmail.objects.filter(key=f"promise:{soon.pk}:warning", to_email=alice.email).count() == 1
    assert not OutboundEmail.objects.filter(key=f"promise:{later.pk}:warning").exists()
    assert CaseEvent.objects.filter(kind=EventKind.PROMISE_WARNED).count() == 1


def test_beat_marks_overdue_promises_broken_once_and_tells_the_lead(alice, lena):
    promise = promise_for(make_case(by=alice), alice)
    Promise.objects.filter(pk=promise.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert tasks.check_promises()["broken"] == 1
    assert tasks.check_promises()["broken"] == 0
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN
    assert OutboundEmail.objects.get(key=f"promise:{promise.pk}:broken").to_email == lena.email
    assert CaseEvent.objects.filter(kind=EventKind.PROMISE_BROKEN).count() == 1
    assert promise_outcomes(Promise.objects.filter(made_by=alice))["broken"] == 1
