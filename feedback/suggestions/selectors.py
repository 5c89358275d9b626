"""Reads for the board, the review queue, a suggestion's page and the figures: a fixed number of queries
per page however many rows, and the complaint evidence counted from cases and their events."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import TruncWeek
from django.utils import timezone

from complaints.models import Case, CaseEvent, EventKind
from crm.permissions import StaffUser
from crm.times import site_midnight, site_today, site_zone
from feedback import permissions
from feedback.models import (
    DECIDED_STATUSES,
    UNDECIDED_STATUSES,
    Comment,
    Endorsement,
    Policy,
    Suggestion,
    SuggestionEvent,
    SuggestionEventKind,
    SuggestionStatus,
)

EVIDENCE_DAYS = 90
TREND_WEEKS = 12


def _with_list_joins(suggestions: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
    return suggestions.select_related("policy", "author__staff_profile", "deciding_manager__staff_profile")


def board(
    *,
    user: StaffUser,
    status: str = "",
    policy: int | None = None,
    team: int | None = None,
    mine: bool = False,
    overdue: bool = False,
    now: datetime | None = None,
) -> QuerySet[Suggestion]:
    """Every suggestion, newest first, with the board's filters. The team filter never reveals who wrote
    a suggestion its author chose to keep their name off (except to managers)."""
    suggestions = Suggestion.objects.all()
    if status:
        suggestions = suggestions.filter(status=status)
    if policy is not None:
        suggestions = suggestions.filter(policy_id=policy)
    if team is not None:
        suggestions = suggestions.filter(author__staff_profile__team_id=team)
        if not permissions.can_decide(user):
            suggestions = suggestions.filter(Q(show_name=True) | Q(author=user))
    if mine:
        suggestions = suggestions.filter(author=user)
    if overdue:
        suggestions = suggestions.overdue(now or timezone.now())
    endorsed = Endorsement.objects.filter(suggestion=OuterRef("pk"), user=user)
    return _with_list_joins(suggestions).annotate(endorsed_by_me=Exists(endorsed)).order_by("-submitted_at", "-id")


def review_queue(*, manager: StaffUser, everyone: bool = False) -> QuerySet[Suggestion]:
    """Suggestions waiting for this manager's decision (every manager's with `everyone`), the nearest
    decision due first."""
    suggestions = Suggestion.objects.filter(status__in=UNDECIDED_STATUSES)
    if not everyone:
        suggestions = suggestions.filter(Q(deciding_manager=manager) | Q(deciding_manager__isnull=True))
    return _with_list_joins(suggestions).order_by("decision_due_at", "id")


def suggestion_detail(*, pk: int) -> Suggestion:
    """One suggestion with everything its page and API show (Suggestion.DoesNotExist if none)."""
    return (
        Suggestion.objects.select_related(
            "policy__manager__staff_profile",
            "author__staff_profile",
            "deciding_manager__staff_profile",
            "decided_by__staff_profile",
            "merged_into",
        )
        .prefetch_related(
            Prefetch("cases", queryset=Case.objects.order_by("-opened_at")),
            Prefetch(
                "endorsements",
                queryset=Endorsement.objects.select_related("user__staff_profile").order_by("created_at"),
            ),
            Prefetch("comments", queryset=Comment.objects.select_related("author__staff_profile", "moved_from")),
            "merged_from",
        )
        .get(pk=pk)
    )


def history(*, suggestion: Suggestion) -> QuerySet[SuggestionEvent]:
    return SuggestionEvent.objects.filter(suggestion=suggestion).select_related("actor__staff_profile")


def my_suggestions(*, user: StaffUser) -> QuerySet[Suggestion]:
    return _with_list_joins(Suggestion.objects.filter(author=user)).order_by("-submitted_at", "-id")


# --- Complaint evidence -----------------------------------------------------------------------------------


def policy_scope(policy: Policy, *, category_ids: list[int] | None = None) -> Q:
    """The cases a policy covers: in its categories (when it names any) and with its root causes (when it
    names any). A policy that names neither covers no case."""
    categories = category_ids if category_ids is not None else [c.pk for c in policy.categories.all()]
    if not categories and not policy.root_causes:
        return Q(pk__in=[])
    scope = Q()
    if categories:
        scope &= Q(category_id__in=categories)
    if policy.root_causes:
        scope &= Q(root_cause__in=policy.root_causes)
    return scope


def evidence_counts(policies: list[Policy], *, now: datetime | None = None) -> dict[int, int]:
    """Cases opened in the last 90 days within each policy's scope: one statement for all of them, a
    UNION ALL of one count per policy, each read from the case indexes by category or root cause and time
    (one conditional count over every recent case was 200 ms at 100,000 cases)."""
    since = (now or timezone.now()) - timedelta(days=EVIDENCE_DAYS)
    counts = dict.fromkeys((p.pk for p in policies), 0)
    branches = [
        Case.objects.filter(policy_scope(p), opened_at__gte=since)
        .order_by()
        .values(policy=Value(p.pk))
        .annotate(n=Count("pk"))
        for p in policies
        if p.categories.all() or p.root_causes
    ]
    if branches:
        counts.update((row["policy"], row["n"]) for row in branches[0].union(*branches[1:], all=True))
    return counts


def with_evidence(suggestions: list[Suggestion]) -> list[Suggestion]:
    """Each suggestion gets `evidence_count` (its policy's cases of the last 90 days; None without a policy).
    Two queries for a page, however many rows and policies."""
    policy_ids = {s.policy_id for s in suggestions if s.policy_id is not None}
    policies = list(Policy.objects.filter(pk__in=policy_ids).prefetch_related("categories"))
    counts = evidence_counts(policies)
    for suggestion in suggestions:
        suggestion.evidence_count = counts.get(suggestion.policy_id) if suggestion.policy_id else None  # type: ignore[attr-defined]
    return suggestions


def evidence_cases(policy: Policy, *, limit: int = 50, now: datetime | None = None) -> QuerySet[Case]:
    since = (now or timezone.now()) - timedelta(days=EVIDENCE_DAYS)
    return (
        Case.objects.filter(policy_scope(policy), opened_at__gte=since)
        .select_related("customer", "owner__staff_profile", "category")
        .order_by("-opened_at", "-id")[:limit]
    )


@dataclass
class Trend:
    """Complaints per week in a policy's scope around a date: what the change did."""

    weeks: list[tuple[date, int]]  # (Monday of the week, complaints), oldest first
    pivot: date  # the first week after the change
    before_per_week: float
    after_per_week: float | None  # None until a whole week after the change has passed
    change_percent: float | None  # None when there was nothing before, or no whole week after yet


def complaint_trend(policy: Policy, *, around: date, weeks: int = TREND_WEEKS, today: date | None = None) -> Trend:
    """Cases opened per week (from their `created` events) in the policy's scope, `weeks` whole weeks before
    `around` and up to `weeks` after (only weeks already over count)."""
    today = today or site_today()
    pivot = around - timedelta(days=around.weekday())
    start = pivot - timedelta(weeks=weeks)
    this_week = today - timedelta(days=today.weekday())
    end = min(pivot + timedelta(weeks=weeks), this_week)
    tz = site_zone()  # weeks in TIME_ZONE, the same for everyone who looks
    start_at, end_at = site_midnight(start), site_midnight(end)
    counted = (
        CaseEvent.objects.filter(kind=EventKind.CREATED, created_at__gte=start_at, created_at__lt=end_at)
        .filter(case__in=Case.objects.filter(policy_scope(policy)).values("pk"))
        .annotate(week=TruncWeek("created_at", tzinfo=tz))
        .values("week")
        .annotate(n=Count("pk"))
    )
    by_week = {row["week"].date() if isinstance(row["week"], datetime) else row["week"]: row["n"] for row in counted}
    all_weeks = [start + timedelta(weeks=i) for i in range((end - start).days // 7)]
    series = [(week, by_week.get(week, 0)) for week in all_weeks]
    before = [n for week, n in series if week < pivot]
    after = [n for week, n in series if week >= pivot]
    before_mean = sum(before) / len(before) if before else 0.0
    after_mean = sum(after) / len(after) if after else None
    change = None
    if after_mean is not None and before_mean > 0:
        change = round((after_mean - before_mean) / before_mean * 100, 1)
    return Trend(series, pivot, round(before_mean, 2), None if after_mean is None else round(after_mean, 2), change)


# --- Figures ---------------------------------------------------------------------------------------------------


def decision_figures(*, now: datetime | None = None) -> dict[str, Any]:
    """How managers answer staff, from the suggestions' history: median days to a decision (accept or
    decline), the share decided by the deadline, how many wait past it now, and the accepted and
    implemented shares."""
    now = now or timezone.now()
    decided_kinds = [SuggestionStatus.ACCEPTED, SuggestionStatus.DECLINED]
    timings = (
        SuggestionEvent.objects.values("suggestion", "suggestion__decision_due_at")
        .annotate(
            submitted=Min("created_at", filter=Q(kind=SuggestionEventKind.SUBMITTED)),
            decided=Min(
                "created_at", filter=Q(kind=SuggestionEventKind.STATUS_CHANGED, data__to_status__in=decided_kinds)
            ),
        )
        .filter(decided__isnull=False, submitted__isnull=False)
        .values_list("submitted", "decided", "suggestion__decision_due_at")
    )
    days, on_time = [], 0
    for submitted, decided, due in timings:
        days.append((decided - submitted).total_seconds() / 86400)
        on_time += decided <= due
    statuses = dict(Suggestion.objects.order_by().values_list("status").annotate(n=Count("pk")))
    accepted_ever = statuses.get(SuggestionStatus.ACCEPTED, 0) + statuses.get(SuggestionStatus.IMPLEMENTED, 0)
    decided_count = sum(statuses.get(s, 0) for s in DECIDED_STATUSES)
    return {
        "median_days_to_decision": round(statistics.median(days), 1) if days else None,
        "decided_by_deadline_share": round(on_time / len(days), 3) if days else None,
        "overdue_now": Suggestion.objects.overdue(now).count(),
        "accepted_share": round(accepted_ever / decided_count, 3) if decided_count else None,
        "implemented_share": round(statuses.get(SuggestionStatus.IMPLEMENTED, 0) / accepted_ever, 3)
        if accepted_ever
        else None,
    }
