"""The figures' pages: the dashboard (executives' and managers' home; a lead sees their teams'), its CSV,
and the cases behind any figure (a list with the same filter, and its CSV). Every app adds its section to
the dashboard (crm.sections, page "dashboard")."""

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from complaints import permissions
from complaints.cases.selectors import CASE_EXPORT_HEADER, case_export_rows, with_list_joins
from complaints.figures import charts, selectors, services
from complaints.figures.cases_behind import cases_behind, is_about_today
from complaints.figures.forms import FigureFilterForm
from complaints.figures.headline import headline, shown
from config.http import StaffRequest
from config.pagination import CappedPaginator
from crm.permissions import staff_required
from crm.sections import render_sections
from crm.spreadsheets import csv_download
from crm.times import site_today

PAGE_SIZE = 50
BREAKDOWNS = [
    ("By category", "by_category", "category"),
    ("By root cause", "by_root_cause", "root_cause"),
    ("By channel", "by_channel", "channel"),
]

# The headline figures' rows in the figures table, grouped as the page shows them: (key, label, the figure
# whose cases it links to).
TABLE: list[tuple[str, list[tuple[str, str, str | None]]]] = [
    (
        "Complaints and answers",
        [
            ("complaints", "Complaints", "complaints"),
            ("acknowledge_median_hours", "Time to acknowledge, median", "acknowledged"),
            ("acknowledge_p90_hours", "Time to acknowledge, 90th percentile", "acknowledged"),
            ("first_reply_median_hours", "Time to our first reply, median", "replied"),
            ("first_reply_p90_hours", "Time to our first reply, 90th percentile", "replied"),
            ("resolved", "Resolved", "resolved"),
            ("resolve_median_hours", "Time to resolve, median", "resolved"),
            ("resolve_p90_hours", "Time to resolve, 90th percentile", "resolved"),
            (
                "first_contact_resolution_share",
                "Resolved on first contact (share of resolved)",
                "resolved_on_first_contact",
            ),
            ("reopened_share", "Reopened (share of resolved)", "reopened"),
        ],
    ),
    (
        "One owner",
        [
            ("handovers", "Handovers", "handed_over"),
            ("handovers_per_100_cases", "Handovers per 100 cases", "handed_over"),
            ("handed_over_more_than_once", "Cases handed over more than once", "handed_over_more_than_once"),
            ("escalations_to_lead", "Escalations to a team lead", "escalated_to_lead"),
            ("escalations_to_manager", "Escalations to a manager", "escalated_to_manager"),
            ("escalations_to_executive", "Escalations to an executive", "escalated_to_executive"),
            ("escalations_asked_by_customer", "Escalations the customer asked for", "escalated_by_customer"),
        ],
    ),
    (
        "Promises",
        [
            ("promises_kept_on_time", "Kept on time", "promise_kept_on_time"),
            ("promises_kept_late", "Kept late", "promise_kept_late"),
            ("promises_rescheduled_before_due", "Rescheduled before due, the customer told", "promise_rescheduled"),
            ("promises_broken", "Broken", "promise_broken"),
            ("promises_withdrawn", "Withdrawn, the customer told", "promise_withdrawn"),
        ],
    ),
    (
        "Satisfaction",
        [
            ("ratings", "Ratings", "rated"),
            ("average_rating", "Average rating (1 to 5)", "rated"),
            ("rated_share", "Share of resolved cases rated", "rated"),
            ("low_ratings", "Ratings of 1 or 2", "rated_low"),
        ],
    ),
    (
        "Incidents",
        [
            ("incidents", "Incidents started", None),
            ("notices_sent", "Incident notices sent", None),
            ("complaints_during_incidents", "Complaints about a service during its incident", "during_incidents"),
        ],
    ),
]


def _filter_form(request: StaffRequest) -> FigureFilterForm:
    if not permissions.can_see_figures(request.user):
        raise PermissionDenied
    return FigureFilterForm(request.GET, user=request.user)


def _cases_link(figure_filter: selectors.FigureFilter, figure: str | None, **more: Any) -> str:
    if figure is None:
        return ""
    return f"{reverse('complaints:figure-cases')}?{urlencode(figure_filter.query(figure=figure, **more))}"


PRESETS = [("Last 7 days", 7), ("Last 28 days", 28), ("Last 90 days", 90), ("Last 365 days", 365)]


def _presets(figure_filter: selectors.FigureFilter) -> list[tuple[str, str, bool]]:
    """The period picker's shortcuts, ending today, keeping the other filters: (label, query, chosen)."""
    today = site_today()
    shortcuts = []
    for label, days in PRESETS:
        period = replace(figure_filter, start=today - timedelta(days=days - 1), end=today)
        chosen = (figure_filter.start, figure_filter.end) == (period.start, period.end)
        shortcuts.append((label, urlencode(period.query()), chosen))
    return shortcuts


def _week_link(figure_filter: selectors.FigureFilter, week: date) -> str:
    """The cases opened in that week (and in the period)."""
    start, end = max(week, figure_filter.start), min(week + timedelta(days=6), figure_filter.end)
    return _cases_link(replace(figure_filter, start=start, end=end), "complaints")


def _change(value: Any, previous: Any) -> float | None:
    if not isinstance(value, int | float) or not isinstance(previous, int | float) or not previous:
        return None
    return round((value - previous) / previous * 100, 1)


def _table(figure_filter: selectors.FigureFilter, result: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        (
            heading,
            [
                {
                    "label": label,
                    "value": shown(key, result[key]),
                    "previous": shown(key, result["previous"][key]),
                    "change": _change(result[key], result["previous"][key]),
                    "link": _cases_link(figure_filter, figure),
                }
                for key, label, figure in rows
            ],
        )
        for heading, rows in TABLE
    ]


@staff_required
@require_GET
def dashboard(request: StaffRequest) -> HttpResponse:
    form = _filter_form(request)
    context: dict[str, Any] = {"form": form}
    if not form.is_valid():
        return render(request, "complaints/figures/dashboard.html", context, status=400)
    figure_filter = form.figure_filter()
    services.facts_catch_up_now_and_then()
    result = selectors.shared_figures(figure_filter)
    weeks = result["per_week"]
    breakdowns = []
    for title, group, parameter in BREAKDOWNS:
        words = selectors.labels(group)
        rows = [
            (words.get(code, code), n, _cases_link(figure_filter, "complaints", **{parameter: code}) if code else "")
            for code, n in selectors.totals(weeks, group)
        ]
        chart = charts.horizontal_bars([(label, n) for label, n, _ in rows], title=title)
        breakdowns.append((title, rows, chart))
    age_links = {key: _cases_link(figure_filter, key) for key, *_ in selectors.AGE_BANDS}
    context.update(
        figure_filter=figure_filter,
        previous_period=figure_filter.previous(),
        headline=headline(result, result["previous"]),
        table=_table(figure_filter, result),
        weeks=weeks,
        weekly_chart=charts.weekly_bars(weeks, title="Complaints per week"),
        breakdowns=breakdowns,
        promise_teams=result["promise_outcomes_per_team"],
        open_by_age=[(label, result["open_by_age"][key], age_links[key]) for key, label, *_ in selectors.AGE_BANDS],
        weekly_rows=[(entry, _week_link(figure_filter, entry["week"])) for entry in weeks],
        csv_query=urlencode(figure_filter.query()),
        presets=_presets(figure_filter),
        complaints_link=_cases_link(figure_filter, "complaints"),
        sections=render_sections("dashboard", request, figure_filter),
    )
    return render(request, "complaints/figures/dashboard.html", context)


@staff_required
@require_GET
def figures_csv(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    form = _filter_form(request)
    if not form.is_valid():
        return render(request, "complaints/figures/dashboard.html", {"form": form}, status=400)
    figure_filter = form.figure_filter()
    services.facts_catch_up_now_and_then()
    rows = selectors.as_rows(figure_filter, selectors.shared_figures(figure_filter))
    return csv_download("figures.csv", selectors.FIGURES_CSV_HEADER, rows)


@staff_required
@require_GET
def figure_cases(request: StaffRequest) -> HttpResponse | StreamingHttpResponse:
    """The cases behind a figure: the same filter, as a list (and as CSV with ?format=csv)."""
    form = _filter_form(request)
    if not form.is_valid():
        return render(request, "complaints/figures/dashboard.html", {"form": form}, status=400)
    figure_filter = form.figure_filter()
    figure = request.GET.get("figure", "complaints")
    services.facts_catch_up_now_and_then()
    found = cases_behind(figure_filter, figure, timezone.now())
    if found is None:
        raise Http404("No such figure.")
    title, cases = found
    cases = with_list_joins(permissions.visible_cases(request.user, cases))
    if request.GET.get("format") == "csv":
        return csv_download(f"cases-{figure}.csv", CASE_EXPORT_HEADER, case_export_rows(cases))
    page = CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "figure_filter": figure_filter,
        "figure": figure,
        "title": title,
        "about_today": is_about_today(figure),
        "page": page,
        "query": urlencode(figure_filter.query(figure=figure)),
    }
    return render(request, "complaints/figures/cases.html", context)
