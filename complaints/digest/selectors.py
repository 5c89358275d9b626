"""What the weekly digest picks (complaints.digest.services): last week, its top root causes, three
complaints in the customer's words chosen by rule, and the overdue promises."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from complaints.figures.selectors import FigureFilter, facts_in
from complaints.models import UNFINISHED_STATUSES, Case, CaseEvent, CaseFacts, EventKind, Promise, RootCause

TOP_ROOT_CAUSES = 5


def top_root_causes(figure_filter: FigureFilter) -> list[tuple[str, int]]:
    rows = (
        facts_in(figure_filter)
        .exclude(root_cause="")
        .order_by()
        .values_list("root_cause")
        .annotate(n=Count("pk"))
        .order_by("-n", "root_cause")[:TOP_ROOT_CAUSES]
    )
    labels = dict(RootCause.choices)
    return [(labels.get(cause, cause), n) for cause, n in rows]


@dataclass
class Verbatim:
    """A complaint quoted in the digest, and why it was picked."""

    why: str
    case: Case


def verbatims(since: datetime, until: datetime) -> list[Verbatim]:
    """Three complaints in the customer's words, chosen by rule: the lowest-rated in the week (the oldest
    rating first among equals), the most handed-over case still open, the longest open."""
    picks: list[Verbatim] = []
    lowest = (
        CaseEvent.objects.filter(kind=EventKind.RATED, created_at__gte=since, created_at__lt=until)
        .order_by("data__score", "created_at", "id")
        .values_list("case_id", "data__score")
        .first()
    )
    cases = Case.objects.select_related("customer", "owner__staff_profile")
    if lowest is not None:
        picks.append(Verbatim(f"The lowest rating this week ({lowest[1]} out of 5)", cases.get(pk=lowest[0])))
    chosen = [pick.case.pk for pick in picks]
    shuffled = (
        CaseFacts.objects.filter(status__in=UNFINISHED_STATUSES, handovers__gt=0)
        .exclude(case_id__in=chosen)
        .order_by("-handovers", "opened_at")
        .values_list("case_id", "handovers")
        .first()
    )
    if shuffled is not None:
        picks.append(Verbatim(f"Handed over the most ({shuffled[1]} times) and still open", cases.get(pk=shuffled[0])))
        chosen.append(shuffled[0])
    oldest = cases.unfinished().exclude(pk__in=chosen).order_by("opened_at", "id").first()
    if oldest is not None:
        picks.append(Verbatim("Open the longest", oldest))
    return picks


def overdue_promises(now: datetime) -> QuerySet[Promise]:
    return Promise.objects.overdue(now).select_related("case", "case__owner__staff_profile").order_by("due_at", "id")


def previous_week(now: datetime) -> FigureFilter:
    """Monday to Sunday of the week before `now` (in TIME_ZONE)."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday() + 7)
    return FigureFilter(start=monday, end=monday + timedelta(days=6))
