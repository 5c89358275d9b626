"""Reads about promises: those at risk, and how promises turned out (kept on time, late, rescheduled
before due, broken), one definition of those outcomes for every screen and figure."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone

from complaints.models import Promise, PromiseStatus
from complaints.permissions import SEE_ALL_ROLES, TAKE_ROLES
from crm.models import StaffProfile
from crm.permissions import StaffUser


def reply_due(now: datetime) -> datetime:
    """When an answer we promise without being asked (a first reply, a reply to a reopened case) is due."""
    return now + timedelta(hours=settings.FIRST_RESPONSE_HOURS)


def outcome_counts() -> dict[str, Count]:
    """How promises turned out, as aggregate expressions: the one definition of kept, late and broken."""
    return {
        "kept_on_time": Count("pk", filter=Q(status=PromiseStatus.KEPT, settled_at__lte=F("due_at"))),
        "kept_late": Count("pk", filter=Q(status=PromiseStatus.KEPT, settled_at__gt=F("due_at"))),
        "rescheduled_before_due": Count("pk", filter=Q(status=PromiseStatus.RESCHEDULED)),
        "broken": Count("pk", filter=Q(status=PromiseStatus.BROKEN)),
        "withdrawn": Count("pk", filter=Q(status=PromiseStatus.WITHDRAWN)),
        "overdue": Count("pk", filter=Q(status=PromiseStatus.OPEN, due_at__lte=Now())),  # past due, still open
        "open": Count("pk", filter=Q(status=PromiseStatus.OPEN)),
    }


def promise_outcomes(promises: QuerySet[Promise]) -> dict[str, int]:
    return promises.aggregate(**outcome_counts())


def promises_coming_due(*, now: datetime | None = None) -> dict[str, int]:
    """Open promises due within the next hour, and those past due still open (what an operator's alarm
    watches; the partial index of open promises by due time serves both)."""
    now = now or timezone.now()
    return Promise.objects.filter(status=PromiseStatus.OPEN).aggregate(
        due_within_hour=Count("pk", filter=Q(due_at__gt=now, due_at__lte=now + timedelta(hours=1))),
        overdue=Count("pk", filter=Q(due_at__lte=now)),
    )


def promises_at_risk_ids(*, user: StaffUser, now: datetime | None = None) -> set[int]:
    """Case ids among mine with an open promise inside its warning window (highlighted on My cases)."""
    now = now or timezone.now()
    return set(Promise.objects.at_risk(now).filter(owner=user).values_list("case_id", flat=True))


def team_promises_at_risk(*, lead: StaffUser, now: datetime | None = None) -> QuerySet[Promise]:
    now = now or timezone.now()
    # The members' ids as values, so PostgreSQL probes promise_owner_open_idx once per member: joined to the
    # teams instead, it walked the whole index in owner order for a merge join (2.9 to 3.7 ms of execution at
    # 100,000 cases, against 0.13 ms this way).
    members = list(StaffProfile.objects.filter(team__lead=lead).values_list("user_id", flat=True))
    return (
        Promise.objects.at_risk(now)
        .filter(owner__in=members)
        .select_related("case__customer", "case__owner__staff_profile")
        .order_by("due_at", "id")
    )


def team_promise_counts(*, lead: StaffUser, days: int, now: datetime | None = None) -> list[tuple[Any, dict[str, int]]]:
    """Promise outcomes per owner in the lead's teams, by username: of the promises on the cases each owns
    now (a handed-over case's promises go with it, whoever made them), those settled in the last `days` days,
    and those open now. Two queries, each reading only the team's promises (Promise.owner's indexes)."""
    since = (now or timezone.now()) - timedelta(days=days)
    # Who owns cases (permissions.can_own); managers and executives never count as owners.
    members = list(
        get_user_model()
        .objects.filter(staff_profile__team__lead=lead, groups__name__in=sorted(TAKE_ROLES))
        .exclude(groups__name__in=sorted(SEE_ALL_ROLES))
        .select_related("staff_profile")
        .order_by("username")
        .distinct()
    )
    outcomes = list(outcome_counts())
    grouped = (
        Promise.objects.filter(owner__in=members)
        .filter(Q(status=PromiseStatus.OPEN) | Q(settled_at__gte=since))
        .order_by()
        .values("owner")
        .annotate(**outcome_counts())
    )
    counts: dict[int, dict[str, int]] = {
        row["owner"]: {name: row[name] for name in outcomes}  # type: ignore[literal-required]  # annotated
        for row in grouped
    }
    none = dict.fromkeys(outcome_counts(), 0)
    return [(member, counts.get(member.pk, none)) for member in members]
