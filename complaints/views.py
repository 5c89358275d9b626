"""Agent and lead pages. Each action posts to its own URL, calls one service, and answers with
the whole page (no JavaScript) or the case panel partial (HTMX), keeping what was typed on error."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from complaints import forms, permissions, selectors, services
from complaints.models import ActorKind, Case, Incident, IncidentUpdate, Promise, Status
from complaints.throttling import PublicComplaintThrottle
from crm import selectors as crm_selectors
from crm.exceptions import DomainError
from crm.models import Customer, Role
from crm.permissions import staff_required

PAGE_SIZE = 50


def _case_or_404(request: HttpRequest, reference: str) -> Case:
    try:
        return selectors.case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        raise Http404 from None


def _promise(case: Case, promise_id) -> Promise:
    return get_object_or_404(Promise, pk=promise_id, case=case)


# Each action: its form, and how it calls its one service with the cleaned data.
ACTIONS = {
    "note": (forms.NoteForm, lambda case, user, d: services.case_add_note(case=case, by=user, **d)),
    "message": (forms.MessageForm, lambda case, user, d: services.case_message_customer(case=case, by=user, **d)),
    "promise": (forms.PromiseForm, lambda case, user, d: services.promise_make(case=case, by=user, **d)),
    "keep": (
        forms.KeepForm,
        lambda case, user, d: services.promise_keep(promise=_promise(case, d["promise"]), by=user),
    ),
    "reschedule": (
        forms.RescheduleForm,
        lambda case, user, d: services.promise_reschedule(
            promise=_promise(case, d["promise"]), by=user, due_at=d["due_at"], reason=d["reason"]
        ),
    ),
    "escalate": (
        forms.EscalateForm,
        lambda case, user, d: services.case_escalate(
            case=case, by=user, reason=d["reason"], level=d["level"] or None, to=d["to"] or None
        ),
    ),
    "handover": (forms.HandoverForm, lambda case, user, d: services.case_handover(case=case, by=user, **d)),
    "resolve": (forms.ResolveForm, lambda case, user, d: services.case_resolve(case=case, by=user, **d)),
    "reopen": (forms.ReopenForm, lambda case, user, d: services.case_reopen(case=case, by=user, **d)),
}


def _case_context(request: HttpRequest, case: Case, bound: dict | None = None) -> dict:
    newest_first = request.GET.get("order") == "newest"
    action_forms = {name: form_class() for name, (form_class, _) in ACTIONS.items()}
    action_forms.update(bound or {})
    return {
        "case": case,
        "timeline": selectors.case_timeline(case=case, newest_first=newest_first),
        "newest_first": newest_first,
        "forms": action_forms,
        "can_change": permissions.can_change(request.user, case),
        "open_promises": [p for p in case.promises.all() if p.status == "open"],
        "open_incidents": Incident.objects.exclude(status="resolved").order_by("-started_at")[:20],
        "Status": Status,
    }


@staff_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    return render(request, "complaints/case_detail.html", _case_context(request, case))


@staff_required
@require_POST
def case_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    case = _case_or_404(request, reference)
    form_class, call = ACTIONS[action]
    form = form_class(request.POST)
    status = 200
    if form.is_valid():
        try:
            call(case, request.user, form.cleaned_data)
        except DomainError as error:
            form.add_domain_errors(error.errors, error.detail)
            status = error.status_code
        else:
            if not request.htmx:
                return redirect("complaints:case-detail", reference=case.reference)
            case = _case_or_404(request, reference)
            return render(request, "complaints/_case_panel.html", _case_context(request, case))
    else:
        status = 400
    context = _case_context(request, case, bound={action: form})
    context["failed_action"] = action
    if request.htmx:
        # htmx does not swap 4xx answers by default: the error is in the re-rendered panel.
        return render(request, "complaints/_case_panel.html", context)
    return render(request, "complaints/case_detail.html", context, status=status)


@staff_required
def my_cases(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "complaints/my_cases.html",
        {
            "cases": selectors.my_cases(user=request.user)[:200],
            "counters": selectors.my_case_counters(user=request.user),
            "at_risk": selectors.promises_at_risk_ids(user=request.user),
        },
    )


@staff_required
def team_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.team_queue(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "complaints/team_queue.html", {"page": page})


@staff_required
@require_POST
def take(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    try:
        case = services.case_take(case=case, agent=request.user)
    except DomainError as error:
        if request.htmx:
            return render(request, "complaints/_queue_row.html", {"case": case, "error": error.detail})
        return render(
            request,
            "complaints/team_queue.html",
            {"page": Paginator(selectors.team_queue(user=request.user), PAGE_SIZE).get_page(1), "error": error.detail},
            status=error.status_code,
        )
    if request.htmx:
        return render(request, "complaints/_queue_row.html", {"case": case, "taken": True})
    return redirect("complaints:case-detail", reference=case.reference)


@staff_required
@require_http_methods(["GET", "POST"])
def log_contact(request: HttpRequest) -> HttpResponse:
    form = forms.LogContactForm(request.POST or None)
    similar: list[Customer] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        customer = None
        if data["customer"]:
            customer = Customer.objects.filter(pk=data["customer"]).first()
            if customer is None:
                form.add_error("customer", "No customer has this number.")
        else:
            similar = crm_selectors.customers_similar(name=data["full_name"], email=data["email"], phone=data["phone"])
            if similar and not data["not_a_duplicate"]:
                return render(request, "complaints/log_contact.html", {"form": form, "similar": similar}, status=200)
        if not form.errors:
            new_customer = {k: data[k] for k in ("full_name", "title", "email", "phone")} if customer is None else None
            try:
                case = services.case_log_contact(
                    by=request.user,
                    customer=customer,
                    new_customer=new_customer,
                    **{
                        k: data[k]
                        for k in (
                            "channel",
                            "subject",
                            "description",
                            "outcome_wanted",
                            "category",
                            "severity",
                            "acknowledged_by_phone",
                        )
                    },
                )
            except DomainError as error:
                form.add_domain_errors(error.errors, error.detail)
            else:
                return redirect("complaints:case-detail", reference=case.reference)
    status = 400 if request.method == "POST" else 200
    return render(request, "complaints/log_contact.html", {"form": form, "similar": similar}, status=status)


@staff_required
def lead_view(request: HttpRequest) -> HttpResponse:
    roles = permissions.roles_of(request.user)
    if not roles & {Role.LEAD, Role.MANAGER}:
        raise PermissionDenied
    cases = list(selectors.team_cases(lead=request.user)[:200])
    owners = {case.owner for case in cases if case.owner}
    return render(
        request,
        "complaints/lead_view.html",
        {
            "cases": cases,
            "at_risk": selectors.team_promises_at_risk(lead=request.user),
            "escalations": selectors.escalations_waiting(user=request.user),
            "promise_counts": [
                (owner, selectors.promise_counts(owner=owner)) for owner in sorted(owners, key=lambda u: u.username)
            ],
            "shuffles": selectors.team_handover_count(lead=request.user),
        },
    )


# --- Public pages: no login ---------------------------------------------------------------


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def complain(request: HttpRequest) -> HttpResponse:
    """The public complaint form. Whatever the customer typed comes back on any error."""
    form = forms.ComplaintForm(request.POST or None)
    if request.method == "POST":
        throttle = PublicComplaintThrottle()
        if not throttle.allow_request(request, None):
            wait = int(throttle.wait() or 60)
            response = render(request, "complaints/public/too_many.html", {"minutes": max(1, wait // 60)}, status=429)
            response["Retry-After"] = str(wait)
            return response
        if form.is_valid():
            data = form.cleaned_data
            if data.pop("website"):
                # A bot filled the honeypot: thank it, keep nothing.
                return render(request, "complaints/public/thanks.html", {"case": None})
            try:
                case = services.complaint_submit(**data)
            except DomainError as error:
                form.add_domain_errors(error.errors)
            else:
                return render(request, "complaints/public/thanks.html", {"case": case}, status=201)
    status = 400 if request.method == "POST" else 200
    # Known problems first: the customer may see theirs is already being fixed.
    known = Incident.objects.exclude(status="resolved").prefetch_related("services").order_by("-started_at")[:5]
    return render(request, "complaints/public/complain.html", {"form": form, "incidents": known}, status=status)


CUSTOMER_ACTIONS = {
    "reply": forms.CustomerReplyForm,
    "rate": forms.RatingForm,
    "reopen": forms.CustomerReasonForm,
    "escalate": forms.CustomerReasonForm,
}


def _customer_case(token: str) -> Case:
    try:
        return selectors.case_for_customer(token=token)
    except Case.DoesNotExist:
        raise Http404 from None


@never_cache
@require_http_methods(["GET", "POST"])
def case_status(request: HttpRequest, token: str, action: str | None = None) -> HttpResponse:
    """The customer's status page: what is happening, and replying, rating, reopening, asking for a manager."""
    case = _customer_case(token)
    bound: dict = {}
    status = 200
    if request.method == "POST":
        if action not in CUSTOMER_ACTIONS:
            raise Http404
        form = CUSTOMER_ACTIONS[action](request.POST, prefix=action)
        if form.is_valid():
            try:
                _customer_action(case, action, form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.detail)
                for field, messages in error.errors.items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
                status = error.status_code
            else:
                return redirect("case-status", token=token)
        else:
            status = 400
        bound[action] = form
    forms_by_action = {name: cls(prefix=name) for name, cls in CUSTOMER_ACTIONS.items()} | bound
    context = {"view": selectors.customer_view_of(case), "case": case, "forms": forms_by_action, "Status": Status}
    return render(request, "complaints/public/status.html", context, status=status)


def _customer_action(case: Case, action: str, data: dict) -> None:
    if action == "reply":
        services.case_customer_message(case=case, text=data["text"])
    elif action == "rate":
        services.case_rate(case=case, score=data["score"], comment=data["comment"])
    elif action == "reopen":
        services.case_reopen(case=case, by=None, reason=data["reason"], actor_kind=ActorKind.CUSTOMER)
    else:
        services.case_customer_escalation(case=case, reason=data["reason"])


# --- Incidents (leads and managers), the public incidents page, notice preferences ---------------------


def _require_incident_role(request: HttpRequest) -> None:
    if not permissions.roles_of(request.user) & {Role.LEAD, Role.MANAGER, Role.EXECUTIVE}:
        raise PermissionDenied


@staff_required
@require_http_methods(["GET", "POST"])
def incidents(request: HttpRequest) -> HttpResponse:
    _require_incident_role(request)
    form = forms.IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_declare(by=request.user, **form.cleaned_data)
        except DomainError as error:
            for field, messages in error.errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect("complaints:incident", pk=incident.pk)
    listing = Incident.objects.prefetch_related("services").order_by("-started_at")[:100]
    return render(
        request, "complaints/incidents.html", {"form": form, "incidents": listing}, status=400 if form.errors else 200
    )


def _incident_context(incident: Incident, form=None, previews=None) -> dict:
    updates = list(incident.updates.select_related("written_by__staff_profile"))
    return {
        "incident": incident,
        "affected": selectors.incident_audience(incident=incident).count(),
        "previews": previews or [],
        "updates": [(update, selectors.delivery_counts(update=update)) for update in reversed(updates)],
        "form": form or forms.IncidentUpdateForm(),
    }


@staff_required
@require_http_methods(["GET", "POST"])
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_incident_role(request)
    incident = get_object_or_404(Incident.objects.prefetch_related("services"), pk=pk)
    form = forms.IncidentUpdateForm(request.POST or None)
    previews = None
    if request.method == "POST" and form.is_valid() and "preview" in request.POST:
        data = form.cleaned_data
        previews = services.incident_preview(
            incident=incident, subject=data["subject"], body=data["body"], next_update_by=data["next_update_by"]
        )
    elif request.method == "POST" and form.is_valid():
        try:
            services.incident_publish_update(incident=incident, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_errors(error.errors, error.detail)
        else:
            return redirect("complaints:incident", pk=incident.pk)
    return render(
        request,
        "complaints/incident_detail.html",
        _incident_context(incident, form, previews),
        status=400 if form.errors else 200,
    )


@staff_required
def incident_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The delivery progress partial, polled by HTMX while emails go out."""
    _require_incident_role(request)
    incident = get_object_or_404(Incident, pk=pk)
    return render(request, "complaints/_incident_progress.html", _incident_context(incident))


@staff_required
@require_POST
def incident_retry(request: HttpRequest, pk: int, update_id: int) -> HttpResponse:
    _require_incident_role(request)
    update = get_object_or_404(IncidentUpdate, pk=update_id, incident_id=pk)
    services.incident_retry_failed(update=update, by=request.user)
    return redirect("complaints:incident", pk=pk)


@staff_required
@require_POST
def link_incident(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    form = forms.LinkIncidentForm(request.POST)
    if form.is_valid():
        services.incident_link_case(case=case, incident=form.cleaned_data["incident"], by=request.user)
    return redirect("complaints:case-detail", reference=case.reference)


def public_incidents(request: HttpRequest) -> HttpResponse:
    """Like a status page: open and recently resolved incidents with what customers were told."""
    recent = timezone.now() - timedelta(days=7)
    shown = (
        Incident.objects.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=recent))
        .prefetch_related("services", "updates")
        .order_by("-started_at")
    )
    return render(request, "complaints/public/incidents.html", {"incidents": shown})


@csrf_exempt  # one-click unsubscribe (RFC 8058) posts from the mail client; the signed token is the key
@require_http_methods(["GET", "POST"])
def service_notices(request: HttpRequest, token: str) -> HttpResponse:
    """Stop incident emails: the link in every notice (and one-click List-Unsubscribe-Post)."""
    customer = services.customer_from_notices_token(token)
    if customer is None:
        raise Http404
    if request.method == "POST":
        customer = services.customer_stop_service_notices(customer=customer)
    return render(request, "complaints/public/notices.html", {"customer": customer, "token": token})
