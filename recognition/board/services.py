"""What the board sends: the weekly wins digest, Monday morning, to every member of every team."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from crm.models import StaffProfile, Team
from recognition import emails
from recognition.board.selectors import balance
from recognition.models import Story


def wins_digest_send(*, now: datetime | None = None) -> int:
    """The week's published stories about each team's people, the team's delight share over 90 days and a
    nudge when recovery stories dominate: to each active member with an address, once per team and week
    (the key carries the ISO week of `now` in TIME_ZONE). Returns how many teams were written to."""
    now = now or timezone.now()
    year, week, _ = timezone.localdate(now).isocalendar()
    since = now - timedelta(days=7)
    _, team_balances = balance(now=now)
    by_name = {b.name: b for b in team_balances}
    reachable = StaffProfile.objects.select_related("user").filter(user__is_active=True).exclude(user__email="")
    teams = Team.objects.prefetch_related(Prefetch("members", queryset=reachable)).order_by("name")
    written = 0
    for team in teams:
        members = [profile.user for profile in team.members.all()]
        if not members:
            continue
        stories = list(
            Story.objects.published()
            .filter(people__team=team, published_at__gte=since, published_at__lt=now)
            .distinct()
            .prefetch_related("about__staff_profile")
            .order_by("published_at", "id")
        )
        with transaction.atomic():
            for member in members:
                emails.email_staff(
                    member,
                    key=emails.digest_key(team.pk, year, week, member),
                    template="board/email/digest",
                    subject=f"{team.name}: this week's wins",
                    team=team,
                    stories=stories,
                    balance=by_name.get(team.name),
                )
        written += 1
    return written
