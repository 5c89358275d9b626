"""Public pages, no login: the complaint form, and the customer's private status page with its four
actions (reply, rate, reopen, ask for a manager). Whatever the customer typed comes back on any error."""

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from complaints.incidents.selectors import open_incidents
from complaints.intake import forms, selectors, services
from complaints.intake.customer_actions import CUSTOMER_ACTIONS
from complaints.intake.next_steps import what_happens_next
from complaints.intake.throttling import (
    PublicComplaintThrottle,
    StatusActionAddressThrottle,
    StatusActionLinkThrottle,
    first_refusal,
)
from complaints.models import Case
from config.throttling import AtomicRateThrottle
from crm.exceptions import DomainError
from crm.sections import render_sections
from crm.times import in_site_time_zone


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def complain(request: HttpRequest) -> HttpResponse:
    """The public complaint form. Whatever the customer typed comes back on any error."""
    form = forms.ComplaintForm(request.POST or None)
    if request.method == "POST":
        refusal = first_refusal(request, [PublicComplaintThrottle()])
        if refusal is not None:
            return too_many(request, refusal)
        if form.is_valid():
            data = form.cleaned_data
            if data.pop("website"):
                # A bot filled the honeypot: thank it, keep nothing.
                return render(request, "complaints/intake/thanks.html", {})
            try:
                case = services.complaint_submit(**data)
            except DomainError as error:
                form.add_domain_error(error)
            else:
                # Never the status link here: it goes by email to the address typed, the proof it is theirs.
                thanks = {"reference": case.reference, "next_step": what_happens_next(data)}
                return render(request, "complaints/intake/thanks.html", thanks, status=201)
    status = 400 if request.method == "POST" else 200
    # Known problems first: the customer may see theirs is already being fixed.
    page: dict[str, Any] = {"form": form, "incidents": open_incidents(limit=5)}
    return render(request, "complaints/intake/complain.html", page, status=status)


def too_many(request: HttpRequest, throttle: AtomicRateThrottle) -> HttpResponse:
    wait = throttle.wait()
    response = render(request, "complaints/intake/too_many.html", {"minutes": max(1, wait // 60)}, status=429)
    response["Retry-After"] = str(wait)
    return response


def _customer_case(token: str) -> Case:
    try:
        return selectors.case_for_customer(token=token)
    except Case.DoesNotExist:
        raise Http404 from None


@never_cache
@require_http_methods(["GET", "POST"])
@in_site_time_zone
def case_status(request: HttpRequest, token: str, action: str | None = None) -> HttpResponse:
    """The customer's status page: what is happening, and replying, rating, reopening, asking for a manager.
    Each action ends back on the page with a line saying what happens next."""
    case = _customer_case(token)
    bound: dict[str, Form] = {}
    status = 200
    if request.method == "POST":
        if action not in CUSTOMER_ACTIONS:
            raise Http404
        refusal = first_refusal(request, [StatusActionLinkThrottle(token), StatusActionAddressThrottle()])
        if refusal is not None:
            return too_many(request, refusal)
        form = CUSTOMER_ACTIONS[action].form(request.POST, prefix=action)
        if form.is_valid():
            try:
                done = CUSTOMER_ACTIONS[action].perform(case, form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(error)  # type: ignore[attr-defined]
                status = error.status_code
            else:
                messages.success(request, done)
                return redirect("case-status", token=token)
        else:
            status = 400
        bound[action] = form
    view = selectors.customer_view_of(case)
    forms_by_action = {name: customer_action.form(prefix=name) for name, customer_action in CUSTOMER_ACTIONS.items()}
    # What the status allows (a rating once per resolution), and the form just posted (so its answer, an
    # error too, is always in view).
    offered = {name for name, customer_action in CUSTOMER_ACTIONS.items() if case.can(customer_action.allowed_by)}
    if (resolution := view["resolution"]) is not None:
        if resolution["rating"]:
            offered.discard("rate")
        if resolution["reopen_until"] is None or resolution["reopen_until"] < timezone.now():
            offered.discard("reopen")
    context = {
        "view": view,
        "case": case,
        "forms": forms_by_action | bound,
        "offered": offered | set(bound),
        # What other apps offer the customer here (recognition: "Would you like to thank Anna?").
        "sections": render_sections("status", request, case),
    }
    return render(request, "complaints/intake/status.html", context, status=status)
