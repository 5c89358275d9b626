"""Reads for the board: published stories with its filters, the balance of delight against recovery, and for
leads and managers who has not been recognised lately and how stories spread over people and teams. Each
read is a fixed number of queries, from the indexed StoryPerson table where it can be."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from crm.models import Team
from crm.permissions import StaffUser
from crm.times import site_midnight, site_today
from recognition import permissions
from recognition.models import Story, StoryKind, StoryPerson
from recognition.stories.selectors import as_cards

BALANCE_DAYS = 90
# More than this share of recovery stories, and the board (and the digest) says so.
RECOVERY_NUDGE_SHARE = 0.6
PERIODS = {"week": 7, "month": 30, "quarter": 91, "year": 365}


def published_stories(
    *,
    user: StaffUser,
    kind: str = "",
    team: int | None = None,
    person: str = "",
    period: str = "",
    now: datetime | None = None,
) -> QuerySet[Story]:
    """The board, newest first, with who each story is about and whether this user gave kudos."""
    stories = Story.objects.published()
    people = StoryPerson.objects.all()
    filtered = False
    if kind:
        stories = stories.filter(kind=kind)
    if team is not None:
        people, filtered = people.filter(team_id=team), True
    if person:
        people, filtered = people.filter(user__username=person), True
    if period in PERIODS:
        stories = stories.filter(published_at__gte=(now or timezone.now()) - timedelta(days=PERIODS[period]))
    if filtered:
        stories = stories.filter(pk__in=people.values("story_id"))
    return as_cards(stories, user=user).order_by("-published_at", "-id")


@dataclass
class Balance:
    name: str
    delight: int
    recovery: int

    @property
    def total(self) -> int:
        return self.delight + self.recovery

    @property
    def delight_share(self) -> float | None:
        return round(self.delight / self.total, 3) if self.total else None

    @property
    def needs_nudge(self) -> bool:
        """Recovery stories are more than 60 %: delight is going unseen."""
        return bool(self.total) and self.recovery / self.total > RECOVERY_NUDGE_SHARE


BALANCE_CACHE_KEY = "recognition:balance"
BALANCE_SECTION_CACHE_KEY = "recognition:balance-section"
BALANCE_CACHE_SECONDS = 300


def current_balance() -> tuple[Balance, list[Balance]]:
    """The board's balance, shared by everyone for five minutes (publishing a story clears it at once)."""
    return cast(tuple[Balance, list[Balance]], cache.get_or_set(BALANCE_CACHE_KEY, balance, BALANCE_CACHE_SECONDS))


def balance_section() -> SafeString:
    """The balance as the board shows it, rendered once for everyone: a row per team made a third of the
    page's time. Cached and cleared with the balance."""

    def render() -> SafeString:
        overall, teams = current_balance()
        context = {"overall": overall, "team_balances": teams, "balance_days": BALANCE_DAYS}
        return render_to_string("recognition/board/_balance.html", context)

    # A SafeString pickles as one: what comes back from the cache is still marked safe, escaped once.
    return cast(SafeString, cache.get_or_set(BALANCE_SECTION_CACHE_KEY, render, BALANCE_CACHE_SECONDS))


def forget_balance() -> None:
    """A story was published: the board and the API count it at once."""
    cache.delete_many([BALANCE_CACHE_KEY, BALANCE_SECTION_CACHE_KEY])


def balance(*, now: datetime | None = None, days: int = BALANCE_DAYS) -> tuple[Balance, list[Balance]]:
    """Delight against recovery over the last 90 days, overall (each story once) and per team (a story
    about people of two teams counts for both). Three queries."""
    since = (now or timezone.now()) - timedelta(days=days)
    overall = dict(
        Story.objects.published().filter(published_at__gte=since).order_by().values_list("kind").annotate(Count("pk"))
    )
    per_team: dict[int, dict[str, int]] = {}
    rows = (
        StoryPerson.objects.filter(published_at__gte=since, team__isnull=False)
        .order_by()
        .values_list("team_id", "kind")
        .annotate(n=Count("story_id", distinct=True))
    )
    for team_id, kind, n in rows:
        per_team.setdefault(team_id, {})[kind] = n
    names = dict(Team.objects.filter(pk__in=per_team).values_list("pk", "name"))
    teams = [
        Balance(names[team_id], counts.get(StoryKind.DELIGHT, 0), counts.get(StoryKind.RECOVERY, 0))
        for team_id, counts in per_team.items()
    ]
    return (
        Balance("Everyone", overall.get(StoryKind.DELIGHT, 0), overall.get(StoryKind.RECOVERY, 0)),
        sorted(teams, key=lambda b: b.name),
    )


def quarter_start(today: date | None = None) -> date:
    today = today or site_today()
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def _people_in_view(user: StaffUser) -> QuerySet:
    """The staff a lead sees figures for (the teams they lead), or everyone for a manager."""
    staff = get_user_model().objects.filter(is_active=True, staff_profile__isnull=False)
    if not permissions.sees_every_team(user):
        staff = staff.filter(staff_profile__team__lead=user)
    return staff.select_related("staff_profile__team")


def not_recognised(*, user: StaffUser, since: date | None = None) -> QuerySet:
    """People in view with no published story about them since the start of this quarter."""
    start = site_midnight(since or quarter_start())
    recognised = StoryPerson.objects.filter(user=OuterRef("pk"), published_at__gte=start)
    return _people_in_view(user).filter(~Exists(recognised)).order_by("staff_profile__team__name", "username")


def stories_per_person(*, user: StaffUser, since: date | None = None) -> QuerySet:
    """People in view with how many published stories were about them this quarter, most first."""
    start = site_midnight(since or quarter_start())
    recent = Q(story_mentions__published_at__gte=start)
    return (
        _people_in_view(user)
        .annotate(
            stories=Count("story_mentions", filter=recent),
            delight=Count("story_mentions", filter=recent & Q(story_mentions__kind=StoryKind.DELIGHT)),
        )
        .order_by("-stories", "username")
    )


def stories_per_team(*, user: StaffUser, since: date | None = None) -> list[dict[str, Any]]:
    start = site_midnight(since or quarter_start())
    rows = StoryPerson.objects.filter(published_at__gte=start, team__isnull=False)
    if not permissions.sees_every_team(user):
        rows = rows.filter(team__lead=user)
    grouped = (
        rows.order_by()
        .values("team__name")
        .annotate(stories=Count("story_id", distinct=True), people=Count("user_id", distinct=True))
        .order_by("team__name")
    )
    return [dict(row) for row in grouped]
