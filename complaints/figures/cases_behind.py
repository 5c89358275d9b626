"""The cases behind each figure: the condition on their facts, so every number on the dashboard links to a
list of the cases it counts (same filter), and to their CSV."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from complaints.figures.selectors import (
    AGE_BANDS,
    FigureFilter,
    age_band_condition,
    facts_in,
    in_progress_during_incident,
)
from complaints.models import Case

# The cases behind each figure: its title and the condition on a case's facts (within the filter's period).
FIGURE_CASES: dict[str, tuple[str, Q]] = {
    "complaints": ("Complaints", Q()),
    "acknowledged": ("Acknowledged", Q(acknowledge_seconds__isnull=False)),
    "replied": ("Answered", Q(first_reply_seconds__isnull=False)),
    "resolved": ("Resolved", Q(resolve_seconds__isnull=False)),
    "resolved_on_first_contact": ("Resolved on first contact", Q(first_contact_resolution=True)),
    "handed_over": ("Handed over", Q(handovers__gt=0)),
    "handed_over_more_than_once": ("Handed over more than once", Q(handovers__gt=1)),
    "escalated_to_lead": ("Escalated to a team lead", Q(escalations_to_lead__gt=0)),
    "escalated_to_manager": ("Escalated to a manager", Q(escalations_to_manager__gt=0)),
    "escalated_to_executive": ("Escalated to an executive", Q(escalations_to_executive__gt=0)),
    "escalated_by_customer": ("The customer asked for a manager", Q(escalations_asked_by_customer__gt=0)),
    "promise_kept_on_time": ("A promise kept on time", Q(promises_kept_on_time__gt=0)),
    "promise_kept_late": ("A promise kept late", Q(promises_kept_late__gt=0)),
    "promise_rescheduled": ("A promise rescheduled before due", Q(promises_rescheduled__gt=0)),
    "promise_broken": ("A promise broken", Q(promises_broken__gt=0)),
    "promise_withdrawn": ("A promise withdrawn", Q(promises_withdrawn__gt=0)),
    "rated": ("Rated", Q(rating__isnull=False)),
    "rated_low": ("Rated 1 or 2", Q(rating__lte=2)),
    "reopened": ("Reopened", Q(reopened__gt=0)),
}


def figure_condition(figure: str, now: datetime) -> tuple[str, Q] | None:
    """The title of `figure` and the condition on facts for the cases behind it, or None for a figure
    nobody has heard of."""
    if figure in FIGURE_CASES:
        return FIGURE_CASES[figure]
    if figure == "during_incidents":
        return "About a service during its incident", Q(in_progress_during_incident())
    for key, label, *_ in AGE_BANDS:
        if figure == key:
            return f"Open now, opened {label.lower()} ago", age_band_condition(figure, now)
    return None


def cases_behind(
    figure_filter: FigureFilter, figure: str, now: datetime | None = None
) -> tuple[str, QuerySet[Case]] | None:
    """The figure's title and the cases it counts (newest first), or None when there is no such figure. The
    age bands are about today, so the period does not narrow them."""
    found = figure_condition(figure, now or timezone.now())
    if found is None:
        return None
    title, condition = found
    facts = facts_in(figure_filter, dated=not is_about_today(figure)).filter(condition)
    return title, Case.objects.filter(pk__in=facts.values("case_id")).order_by("-opened_at", "-id")


def is_about_today(figure: str) -> bool:
    return any(figure == key for key, *_ in AGE_BANDS)
