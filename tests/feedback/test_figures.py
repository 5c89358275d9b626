"""The figures executives will read, from the suggestions' history and the cases' events: median days to a
decision, decided by the deadline, overdue now, accepted and implemented shares, per policy, and whether an
implemented change reduced complaints (12 weeks before and after, from case events)."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints.resolution import services as resolution_services
from feedback.suggestions import services
from feedback.suggestions.selectors import complaint_trend, decision_figures
from tests.complaints.factories import make_case
from tests.feedback.factories import DECISION, make_suggestion

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_default_timezone())  # a Monday


def policy_case(by, category, when):
    """A billing case whose root cause turned out to be the policy, opened at `when`."""
    with time_machine.travel(when, tick=False):
        case = make_case(by=by, category=category)
        resolution_services.case_resolve(case=case, by=by, resolution_summary="Refunded", root_cause="policy")
    return case


def test_complaints_before_and_after_an_implemented_change(alice, mona, billing, refunds):
    for week in range(12):  # four a week before the change
        for n in range(4):
            policy_case(alice, billing, START + timedelta(weeks=week, hours=n))
    change_day = (START + timedelta(weeks=12)).date()
    for week in range(12):  # one a week after it
        policy_case(alice, billing, START + timedelta(weeks=12 + week, hours=1))
    make_case(by=alice)  # outside the policy: never counted
    trend = complaint_trend(refunds, around=change_day, today=change_day + timedelta(weeks=13))
    assert len(trend.weeks) == 24 and trend.weeks[0] == (START.date(), 4) and trend.weeks[-1][1] == 1
    assert (trend.before_per_week, trend.after_per_week, trend.change_percent) == (4.0, 1.0, -75.0)


def test_weeks_not_over_yet_do_not_count_after_the_change(alice, billing, refunds):
    policy_case(alice, billing, START)
    trend = complaint_trend(refunds, around=(START + timedelta(weeks=1)).date(), today=START.date() + timedelta(days=9))
    assert trend.after_per_week is None and trend.change_percent is None


def test_decision_figures_come_from_the_history(alice, bob, mona, refunds):
    with time_machine.travel(START, tick=False):
        fast, slow, waiting, late = (make_suggestion(author=alice, policy=refunds) for _ in range(4))
    with time_machine.travel(START + timedelta(days=2), tick=False):
        services.suggestion_decide(suggestion=fast, by=mona, status="accepted", decision=DECISION)
        services.suggestion_mark_implemented(suggestion=fast, by=mona, on=(START + timedelta(days=2)).date())
    with time_machine.travel(START + timedelta(days=20), tick=False):
        services.suggestion_decide(suggestion=slow, by=mona, status="declined", decision=DECISION)
        figures = decision_figures()
    assert figures["median_days_to_decision"] == 11.0  # 2 and 20 days
    assert figures["decided_by_deadline_share"] == 0.5
    assert figures["overdue_now"] == 2  # waiting and late, past their 14 days
    assert (figures["accepted_share"], figures["implemented_share"]) == (0.5, 1.0)


def test_decision_figures_take_three_queries_however_many_suggestions_were_implemented(
    alice, mona, refunds, django_assert_num_queries
):
    for _ in range(3):
        suggestion = make_suggestion(author=alice, policy=refunds)
        services.suggestion_decide(suggestion=suggestion, by=mona, status="accepted", decision=DECISION)
        services.suggestion_mark_implemented(suggestion=suggestion, by=mona, on=timezone.localdate())
    with django_assert_num_queries(3):
        figures = decision_figures()
    assert figures["implemented_share"] == 1.0
