"""Decisions on time, with a controlled clock: the deciding manager is reminded two days before, and
whoever is above them is told once it is past due; each once per suggestion, whatever the beat does."""

from datetime import timedelta

import pytest

from crm.models import OutboundEmail
from feedback import tasks
from feedback.models import SuggestionEvent, SuggestionEventKind
from feedback.suggestions import services
from tests.crm.factories import StaffFactory
from tests.feedback.factories import DECISION, make_policy, make_suggestion

pytestmark = pytest.mark.django_db


def test_the_manager_is_reminded_once_two_days_before_the_decision_is_due(alice, mona, suggestion):
    due = suggestion.decision_due_at
    assert services.suggestions_remind_due(now=due - timedelta(days=3)) == 0
    assert services.suggestions_remind_due(now=due - timedelta(days=2)) == 1
    assert services.suggestions_remind_due(now=due - timedelta(days=1)) == 0
    [reminder] = OutboundEmail.objects.filter(key__startswith=f"suggestion:{suggestion.pk}:reminder")
    assert reminder.to_email == mona.email and "Alice" in reminder.body_text
    assert SuggestionEvent.objects.filter(kind=SuggestionEventKind.REMINDED).count() == 1


def test_a_decided_suggestion_is_never_reminded_nor_escalated(mona, suggestion):
    services.suggestion_decide(suggestion=suggestion, by=mona, status="declined", decision=DECISION)
    later = suggestion.decision_due_at + timedelta(days=5)
    assert services.suggestions_remind_due(now=suggestion.decision_due_at - timedelta(days=1)) == 0
    assert services.suggestions_escalate_overdue(now=later) == 0


def test_past_due_every_executive_is_told_once_when_the_manager_has_nobody_above(mona, erin, suggestion):
    second = StaffFactory(username="ezra", role="executive", team_name="Board")
    due = suggestion.decision_due_at
    assert services.suggestions_escalate_overdue(now=due - timedelta(minutes=1)) == 0
    assert services.suggestions_escalate_overdue(now=due + timedelta(minutes=1)) == 1
    assert services.suggestions_escalate_overdue(now=due + timedelta(days=3)) == 0
    told = OutboundEmail.objects.filter(key__startswith=f"suggestion:{suggestion.pk}:overdue")
    assert sorted(told.values_list("to_email", flat=True)) == sorted([erin.email, second.email])
    assert all("Mona" in email.body_text for email in told)


def test_past_due_the_managers_own_lead_is_told_instead(alice, erin):
    director = StaffFactory(username="dora", role="manager", team_name="Operations", leads_team=True)
    manager = StaffFactory(username="max", role="manager", team_name="Operations")
    policy = make_policy(by=manager, name="Cancellation terms")
    suggestion = make_suggestion(author=alice, policy=policy)
    services.suggestions_escalate_overdue(now=suggestion.decision_due_at + timedelta(hours=1))
    told = OutboundEmail.objects.filter(key__startswith=f"suggestion:{suggestion.pk}:overdue")
    assert list(told.values_list("to_email", flat=True)) == [director.email]


def test_the_task_runs_both_with_the_real_clock(alice, mona, suggestion):
    assert tasks.check_decisions() == {"reminded": 0, "escalated": 0}


def test_an_anonymous_author_stays_anonymous_in_the_reminder_to_someone_who_is_not_a_manager(alice, mona, refunds):
    suggestion = make_suggestion(author=alice, policy=refunds, show_name=False)
    services.suggestions_remind_due(now=suggestion.decision_due_at - timedelta(hours=1))
    [reminder] = OutboundEmail.objects.filter(key__startswith=f"suggestion:{suggestion.pk}:reminder")
    assert "Alice" in reminder.body_text  # the manager deciding may know who it is
    services.suggestions_escalate_overdue(now=suggestion.decision_due_at + timedelta(hours=1))
    for email in OutboundEmail.objects.filter(key__startswith=f"suggestion:{suggestion.pk}:overdue"):
        assert "Alice" not in email.body_text
