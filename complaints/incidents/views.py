"""Incident pages (leads and managers run them; executives see them): declare, preview the emails,
confirm and publish an update, say how the incident is going, watch delivery progress, retry failures;
link a case from its page; and the public /incidents/ status page."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from complaints import permissions
from complaints.cases.selectors import case_detail
from complaints.exceptions import AudienceChanged
from complaints.incidents import forms, selectors, services
from complaints.incidents.notices import incident_preview
from complaints.models import Case, Incident, IncidentUpdate
from config.http import StaffRequest
from crm.exceptions import DomainError
from crm.permissions import staff_required
from crm.times import in_site_time_zone


def _require_see_incidents(request: StaffRequest) -> None:
    if not permissions.can_see_incidents(request.user):
        raise PermissionDenied


@staff_required
@require_http_methods(["GET", "POST"])
def incidents(request: StaffRequest) -> HttpResponse:
    _require_see_incidents(request)
    form = forms.IncidentForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                incident = services.incident_declare(by=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                return redirect("complaints:incident", pk=incident.pk)
    context = {
        "form": form,
        "incidents": selectors.incident_list(),
        "can_run": permissions.can_run_incidents(request.user),
    }
    return render(request, "complaints/incidents/list.html", context, status=status)


def _progress_context(request: StaffRequest, incident: Incident) -> dict[str, Any]:
    """What the delivery progress partial shows: a fixed number of queries however many updates."""
    updates = list(incident.updates.select_related("written_by__staff_profile"))
    deliveries = {row["update"]: row for row in selectors.delivery_counts(updates=updates)}
    return {
        "incident": incident,
        "updates": [(update, deliveries[update.pk]) for update in reversed(updates)],
        "can_run": permissions.can_run_incidents(request.user),
    }


@staff_required
@require_http_methods(["GET", "POST"])
def incident_detail(request: StaffRequest, pk: int) -> HttpResponse:
    """Publishing takes two steps. A post without the number of customers (Preview, or an old form) shows
    sample emails and "This goes to N customers" with the publish button; that button posts N back as
    `confirm_recipients`, and if the audience changed meanwhile the page asks again instead of sending."""
    _require_see_incidents(request)
    incident = get_object_or_404(Incident.objects.prefetch_related("services"), pk=pk)
    form = forms.IncidentUpdateForm(request.POST or None)
    status, confirming, changed = 200, False, ""
    if request.method == "POST":
        status = 400
        expected = forms.confirmed_recipients(request.POST)
        if form.is_valid() and ("preview" in request.POST or expected is None):
            status, confirming = 200, True
        elif form.is_valid():
            try:
                services.incident_publish_update(
                    incident=incident, by=request.user, expected_recipients=expected, **form.cleaned_data
                )
            except AudienceChanged as error:
                status, confirming, changed = error.status_code, True, error.detail
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                return redirect("complaints:incident", pk=incident.pk)
    return _detail_page(request, incident, form=form, confirming=confirming, changed=changed, status=status)


def _detail_page(
    request: StaffRequest,
    incident: Incident,
    *,
    form: forms.IncidentUpdateForm,
    status_form: forms.IncidentStatusForm | None = None,
    confirming: bool = False,
    changed: str = "",
    status: int = 200,
) -> HttpResponse:
    # How many customers the next update will reach, for the confirmation (each sent update keeps its own).
    affected = selectors.incident_audience(incident=incident).count() if incident.is_open else None
    previews = []
    if confirming:
        data = form.cleaned_data
        previews = incident_preview(
            incident=incident, subject=data["subject"], body=data["body"], next_update_by=data["next_update_by"]
        )
    context = _progress_context(request, incident) | {
        "affected": affected,
        "previews": previews,
        "form": form,
        # What was previewed, posted again as it was typed (hidden, without ids) by the publish button.
        "confirm_form": forms.IncidentUpdateForm(request.POST, auto_id=False) if confirming else None,
        "changed": changed,
        "status_form": status_form or forms.IncidentStatusForm(initial={"status": incident.status}),
    }
    return render(request, "complaints/incidents/detail.html", context, status=status)


@staff_required
@require_POST
def incident_status(request: StaffRequest, pk: int) -> HttpResponse:
    """Say how an open incident is going (shown on the public status page); resolving is an update."""
    _require_see_incidents(request)
    incident = get_object_or_404(Incident.objects.prefetch_related("services"), pk=pk)
    status_form = forms.IncidentStatusForm(request.POST)
    status = 400
    if status_form.is_valid():
        try:
            incident = services.incident_change_status(incident=incident, by=request.user, **status_form.cleaned_data)
        except DomainError as error:
            status_form.add_domain_error(error)
            status = error.status_code
        else:
            messages.success(request, f"The incident's status is now “{incident.get_status_display()}”.")
            return redirect("complaints:incident", pk=incident.pk)
    return _detail_page(request, incident, form=forms.IncidentUpdateForm(), status_form=status_form, status=status)


@staff_required
def incident_progress(request: StaffRequest, pk: int) -> HttpResponse:
    """The delivery progress partial, polled by HTMX while emails go out."""
    _require_see_incidents(request)
    incident = get_object_or_404(Incident, pk=pk)
    return render(request, "complaints/incidents/_progress.html", _progress_context(request, incident))


@staff_required
@require_POST
def incident_retry(request: StaffRequest, pk: int, update_id: int) -> HttpResponse:
    _require_see_incidents(request)
    update = get_object_or_404(IncidentUpdate, pk=update_id, incident_id=pk)
    try:
        retried = services.incident_retry_failed(update=update, by=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"{retried} failed emails will be tried again.")
    return redirect("complaints:incident", pk=pk)


@staff_required
@require_POST
def link_incident(request: StaffRequest, reference: str) -> HttpResponse:
    """From the case page: the case's customer hears every update of the incident."""
    try:
        case = case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        raise Http404 from None
    form = forms.LinkIncidentForm(request.POST)
    if form.is_valid():
        try:
            services.incident_link_case(case=case, incident=form.cleaned_data["incident"], by=request.user)
        except DomainError as error:
            messages.error(request, error.detail)
    else:
        messages.error(request, "Choose one of the open incidents.")
    return redirect("complaints:case-detail", reference=case.reference)


@in_site_time_zone
def public_incidents(request: HttpRequest) -> HttpResponse:
    """Like a status page: open and recently resolved incidents with what customers were told."""
    return render(request, "complaints/incidents/status_page.html", {"incidents": selectors.status_page_incidents()})
