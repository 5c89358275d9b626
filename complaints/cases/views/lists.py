"""The lists agents and leads work from: My cases, case search, the team queue (take, assign), the team
view, and the customer page's cases."""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from complaints import permissions
from complaints.cases import forms, selectors, services
from complaints.incidents.selectors import incidents_affecting
from complaints.models import Case
from complaints.promises.selectors import promises_at_risk_ids, team_promise_counts, team_promises_at_risk
from config.http import StaffRequest
from config.pagination import CappedPaginator
from crm.exceptions import DomainError
from crm.models import Customer
from crm.names import staff_display_name
from crm.permissions import StaffUser, staff_required

PAGE_SIZE = 50
RECENTLY_RESOLVED_SHOWN = 20
CUSTOMER_CASES_SHOWN = 50


@staff_required
def my_cases(request: StaffRequest) -> HttpResponse:
    page = Paginator(selectors.my_cases(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/cases/my_cases.html",
        {
            "page": page,
            "counters": selectors.my_case_counters(user=request.user),
            "at_risk": promises_at_risk_ids(user=request.user),
            "recently_resolved": selectors.my_recently_resolved(user=request.user)[:RECENTLY_RESOLVED_SHOWN],
            "recently_resolved_days": selectors.RECENTLY_RESOLVED_DAYS,
        },
    )


@staff_required
def case_search(request: StaffRequest) -> HttpResponse:
    """Find any case: by reference (GD-000123 or 123), the customer's name (any part, any script), email,
    phone (any format) or the order reference."""
    q = request.GET.get("q", "")[:200].strip()
    cases = selectors.case_search(user=request.user, q=q)
    page = CappedPaginator(cases, PAGE_SIZE).get_page(request.GET.get("page")) if q else None
    context = {
        "q": q,
        "page": page,
        "customer_limit": selectors.SEARCH_CUSTOMER_LIMIT,
        "can_export": permissions.can_export_cases(request.user),
    }
    return render(request, "complaints/cases/search.html", context)


def _assign_choices(user: StaffUser) -> list[tuple[str, str]]:
    """Whom this lead or manager may assign queue cases to (none for everyone else): one query per page."""
    if not permissions.can_assign(user):
        return []
    return forms.AssignForm(user=user).fields["to"].choices  # type: ignore[attr-defined]


def _queue_context(request: StaffRequest, number: str | None = None) -> dict[str, Any]:
    # Counted to 1,000: a backlog grows with what comes in (33,000 in the bench: 3.5 to 12 ms to count them all).
    page = CappedPaginator(selectors.team_queue(user=request.user), PAGE_SIZE).get_page(number)
    return {"page": page, "assign_choices": _assign_choices(request.user)}


@staff_required
def team_queue(request: StaffRequest) -> HttpResponse:
    return render(request, "complaints/cases/team_queue.html", _queue_context(request, request.GET.get("page")))


def _from_queue(
    request: StaffRequest, reference: str, give: Callable[[Case], Case], done: Callable[[Case], HttpResponse]
) -> HttpResponse:
    """Take or assign a queue row. Any case by reference, in sight or not: one taken a moment ago by
    another team answers 409 naming its owner, not 404. With htmx the row says what happened (200, so
    htmx swaps it); without, the queue page does."""
    try:
        case = selectors.case_detail(user=request.user, reference=reference, scoped=False)
    except Case.DoesNotExist:
        raise Http404 from None
    try:
        case = give(case)
    except DomainError as error:
        if request.htmx:
            return render(request, "complaints/cases/_queue_row.html", {"case": case, "error": error.detail})
        context = _queue_context(request) | {"error": error.detail}
        return render(request, "complaints/cases/team_queue.html", context, status=error.status_code)
    return done(case)


@staff_required
@require_POST
def take(request: StaffRequest, reference: str) -> HttpResponse:
    def taken(case: Case) -> HttpResponse:
        if request.htmx:
            return render(request, "complaints/cases/_queue_row.html", {"case": case, "taken": True})
        messages.success(request, f"{case.reference} is yours now, to the end.")
        return redirect("complaints:case-detail", reference=case.reference)

    return _from_queue(request, reference, lambda case: services.case_take(case=case, agent=request.user), taken)


@staff_required
@require_POST
def assign_from_queue(request: StaffRequest, reference: str) -> HttpResponse:
    """A lead or manager gives a queue row its owner, who is told."""

    def assign(case: Case) -> Case:
        form = forms.AssignForm(request.POST, case=case, user=request.user)
        # The form offers only people this user may assign to; anything else is the service's refusal too.
        to = form.cleaned_data["to"] if form.is_valid() else request.POST.get("to", "")
        return services.case_assign(case=case, by=request.user, to=to)

    def assigned(case: Case) -> HttpResponse:
        done = f"{case.reference} is now {staff_display_name(case.owner)}'s case; they have been told."
        if request.htmx:
            return render(request, "complaints/cases/_queue_row.html", {"case": case, "assigned": done})
        messages.success(request, done)
        return redirect("complaints:team-queue")

    return _from_queue(request, reference, assign, assigned)


def customer_cases_section(request: HttpRequest, customer: Customer) -> str:
    """The customer page's cases (open first) and the incidents that affected them (crm shows it)."""
    user = cast(StaffUser, request.user)
    cases = selectors.customer_cases(user=user, customer=customer)
    context = {
        "customer": customer,
        "cases": cases[:CUSTOMER_CASES_SHOWN],
        "shown": CUSTOMER_CASES_SHOWN,
        "incidents": incidents_affecting(customer=customer),
    }
    return render_to_string("complaints/cases/_customer_cases.html", context, request=request)


@staff_required
def team_view(request: StaffRequest) -> HttpResponse:
    if not permissions.can_lead_team(request.user):
        raise PermissionDenied
    lead = request.user
    at_risk = list(team_promises_at_risk(lead=lead))
    return render(
        request,
        "complaints/cases/team.html",
        {
            "cases": selectors.team_cases(lead=lead),
            "at_risk": at_risk,
            "at_risk_cases": {promise.case_id for promise in at_risk},
            "escalations": selectors.escalations_waiting(user=lead),
            "promise_counts": team_promise_counts(lead=lead, days=selectors.TEAM_FIGURE_DAYS),
            "handovers": selectors.team_handover_count(lead=lead),
            "figure_days": selectors.TEAM_FIGURE_DAYS,
        },
    )
