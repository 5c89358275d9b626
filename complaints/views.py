"""Agent and lead pages. Each action posts to its own URL, calls one service, and answers with
the whole page (no JavaScript) or the case panel partial (HTMX), keeping what was typed on error."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from complaints import forms, permissions, selectors, services
from complaints.inbound_email import readable_text, split_address
from complaints.intake_messages import what_happens_next
from complaints.models import (
    ActorKind,
    Case,
    InboundEmail,
    Incident,
    IncidentUpdate,
    Promise,
    PromiseStatus,
    RejectedEmail,
    Status,
)
from complaints.throttling import (
    PublicComplaintThrottle,
    StatusActionAddressThrottle,
    StatusActionLinkThrottle,
    first_refusal,
)
from crm import selectors as crm_selectors
from crm import services as crm_services
from crm.exceptions import DomainError
from crm.models import Customer, Role
from crm.permissions import staff_required

PAGE_SIZE = 50


def _case_or_404(request: HttpRequest, reference: str) -> Case:
    try:
        return selectors.case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        raise Http404 from None


def _promise(case: Case, promise_id: int) -> Promise:
    return get_object_or_404(Promise, pk=promise_id, case=case)


@dataclass(frozen=True)
class Action:
    form_class: type
    label: str
    call: Callable[[Case, Any, dict], Any]


# Each action: its form, its button, and how it calls its one service with the cleaned data.
ACTIONS = {
    "note": Action(forms.NoteForm, "Add an internal note", lambda c, u, d: services.case_add_note(case=c, by=u, **d)),
    "message": Action(
        forms.MessageForm, "Write to the customer", lambda c, u, d: services.case_message_customer(case=c, by=u, **d)
    ),
    "promise": Action(forms.PromiseForm, "Make a promise", lambda c, u, d: services.promise_make(case=c, by=u, **d)),
    "keep": Action(
        forms.KeepForm, "Kept it", lambda c, u, d: services.promise_keep(promise=_promise(c, d["promise"]), by=u)
    ),
    "reschedule": Action(
        forms.RescheduleForm,
        "Reschedule and tell the customer",
        lambda c, u, d: services.promise_reschedule(
            promise=_promise(c, d["promise"]), by=u, due_at=d["due_at"], reason=d["reason"]
        ),
    ),
    "escalate": Action(
        forms.EscalateForm,
        "Escalate (you stay the owner)",
        lambda c, u, d: services.case_escalate(
            case=c, by=u, reason=d["reason"], level=d["level"] or None, to=d["to"] or None
        ),
    ),
    "handover": Action(forms.HandoverForm, "Hand over", lambda c, u, d: services.case_handover(case=c, by=u, **d)),
    "resolve": Action(forms.ResolveForm, "Resolve", lambda c, u, d: services.case_resolve(case=c, by=u, **d)),
    "reopen": Action(forms.ReopenForm, "Reopen", lambda c, u, d: services.case_reopen(case=c, by=u, **d)),
}
PROMISE_ACTIONS = {"keep", "reschedule"}
ACTIVE = (Status.OPEN, Status.WAITING_ON_CUSTOMER)


def _action_form(name: str, data=None, *, promise_id: int | None = None):
    """The form of one action. Ids carry the action (and the promise), so many forms share one page."""
    suffix = f"{name}{promise_id}" if promise_id is not None else name
    initial = {"promise": promise_id} if promise_id is not None else None
    return ACTIONS[name].form_class(data, auto_id=f"id_{suffix}_%s", initial=initial)


def _case_actions(case: Case, can_change: bool) -> list[str]:
    """The case-wide actions this person can take now (promise actions sit with each open promise)."""
    if not can_change:
        return ["note"]
    if case.status in ACTIVE:
        return ["note", "message", "promise", "escalate", "handover", "resolve"]
    if case.status in (Status.RESOLVED, Status.CLOSED):
        return ["note", "reopen"]
    return ["note"]


def _posted_promise_id(request: HttpRequest) -> int | None:
    value = request.POST.get("promise", "")
    return int(value) if value.isdigit() else None


def _errors_of(form) -> list[str]:
    found = list(form.non_field_errors())
    for field in form:
        found.extend(f"{field.label}: {error}" for error in field.errors)
    return found


def _case_context(
    request: HttpRequest, case: Case, *, failed: str | None = None, failed_form=None, failed_promise: int | None = None
) -> dict:
    newest_first = request.GET.get("order") == "newest"
    can_change = permissions.can_change(request.user, case)
    actions = [
        (name, ACTIONS[name].label, failed_form if name == failed else _action_form(name))
        for name in _case_actions(case, can_change)
    ]
    promises = list(case.promises.all())  # prefetched by selectors.case_detail, nearest due first
    open_promises = []
    for promise in (p for p in promises if p.status == PromiseStatus.OPEN):
        promise_forms = {
            name: failed_form
            if failed == name and failed_promise == promise.pk
            else _action_form(name, promise_id=promise.pk)
            for name in PROMISE_ACTIONS
        }
        open_promises.append((promise, promise_forms["keep"], promise_forms["reschedule"]))
    shown = failed in {name for name, _, _ in actions} or (
        failed in PROMISE_ACTIONS and can_change and any(p.pk == failed_promise for p, _, _ in open_promises)
    )
    return {
        "case": case,
        "timeline": selectors.case_timeline(case=case, newest_first=newest_first),
        "newest_first": newest_first,
        "order_query": "?order=newest" if newest_first else "",
        "actions": actions,
        "failed_action": failed,
        # An error for a form that is no longer on the page (the promise was kept meanwhile, the case
        # changed hands): said at the top of the panel instead, so it is never lost.
        "failure": _errors_of(failed_form) if failed_form is not None and not shown else [],
        "can_change": can_change,
        "can_take": case.owner_id is None and case.status == Status.NEW and permissions.can_take(request.user),
        "open_promises": open_promises,
        "settled_promises": [p for p in promises if p.status != PromiseStatus.OPEN],
        "open_incidents": Incident.objects.exclude(status="resolved").order_by("-started_at")[:20],
    }


def _case_url(request: HttpRequest, reference: str) -> str:
    url = reverse("complaints:case-detail", args=[reference])
    return url + "?order=newest" if request.GET.get("order") == "newest" else url


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
    promise_id = _posted_promise_id(request) if action in PROMISE_ACTIONS else None
    form = _action_form(action, request.POST, promise_id=promise_id)
    status = 400
    if form.is_valid():
        try:
            ACTIONS[action].call(case, request.user, form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
            status = error.status_code
        else:
            return _after_action(request, reference)
    context = _case_context(request, case, failed=action, failed_form=form, failed_promise=promise_id)
    if request.htmx:
        # htmx swaps only 2xx answers: the error, next to what was typed, is in the panel it swaps in.
        return render(request, "complaints/_case_panel.html", context)
    return render(request, "complaints/case_detail.html", context, status=status)


def _after_action(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        case = selectors.case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        # Handed over outside my team: the case is no longer mine to see.
        messages.success(request, f"{reference} has been handed over.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("complaints:my-cases"))
        return redirect("complaints:my-cases")
    if request.htmx:
        return render(request, "complaints/_case_panel.html", _case_context(request, case))
    return redirect(_case_url(request, reference))


@staff_required
def my_cases(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.my_cases(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/my_cases.html",
        {
            "page": page,
            "counters": selectors.my_case_counters(user=request.user),
            "at_risk": selectors.promises_at_risk_ids(user=request.user),
        },
    )


def _queue_page(request: HttpRequest, number=None):
    return Paginator(selectors.team_queue(user=request.user), PAGE_SIZE).get_page(number)


@staff_required
def team_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "complaints/team_queue.html", {"page": _queue_page(request, request.GET.get("page"))})


@staff_required
@require_POST
def take(request: HttpRequest, reference: str) -> HttpResponse:
    try:
        case = selectors.case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        if request.htmx:
            # Taken a moment ago by someone in another team: the row says so instead of silently staying.
            return render(request, "complaints/_queue_row.html", {"gone": reference})
        raise Http404 from None
    try:
        case = services.case_take(case=case, agent=request.user)
    except DomainError as error:
        if request.htmx:
            # 200, so htmx swaps the row: it now says who owns the case.
            return render(request, "complaints/_queue_row.html", {"case": case, "error": error.detail})
        context = {"page": _queue_page(request), "error": error.detail}
        return render(request, "complaints/team_queue.html", context, status=error.status_code)
    if request.htmx:
        return render(request, "complaints/_queue_row.html", {"case": case, "taken": True})
    return redirect("complaints:case-detail", reference=case.reference)


def _customer_choices(form: forms.LogContactForm, found: list[Customer]) -> tuple[list[Customer], int | None]:
    """The customers to offer as radio buttons, and which one is chosen (None: a new customer)."""
    raw = form.data.get("customer") if form.is_bound else form.initial.get("customer")
    chosen = int(raw) if str(raw or "").isdigit() else None
    choices = list(found)
    if chosen is not None and chosen not in {c.pk for c in choices}:
        customer = Customer.objects.filter(pk=chosen).first()
        if customer is None:
            chosen = None
        else:
            choices.insert(0, customer)
    return choices, chosen


def _similar_to(details: dict) -> list[Customer]:
    return crm_selectors.customers_similar(
        name=str(details.get("full_name", ""))[:200],
        email=str(details.get("email", ""))[:254],
        phone=str(details.get("phone", ""))[:40],
    )


@staff_required
@require_http_methods(["GET", "POST"])
def log_contact(request: HttpRequest) -> HttpResponse:
    """Log a call, letter or visit: find or create the customer, and open a case I own, in one form."""
    found: list[Customer] = []
    searched = False
    status = 200
    if request.method == "GET":
        form = forms.LogContactForm(initial={"customer": request.GET.get("customer", "")})
    elif "search" in request.POST:
        # "Find this customer": nothing is checked or saved; everything typed comes back with the matches.
        typed = {key: value for key, value in request.POST.items() if key not in ("csrfmiddlewaretoken", "search")}
        form = forms.LogContactForm(initial=typed)
        found, searched = _similar_to(typed), True
    else:
        form = forms.LogContactForm(request.POST)
        status = 400
        if form.is_valid():
            new_customer = form.new_customer()
            if new_customer is not None and not form.cleaned_data["not_a_duplicate"]:
                found = _similar_to(new_customer)
            if found:
                # Show who may already be this person before a second record is made.
                status, searched = 200, True
            else:
                try:
                    case = services.case_log_contact(
                        by=request.user,
                        customer=form.cleaned_data["customer"],
                        new_customer=new_customer,
                        **form.case_fields(),
                    )
                except DomainError as error:
                    form.add_domain_error(error)
                    status = error.status_code
                else:
                    return redirect("complaints:case-detail", reference=case.reference)
    if status >= 400 and not found and not form.data.get("customer"):
        # Whatever went wrong, show who this may already be: choosing them is often the fix.
        found = _similar_to(form.data)
    choices, chosen = _customer_choices(form, found)
    context = {
        "form": form,
        "choices": choices,
        "chosen": chosen,
        "searched": searched,
        "customer_fields": forms.NEW_CUSTOMER_FIELDS,
        "case_fields": (*forms.LOGGED_CASE_FIELDS, "acknowledged_by_phone"),
    }
    if request.htmx and "search" in request.POST:
        return render(request, "complaints/_customer_choices.html", context)
    return render(request, "complaints/log_contact.html", context, status=status)


@staff_required
def lead_view(request: HttpRequest) -> HttpResponse:
    if not permissions.roles_of(request.user) & {Role.LEAD, Role.MANAGER}:
        raise PermissionDenied
    lead = request.user
    return render(
        request,
        "complaints/lead_view.html",
        {
            "cases": selectors.team_cases(lead=lead)[:200],
            "at_risk": selectors.team_promises_at_risk(lead=lead),
            "escalations": selectors.escalations_waiting(user=lead),
            "promise_counts": selectors.team_promise_counts(lead=lead),
            "shuffles": selectors.team_handover_count(lead=lead),
        },
    )


# --- Public pages: no login ---------------------------------------------------------------


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def complain(request: HttpRequest) -> HttpResponse:
    """The public complaint form. Whatever the customer typed comes back on any error."""
    form = forms.ComplaintForm(request.POST or None)
    if request.method == "POST":
        refusal = first_refusal(request, [PublicComplaintThrottle()])
        if refusal is not None:
            return _too_many(request, refusal)
        if form.is_valid():
            data = form.cleaned_data
            if data.pop("website"):
                # A bot filled the honeypot: thank it, keep nothing.
                return render(request, "complaints/public/thanks.html", {})
            try:
                case = services.complaint_submit(**data)
            except DomainError as error:
                form.add_domain_error(error)
            else:
                # Never the status link here: it goes by email to the address typed, the proof it is theirs.
                context = {"reference": case.reference, "next_step": what_happens_next(data)}
                return render(request, "complaints/public/thanks.html", context, status=201)
    status = 400 if request.method == "POST" else 200
    # Known problems first: the customer may see theirs is already being fixed.
    known = Incident.objects.exclude(status="resolved").prefetch_related("services").order_by("-started_at")[:5]
    return render(request, "complaints/public/complain.html", {"form": form, "incidents": known}, status=status)


def _too_many(request: HttpRequest, throttle) -> HttpResponse:
    wait = int(throttle.wait() or 60)
    response = render(request, "complaints/public/too_many.html", {"minutes": max(1, wait // 60)}, status=429)
    response["Retry-After"] = str(wait)
    return response


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
        refusal = first_refusal(request, [StatusActionLinkThrottle(token), StatusActionAddressThrottle()])
        if refusal is not None:
            return _too_many(request, refusal)
        form = CUSTOMER_ACTIONS[action](request.POST, prefix=action)
        if form.is_valid():
            try:
                _customer_action(case, action, form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(error)
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
            form.add_domain_error(error)
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
            form.add_domain_error(error)
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
        try:
            services.incident_link_case(case=case, incident=form.cleaned_data["incident"], by=request.user)
        except DomainError as error:
            messages.error(request, error.detail)
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
    customer = crm_selectors.customer_from_notices_token(token)
    if customer is None:
        raise Http404
    if request.method == "POST":
        customer = crm_services.customer_stop_service_notices(customer=customer)
    return render(request, "complaints/public/notices.html", {"customer": customer, "token": token})


# --- Mail that opened no case (leads and managers) -------------------------------------------------


def _require_mail_reviewer(request: HttpRequest) -> None:
    if not permissions.can_review_inbound_mail(request.user):
        raise PermissionDenied


@staff_required
def inbound_mail(request: HttpRequest) -> HttpResponse:
    _require_mail_reviewer(request)
    return render(request, "complaints/inbound_mail.html", selectors.inbound_mail_to_review())


@staff_required
def inbound_mail_raw(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The message exactly as it arrived, to open in a mail program (never shown inline)."""
    _require_mail_reviewer(request)
    model = {"rejected": RejectedEmail, "ignored": InboundEmail}.get(kind)
    if model is None:
        raise Http404
    email = get_object_or_404(model.objects.exclude(raw=None), pk=pk)
    response = HttpResponse(bytes(email.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{pk}.eml"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def rejected_open_case(request: HttpRequest, pk: int) -> HttpResponse:
    _require_mail_reviewer(request)
    rejected = get_object_or_404(RejectedEmail, pk=pk)
    status = 200
    if request.method == "POST":
        form = forms.RejectedToCaseForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                case = services.rejected_email_open_case(rejected=rejected, by=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                messages.success(request, f"{case.reference} is open and waiting in the team queue.")
                return redirect("complaints:case-detail", reference=case.reference)
    else:
        name, email = split_address(rejected.from_address)
        initial = {
            "email": email,
            "name": name,
            "subject": rejected.subject,
            "description": readable_text(bytes(rejected.raw))[:10_000],
        }
        form = forms.RejectedToCaseForm(initial=initial)
    return render(request, "complaints/rejected_open_case.html", {"rejected": rejected, "form": form}, status=status)
