"""The honest figures (DESIGN.md principle 7): the figures of a period computed from each case's facts
(complaints.figures.facts), with the previous period beside them, as the dashboard, GET figures/, the CSV and
the weekly digest show them.

Every figure is about the cases opened in the period (a cohort): how many there were, how fast they were
acknowledged, answered and resolved, what happened to them since. "Open now by age" is the one figure
about today rather than the period. Filters: team (the owner's), category, channel and service.
"""

import hashlib
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Avg, Count, Exists, FloatField, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from complaints.emails import incident_update_batch
from complaints.models import (
    UNFINISHED_STATUSES,
    CaseChannel,
    CaseFacts,
    Category,
    Incident,
    IncidentUpdate,
    RootCause,
)
from crm.models import EmailState, OutboundEmail, Service, Team
from crm.times import site_midnight, site_today, site_zone

# --- The filter -------------------------------------------------------------------------------------------

MAX_PERIOD_DAYS = 731


@dataclass(frozen=True)
class FigureFilter:
    """A period (whole days in TIME_ZONE, both ends included) and what to narrow it to. `teams` is the
    caller's scope (None: every team); `team` the one they chose."""

    start: date
    end: date
    team: int | None = None
    teams: tuple[int, ...] | None = None
    category: str = ""
    channel: str = ""
    service: int | None = None
    root_cause: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "FigureFilter":
        """The period of the same length just before."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    @property
    def since(self) -> datetime:
        return site_midnight(self.start)

    @property
    def until(self) -> datetime:
        return site_midnight(self.end + timedelta(days=1))

    def query(self, **more: Any) -> dict[str, str]:
        """The filter as URL parameters (for the links to the cases behind a figure, and the CSV)."""
        params = {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "team": "" if self.team is None else str(self.team),
            "category": self.category,
            "channel": self.channel,
            "service": "" if self.service is None else str(self.service),
            "root_cause": self.root_cause,
            **{key: str(value) for key, value in more.items()},
        }
        return {key: value for key, value in params.items() if value}


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last four whole weeks and today: 28 days ending today."""
    today = today or site_today()
    return today - timedelta(days=27), today


def facts_in(figure_filter: FigureFilter, *, dated: bool = True) -> QuerySet[CaseFacts]:
    facts = CaseFacts.objects.all()
    if figure_filter.team is not None:
        facts = facts.filter(team_id=figure_filter.team)
    elif figure_filter.teams is not None:
        facts = facts.filter(team_id__in=figure_filter.teams)
    if figure_filter.category:
        facts = facts.filter(category__slug=figure_filter.category)
    if figure_filter.channel:
        facts = facts.filter(channel=figure_filter.channel)
    if figure_filter.service is not None:
        facts = facts.filter(service_id=figure_filter.service)
    if figure_filter.root_cause:
        facts = facts.filter(root_cause=figure_filter.root_cause)
    if dated:
        facts = facts.filter(opened_at__gte=figure_filter.since, opened_at__lt=figure_filter.until)
    return facts


# --- The figures ------------------------------------------------------------------------------------------


class MedianAndP90(Aggregate):
    """PostgreSQL's continuous percentiles 0.5 and 0.9 of one column, from one sort: [median, p90]."""

    function = "percentile_cont"
    template = "%(function)s(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())


DURATIONS = {"acknowledge": "acknowledge_seconds", "first_reply": "first_reply_seconds", "resolve": "resolve_seconds"}
SUMMED = [
    "handovers",
    "escalations_to_lead",
    "escalations_to_manager",
    "escalations_to_executive",
    "escalations_asked_by_customer",
    "promises_kept_on_time",
    "promises_kept_late",
    "promises_rescheduled",
    "promises_broken",
    "promises_withdrawn",
]


def in_progress_during_incident() -> Exists:
    """The case's service had an incident going on when the case was opened."""
    return Exists(
        Incident.objects.filter(services=OuterRef("service_id"), started_at__lte=OuterRef("opened_at")).filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gt=OuterRef("opened_at"))
        )
    )


# Open now, by how long ago they were opened (the period does not apply).
AGE_BANDS = [
    ("open_under_1_day", "Under a day", 0, 1),
    ("open_1_to_7_days", "1 to 7 days", 1, 7),
    ("open_7_to_30_days", "7 to 30 days", 7, 30),
    ("open_over_30_days", "Over 30 days", 30, None),
]


def age_band_condition(key: str, now: datetime) -> Q:
    _, _, youngest, oldest = next(band for band in AGE_BANDS if band[0] == key)
    condition = Q(status__in=UNFINISHED_STATUSES, opened_at__lte=now - timedelta(days=youngest))
    if oldest is not None:
        condition &= Q(opened_at__gt=now - timedelta(days=oldest))
    return condition


def _period_aggregates(period: Q, prefix: str) -> dict[str, Aggregate]:
    def within(**conditions: Any) -> Q:
        return period & Q(**conditions)

    aggregates: dict[str, Aggregate] = {
        "complaints": Count("pk", filter=period),
        "acknowledged": Count("pk", filter=within(acknowledge_seconds__isnull=False)),
        "replied": Count("pk", filter=within(first_reply_seconds__isnull=False)),
        "resolved": Count("pk", filter=within(resolve_seconds__isnull=False)),
        "resolved_on_first_contact": Count("pk", filter=within(first_contact_resolution=True)),
        "handed_over_more_than_once": Count("pk", filter=within(handovers__gt=1)),
        "ratings": Count("pk", filter=within(rating__isnull=False)),
        "low_ratings": Count("pk", filter=within(rating__lte=2)),
        "average_rating": Avg("rating", filter=period),
        "reopened": Count("pk", filter=within(reopened__gt=0)),
        **{name: Sum(name, filter=period) for name in SUMMED},
    }
    if connection.vendor == "postgresql":
        for name, field in DURATIONS.items():
            aggregates[f"{name}_percentiles"] = MedianAndP90(field, filter=period)
    return {prefix + name: aggregate for name, aggregate in aggregates.items()}


def _unpack_percentiles(raw: dict[str, Any]) -> None:
    for name in DURATIONS:
        median, p90 = raw.pop(f"{name}_percentiles", None) or (None, None)
        raw[f"{name}_median"], raw[f"{name}_p90"] = median, p90


def _python_percentiles(facts: QuerySet[CaseFacts]) -> dict[str, float | None]:
    """What percentile_cont gives, for databases without it (SQLite, the demo)."""
    result: dict[str, float | None] = {}
    for name, field in DURATIONS.items():
        values = sorted(v for v in facts.values_list(field, flat=True) if v is not None)
        for suffix, fraction in (("median", 0.5), ("p90", 0.9)):
            result[f"{name}_{suffix}"] = _percentile(values, fraction)
    return result


def _percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as percentile_cont."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return float(statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1])


def _share(part: float | None, whole: float | None) -> float | None:
    return round(part / whole, 3) if part is not None and whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


# A period without a single complaint, as the aggregates give it.
_NOTHING_MEASURED: dict[str, Any] = {
    "complaints": 0,
    "during_incidents": 0,
    **dict.fromkeys(SUMMED),
    "acknowledged": 0,
    "replied": 0,
    "resolved": 0,
    "resolved_on_first_contact": 0,
    "handed_over_more_than_once": 0,
    "ratings": 0,
    "low_ratings": 0,
    "average_rating": None,
    "reopened": 0,
    **{f"{name}_{suffix}": None for name in DURATIONS for suffix in ("median", "p90")},
}


def _headline(raw: dict[str, Any]) -> dict[str, Any]:
    """The figures as people read them (keys in words; times in hours, shares from 0 to 1)."""
    counts = {name: raw[name] or 0 for name in SUMMED}
    return {
        "complaints": raw["complaints"],
        "acknowledged": raw["acknowledged"],
        "acknowledge_median_hours": _hours(raw["acknowledge_median"]),
        "acknowledge_p90_hours": _hours(raw["acknowledge_p90"]),
        "replied": raw["replied"],
        "first_reply_median_hours": _hours(raw["first_reply_median"]),
        "first_reply_p90_hours": _hours(raw["first_reply_p90"]),
        "resolved": raw["resolved"],
        "resolve_median_hours": _hours(raw["resolve_median"]),
        "resolve_p90_hours": _hours(raw["resolve_p90"]),
        "resolved_on_first_contact": raw["resolved_on_first_contact"],
        "first_contact_resolution_share": _share(raw["resolved_on_first_contact"], raw["resolved"]),
        "handovers": counts["handovers"],
        "handovers_per_100_cases": round(counts["handovers"] * 100 / raw["complaints"], 1)
        if raw["complaints"]
        else None,
        "handed_over_more_than_once": raw["handed_over_more_than_once"],
        "escalations_to_lead": counts["escalations_to_lead"],
        "escalations_to_manager": counts["escalations_to_manager"],
        "escalations_to_executive": counts["escalations_to_executive"],
        "escalations_asked_by_customer": counts["escalations_asked_by_customer"],
        "promises_kept_on_time": counts["promises_kept_on_time"],
        "promises_kept_late": counts["promises_kept_late"],
        "promises_rescheduled_before_due": counts["promises_rescheduled"],
        "promises_broken": counts["promises_broken"],
        "promises_withdrawn": counts["promises_withdrawn"],
        "ratings": raw["ratings"],
        "average_rating": None if raw["average_rating"] is None else round(raw["average_rating"], 2),
        "rated_share": _share(raw["ratings"], raw["resolved"]),
        "low_ratings": raw["low_ratings"],
        "reopened": raw["reopened"],
        "reopened_share": _share(raw["reopened"], raw["resolved"]),
        "complaints_during_incidents": raw["during_incidents"],
    }


# Every figure of a period, as GET figures/ names them.
FIGURE_KEYS = [
    *_headline(_NOTHING_MEASURED).keys(),
    "incidents",
    "notices_sent",
]


def headline_figures(figure_filter: FigureFilter) -> tuple[dict[str, Any], dict[str, Any]]:
    """The period's figures and the previous period's, from one pass over both periods' facts."""
    previous = figure_filter.previous()
    current_period = Q(opened_at__gte=figure_filter.since, opened_at__lt=figure_filter.until)
    previous_period = Q(opened_at__gte=previous.since, opened_at__lt=previous.until)
    both = facts_in(figure_filter, dated=False).filter(opened_at__gte=previous.since, opened_at__lt=figure_filter.until)
    raw = both.aggregate(**_period_aggregates(current_period, "now_"), **_period_aggregates(previous_period, "was_"))
    now = {key[4:]: value for key, value in raw.items() if key.startswith("now_")}
    was = {key[4:]: value for key, value in raw.items() if key.startswith("was_")}
    for period_raw, period in ((now, figure_filter), (was, previous)):
        if connection.vendor == "postgresql":
            _unpack_percentiles(period_raw)
        else:
            period_raw.update(_python_percentiles(facts_in(period)))
        # Its own query: as a semi-join it costs 2 ms, as a condition inside the aggregates 55 ms.
        period_raw["during_incidents"] = facts_in(period).filter(in_progress_during_incident()).count()
    return _headline(now), _headline(was)


def _names(model: type, ids: set[Any], field: str = "name") -> dict[Any, str]:
    return dict(model.objects.filter(pk__in=ids).values_list("pk", field))  # type: ignore[attr-defined]


def weekly_breakdown(figure_filter: FigureFilter) -> list[dict[str, Any]]:
    """Complaints per week (weeks start on Monday, in TIME_ZONE), each by category (slug), root cause and
    channel (their codes; "" for none yet)."""
    rows = list(
        facts_in(figure_filter)
        .annotate(week=TruncWeek("opened_at", tzinfo=site_zone()))
        .order_by()
        .values_list("week", "category_id", "root_cause", "channel")
        .annotate(n=Count("pk"))
    )
    first_week = figure_filter.start - timedelta(days=figure_filter.start.weekday())
    weeks: dict[date, dict[str, Any]] = {}
    week = first_week
    while week <= figure_filter.end:
        weeks[week] = {"week": week, "complaints": 0, "by_category": {}, "by_root_cause": {}, "by_channel": {}}
        week += timedelta(days=7)
    slugs = dict(Category.objects.filter(pk__in={row[1] for row in rows if row[1]}).values_list("pk", "slug"))
    for week_start, category_id, root_cause, channel, n in rows:
        if isinstance(week_start, datetime):
            week_start = timezone.localtime(week_start, site_zone()).date()
        entry = weeks[week_start]
        entry["complaints"] += n
        for group, code in (
            ("by_category", slugs.get(category_id, "")),
            ("by_root_cause", root_cause),
            ("by_channel", channel),
        ):
            entry[group][code] = entry[group].get(code, 0) + n
    return list(weeks.values())


def totals(weeks: list[dict[str, Any]], group: str) -> list[tuple[str, int]]:
    """A week-by-week breakdown summed over the period, largest first: (code, complaints)."""
    summed: dict[str, int] = {}
    for entry in weeks:
        for code, n in entry[group].items():
            summed[code] = summed.get(code, 0) + n
    return sorted(summed.items(), key=lambda item: (-item[1], item[0]))


def labels(group: str) -> dict[str, str]:
    """The words for a breakdown's codes ("" is a case without one)."""
    if group == "by_category":
        return {"": "No category", **dict(Category.objects.values_list("slug", "name"))}
    if group == "by_root_cause":
        return {"": "Not resolved yet", **dict(RootCause.choices)}
    return dict(CaseChannel.choices)


def promise_outcomes_per_team(figure_filter: FigureFilter) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = list(
        facts_in(figure_filter)  # type: ignore[arg-type]
        .order_by()
        .values("team_id")
        .annotate(**{name: Sum(name) for name in SUMMED if name.startswith("promises_")})
    )
    teams = _names(Team, {row["team_id"] for row in rows if row["team_id"]})
    result = [
        {
            "team": teams.get(row["team_id"], "No team (in the queue)"),
            "team_id": row["team_id"],
            "kept_on_time": row["promises_kept_on_time"] or 0,
            "kept_late": row["promises_kept_late"] or 0,
            "rescheduled_before_due": row["promises_rescheduled"] or 0,
            "broken": row["promises_broken"] or 0,
            "withdrawn": row["promises_withdrawn"] or 0,
        }
        for row in rows
    ]
    return sorted(result, key=lambda row: row["team"])


def open_by_age(figure_filter: FigureFilter, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    facts = facts_in(figure_filter, dated=False)
    return facts.aggregate(**{key: Count("pk", filter=age_band_condition(key, now)) for key, *_ in AGE_BANDS})


def incident_figures(figure_filter: FigureFilter) -> dict[str, int]:
    """Incidents started in the period (of the chosen service) and the notices sent about them."""
    incidents = Incident.objects.filter(started_at__gte=figure_filter.since, started_at__lt=figure_filter.until)
    if figure_filter.service is not None:
        incidents = incidents.filter(services=figure_filter.service)
    updates = IncidentUpdate.objects.filter(incident__in=incidents).order_by().values_list("pk", flat=True)
    batches = [incident_update_batch(IncidentUpdate(pk=pk)) for pk in updates]
    sent = OutboundEmail.objects.filter(batch__in=batches, state=EmailState.SENT).count() if batches else 0
    return {"incidents": incidents.values("pk").distinct().count(), "notices_sent": sent}


def figures(figure_filter: FigureFilter, now: datetime | None = None) -> dict[str, Any]:
    """Everything the dashboard, GET figures/ and the CSV show, in a fixed number of queries."""
    current, previous = headline_figures(figure_filter)
    weeks = weekly_breakdown(figure_filter)
    return {
        **current,
        **incident_figures(figure_filter),
        "previous": {**previous, **incident_figures(figure_filter.previous())},
        "per_week": weeks,
        "promise_outcomes_per_team": promise_outcomes_per_team(figure_filter),
        "open_by_age": open_by_age(figure_filter, now),
    }


def shared_figures(figure_filter: FigureFilter) -> dict[str, Any]:
    """figures(), computed once per filter (and scope) every FIGURES_CACHE_SECONDS and shared by everyone who
    asks meanwhile: 90 days of 100,000 cases take a third of a second to count."""
    seconds = settings.FIGURES_CACHE_SECONDS
    if not seconds:
        return figures(figure_filter)
    key = "figures:" + hashlib.sha256(repr(figure_filter).encode()).hexdigest()
    return cast(dict[str, Any], cache.get_or_set(key, lambda: figures(figure_filter), seconds))


# --- What the figures are filtered by ---------------------------------------------------------------------


def filter_choices(teams: list[int] | None) -> dict[str, list[tuple[Any, str]]]:
    """The period picker's lists: the teams the caller sees, categories, channels, services."""
    team_rows = Team.objects.order_by("name")
    if teams is not None:
        team_rows = team_rows.filter(pk__in=teams)
    return {
        "team": list(team_rows.values_list("pk", "name")),
        "category": list(Category.objects.order_by("name").values_list("slug", "name")),
        "channel": list(CaseChannel.choices),
        "service": list(Service.objects.order_by("name").values_list("pk", "name")),
        "root_cause": list(RootCause.choices),
    }


def as_rows(figure_filter: FigureFilter, result: dict[str, Any]) -> Iterator[list[Any]]:
    """The figures as CSV rows: each headline figure with the previous period's value, then the weeks."""
    previous = result["previous"]
    for key, value in result.items():
        if isinstance(value, int | float) or value is None:
            yield [f"{figure_filter.start} to {figure_filter.end}", key, "", value, previous.get(key)]
    for key, n in result["open_by_age"].items():
        yield ["now", key, "", n, ""]
    for entry in result["per_week"]:
        yield [f"week of {entry['week']}", "complaints", "", entry["complaints"], ""]
        for group in ("by_category", "by_root_cause", "by_channel"):
            for name, n in sorted(entry[group].items()):
                yield [f"week of {entry['week']}", f"complaints {group.replace('_', ' ')}", name, n, ""]
    for row in result["promise_outcomes_per_team"]:
        for outcome in ("kept_on_time", "kept_late", "rescheduled_before_due", "broken", "withdrawn"):
            yield [
                f"{figure_filter.start} to {figure_filter.end}",
                f"promises {outcome}",
                row["team"],
                row[outcome],
                "",
            ]


FIGURES_CSV_HEADER = ["period", "figure", "of", "value", "previous period"]
