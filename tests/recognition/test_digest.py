"""The weekly wins digest, with a controlled clock: Monday morning, each team's week of published stories,
its delight share and a nudge when recoveries dominate; once per team per week whatever the beat does."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from crm.models import OutboundEmail
from recognition import tasks
from recognition.board.services import wins_digest_send
from tests.recognition.factories import published

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.get_default_timezone())


def digests(team_name):
    return OutboundEmail.objects.filter(subject=f"{team_name}: this week's wins")


def test_each_team_hears_its_week_once(alice, bob, charlie, lena):
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        published(charlie, [alice], moderator=lena, story="Alice remembered the customer's dog's name.")
    with time_machine.travel(MONDAY - timedelta(days=10), tick=False):
        published(charlie, [bob], moderator=lena, story="Last month's story.")
    assert wins_digest_send(now=MONDAY) >= 2
    north = digests("Team North")
    assert sorted(north.values_list("to_email", flat=True)) == sorted([alice.email, bob.email, lena.email])
    body = north.get(to_email=bob.email).body_text
    assert "Alice remembered the customer's dog's name." in body and "Last month's story." not in body
    south = digests("Team South").get(to_email=charlie.email).body_text
    assert "No stories about the team were published this week" in south
    # The beat again the same week (a retry, a second scheduler): nothing more.
    wins_digest_send(now=MONDAY + timedelta(hours=3))
    assert digests("Team North").count() == 3
    # Next Monday: the next digest.
    wins_digest_send(now=MONDAY + timedelta(days=7))
    assert digests("Team North").count() == 6


def test_a_team_whose_stories_are_mostly_recoveries_is_nudged(alice, bob, charlie, lena):
    with time_machine.travel(MONDAY - timedelta(days=2), tick=False):
        for _ in range(3):
            published(charlie, [alice], moderator=lena, kind="recovery")
        published(charlie, [bob], moderator=lena, kind="delight")
    wins_digest_send(now=MONDAY)
    body = digests("Team North").get(to_email=alice.email).body_text
    assert "1 of the team's 4 stories were delight" in body and "Recovery stories are more than 60 %" in body


def test_the_task_sends_with_the_real_clock(alice):
    assert tasks.send_wins_digest() >= 1


def test_beat_sends_it_on_monday_at_eight_in_the_sites_time_zone(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["recognition-digest"]["schedule"]
    assert (schedule.day_of_week, schedule.hour, schedule.minute) == ({1}, {8}, {0})
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
