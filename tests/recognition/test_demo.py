import io

import pytest
from django.core.management import call_command

from recognition.board.selectors import balance
from recognition.models import Story, StoryStatus

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_the_demo_fills_the_board_with_both_kinds_and_a_team_that_needs_the_nudge():
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # twice: nothing more
    assert set(Story.objects.published().values_list("kind", flat=True)) == {"delight", "recovery"}
    assert Story.objects.filter(status=StoryStatus.PENDING, teller_kind="customer").count() == 1
    overall, teams = balance()
    nudged = {team.name for team in teams if team.needs_nudge}
    assert nudged == {"Billing Desk"} and not overall.needs_nudge
