"""Agent and lead pages: the case page and its actions, My cases, the team queue, taking a case,
logging a call, the team view. Each action posts to its own URL, calls one service, and answers with
the whole page (no JavaScript) or the case panel partial (HTMX), keeping what was typed on error."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from complaints import permissions
from complaints.cases import forms, selectors, services
from complaints.cases.timeline import event_line
from complaints.incidents.forms import LinkIncidentForm
from complaints.incidents.selectors import incidents_affecting
from complaints.intake import services as intake_services
from complaints.models import Case, CaseAction, Promise, PromiseStatus
from complaints.promises import forms as promise_forms
from complaints.promises import services as promise_services
from complaints.promises.selectors import promises_at_risk_ids, team_promise_counts, team_promises_at_risk
from complaints.resolution import services as resolution
from config.http import StaffRequest
from config.pagination import CappedPaginator
from crm.customers.selectors import customers_similar
from crm.exceptions import DomainError
from crm.models import Customer
from crm.names import staff_display_name
from crm.permissions import StaffUser, staff_required
from crm.sections import render_sections
from crm.staff.selectors import staff_names

PAGE_SIZE = 50
RECENTLY_RESOLVED_SHOWN = 20


def _case_or_404(request: StaffRequest, reference: str) -> Case:
    try:
        return selectors.case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        raise Http404 from None


def _promise(case: Case, promise_id: int) -> Promise:
    return get_object_or_404(Promise, pk=promise_id, case=case)


@dataclass(frozen=True)
class Action:
    form_class: type[Form]
    label: str
    case_action: str  # what the case's status must allow (complaints.models.ALLOWED_ACTIONS)
    # Who is offered it: "see" (anyone who sees the case), "talk" (also the people it was escalated to),
    # "change" (owner, their lead, managers), "assign" (leads and managers), "settle" (a promise's maker too).
    who: str
    call: Callable[[Case, StaffUser, dict[str, Any]], object]


def _keep(case: Case, user: StaffUser, data: dict[str, Any]) -> object:
    return promise_services.promise_keep(promise=_promise(case, data["promise"]), by=user)


def _reschedule(case: Case, user: StaffUser, data: dict[str, Any]) -> object:
    promise = _promise(case, data["promise"])
    return promise_services.promise_reschedule(promise=promise, by=user, due_at=data["due_at"], reason=data["reason"])


def _withdraw(case: Case, user: StaffUser, data: dict[str, Any]) -> object:
    return promise_services.promise_withdraw(promise=_promise(case, data["promise"]), by=user, reason=data["reason"])


def _break(case: Case, user: StaffUser, data: dict[str, Any]) -> object:
    return promise_services.promise_break(promise=_promise(case, data["promise"]), by=user, reason=data["reason"])


def _escalate(case: Case, user: StaffUser, data: dict[str, Any]) -> object:
    level, to = data["level"] or None, data["to"] or None
    return services.case_escalate(case=case, by=user, reason=data["reason"], level=level, to=to)


# Each action: its form, its button, what the status must allow, who is offered it, and its one service.
ACTIONS = {
    "note": Action(
        forms.NoteForm,
        "Add an internal note",
        CaseAction.NOTE,
        "see",
        lambda c, u, d: services.case_add_note(case=c, by=u, **d),
    ),
    "message": Action(
        forms.MessageForm,
        "Write to the customer",
        CaseAction.MESSAGE,
        "talk",
        lambda c, u, d: services.case_send_message(case=c, by=u, **d),
    ),
    "promise": Action(
        promise_forms.PromiseForm,
        "Make a promise",
        CaseAction.PROMISE,
        "talk",
        lambda c, u, d: promise_services.promise_make(case=c, by=u, **d),
    ),
    "keep": Action(promise_forms.KeepForm, "Kept it", CaseAction.PROMISE, "settle", _keep),
    "reschedule": Action(
        promise_forms.RescheduleForm, "Reschedule and tell the customer", CaseAction.PROMISE, "settle", _reschedule
    ),
    "withdraw": Action(
        promise_forms.SettleForm, "Withdraw and tell the customer", CaseAction.PROMISE, "settle", _withdraw
    ),
    "break": Action(promise_forms.SettleForm, "Break it and tell the customer", CaseAction.PROMISE, "settle", _break),
    "assign": Action(
        forms.AssignForm,
        "Assign",
        CaseAction.ASSIGN,
        "assign",
        lambda c, u, d: services.case_assign(case=c, by=u, **d),
    ),
    "escalate": Action(forms.EscalateForm, "Escalate (you stay the owner)", CaseAction.ESCALATE, "change", _escalate),
    "handover": Action(
        forms.HandoverForm,
        "Hand over",
        CaseAction.HANDOVER,
        "change",
        lambda c, u, d: services.case_handover(case=c, by=u, **d),
    ),
    "resolve": Action(
        forms.ResolveForm,
        "Resolve",
        CaseAction.RESOLVE,
        "change",
        lambda c, u, d: resolution.case_resolve(case=c, by=u, **d),
    ),
    "reopen": Action(
        forms.ReopenForm,
        "Reopen",
        CaseAction.REOPEN,
        "change",
        lambda c, u, d: resolution.case_reopen(case=c, by=u, **d),
    ),
}
PROMISE_ACTIONS = ("keep", "reschedule", "withdraw", "break")


def _action_form(name: str, data: Any = None, *, case: Case, user: StaffUser, promise_id: int | None = None) -> Form:
    """The form of one action. Ids carry the action (and the promise), so many forms share one page."""
    suffix = f"{name}{promise_id}" if promise_id is not None else name
    initial = {"promise": promise_id} if promise_id is not None else None
    form_class = ACTIONS[name].form_class
    if issubclass(form_class, forms.CaseForm):
        return form_class(data, auto_id=f"id_{suffix}_%s", initial=initial, case=case, user=user)
    return form_class(data, auto_id=f"id_{suffix}_%s", initial=initial)


def _offered_to(case: Case, user: StaffUser) -> set[str]:
    """Which kinds of action (Action.who) this person is offered on this case."""
    offered = {"see"}
    if permissions.can_talk_to_customer(user, case):
        offered |= {"talk", "settle"}
    if permissions.can_change(user, case):
        offered.add("change")
    if permissions.can_assign(user):
        offered.add("assign")
    return offered


def _case_actions(case: Case, offered: set[str]) -> list[str]:
    """The case-wide actions this person can take now (promise actions sit with each open promise)."""
    return [
        name
        for name, action in ACTIONS.items()
        if name not in PROMISE_ACTIONS and case.can(action.case_action) and action.who in offered
    ]


def _posted_promise_id(request: StaffRequest) -> int | None:
    value = request.POST.get("promise", "")
    return int(value) if value.isdigit() else None


def _errors_of(form: Form) -> list[str]:
    found = [str(error) for error in form.non_field_errors()]
    for field in form:
        found.extend(f"{field.label}: {error}" for error in field.errors)
    return found


def _case_context(
    request: StaffRequest,
    case: Case,
    *,
    failed: str | None = None,
    failed_form: Form | None = None,
    failed_promise: int | None = None,
) -> dict[str, Any]:
    newest_first = request.GET.get("order") == "newest"
    user = request.user
    offered = _offered_to(case, user)
    can_change = "change" in offered
    actions = [
        (name, ACTIONS[name].label, failed_form if name == failed else _action_form(name, case=case, user=user))
        for name in _case_actions(case, offered)
    ]
    promises = list(case.promises.all())  # prefetched by selectors.case_detail, nearest due first
    open_promises = []
    for promise in (p for p in promises if p.status == PromiseStatus.OPEN):
        promise_forms_shown = {
            name: failed_form
            if failed == name and failed_promise == promise.pk
            else _action_form(name, case=case, user=user, promise_id=promise.pk)
            for name in PROMISE_ACTIONS
        }
        open_promises.append((promise, promise_forms_shown))
    settles = "settle" in offered
    shown = failed in {name for name, _, _ in actions} or (
        failed in PROMISE_ACTIONS and settles and any(p.pk == failed_promise for p, _ in open_promises)
    )
    timeline = list(selectors.case_timeline(case=case, newest_first=newest_first))
    people = staff_names(selectors.usernames_in(timeline))
    return {
        "case": case,
        "timeline": [event_line(event, people) for event in timeline],
        "newest_first": newest_first,
        "order_query": "?order=newest" if newest_first else "",
        "actions": actions,
        "failed_action": failed,
        # An error for a form that is no longer on the page (the promise was kept meanwhile, the case
        # changed hands): said at the top of the panel instead, so it is never lost.
        "failure": _errors_of(failed_form) if failed_form is not None and not shown else [],
        "can_change": can_change,
        "can_settle": settles,
        "change_rule": permissions.CHANGE_RULE,
        "can_take": case.can(CaseAction.TAKE) and case.owner_id is None and permissions.can_take(user),
        "open_promises": open_promises,
        "settled_promises": [p for p in promises if p.status != PromiseStatus.OPEN],
        # Linking signs the customer up for the incident's emails: offered to those who may change the case.
        "link_form": LinkIncidentForm(initial={"incident": case.incident_id}) if can_change else None,
        # What other apps show on a case (feedback: suggestions citing it, and "suggest a change").
        "sections": render_sections("case", request, case),
    }


def _case_url(request: StaffRequest, reference: str) -> str:
    url = reverse("complaints:case-detail", args=[reference])
    return url + "?order=newest" if request.GET.get("order") == "newest" else url


@staff_required
def case_detail(request: StaffRequest, reference: str) -> HttpResponse:
    case = _case_or_404(request, reference)
    return render(request, "complaints/cases/case_detail.html", _case_context(request, case))


@staff_required
@require_POST
def case_action(request: StaffRequest, reference: str, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    case = _case_or_404(request, reference)
    promise_id = _posted_promise_id(request) if action in PROMISE_ACTIONS else None
    form = _action_form(action, request.POST, case=case, user=request.user, promise_id=promise_id)
    status = 400
    if form.is_valid():
        try:
            ACTIONS[action].call(case, request.user, form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)  # type: ignore[attr-defined]
            status = error.status_code
        else:
            return _after_action(request, reference)
    context = _case_context(request, case, failed=action, failed_form=form, failed_promise=promise_id)
    if request.htmx:
        # htmx swaps only 2xx answers: the error, next to what was typed, is in the panel it swaps in.
        return render(request, "complaints/cases/_case_panel.html", context)
    return render(request, "complaints/cases/case_detail.html", context, status=status)


def _after_action(request: StaffRequest, reference: str) -> HttpResponse:
    try:
        case = selectors.case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        # Handed over outside my team: the case is no longer mine to see.
        messages.success(request, f"{reference} has been handed over.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("complaints:my-cases"))
        return redirect("complaints:my-cases")
    if request.htmx:
        return render(request, "complaints/cases/_case_panel.html", _case_context(request, case))
    return redirect(_case_url(request, reference))


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
    context = {"q": q, "page": page, "customer_limit": selectors.SEARCH_CUSTOMER_LIMIT}
    return render(request, "complaints/cases/search.html", context)


def _assign_choices(user: StaffUser) -> list[tuple[str, str]]:
    """Whom this lead or manager may assign queue cases to (none for everyone else): one query per page."""
    if not permissions.can_assign(user):
        return []
    return forms.AssignForm(user=user).fields["to"].choices  # type: ignore[attr-defined]


def _queue_context(request: StaffRequest, number: str | None = None) -> dict[str, Any]:
    page = Paginator(selectors.team_queue(user=request.user), PAGE_SIZE).get_page(number)
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


def _customer_choices(form: forms.LogContactForm, found: list[Customer]) -> tuple[list[Customer], int | None]:
    """The customers to offer as radio buttons, and which one is chosen (None: a new customer)."""
    raw = form.data.get("customer") if form.is_bound else form.initial.get("customer")
    chosen = int(str(raw)) if str(raw or "").isdigit() else None
    choices = list(found)
    if chosen is not None and chosen not in {c.pk for c in choices}:
        customer = Customer.objects.filter(pk=chosen).first()
        if customer is None:
            chosen = None
        else:
            choices.insert(0, customer)
    return choices, chosen


def _similar_to(details: Any) -> list[Customer]:
    return customers_similar(
        name=str(details.get("full_name", ""))[:200],
        email=str(details.get("email", ""))[:254],
        phone=str(details.get("phone", ""))[:40],
    )


def _with_open_cases(user: StaffUser, customers: list[Customer]) -> list[Customer]:
    """Each customer offered gets `open_cases` (those the user may see): a new contact about one of them
    is added to it rather than opening a duplicate. One query for all of them."""
    by_customer: dict[int, list[Case]] = {c.pk: [] for c in customers}
    unfinished = selectors.open_cases_of(user=user, customer_ids=list(by_customer))
    for case in unfinished:
        by_customer[case.customer_id].append(case)
    for customer in customers:
        customer.open_cases = by_customer[customer.pk]  # type: ignore[attr-defined]
    return customers


def _add_to_open_case(request: StaffRequest, form: forms.LogContactForm, reference: str) -> HttpResponse | None:
    """ "Add to this case instead": the contact goes on the customer's open case. None when refused (the
    form carries the reason)."""
    try:
        case = selectors.case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        form.add_error(None, f"{reference} is not a case you can see.")
        return None
    try:
        intake_services.case_add_contact(
            case=case,
            by=request.user,
            channel=form.data.get("channel", ""),
            text=form.data.get("description", ""),
        )
    except DomainError as error:
        form.add_domain_error(error)
        return None
    told = "" if case.owner_id == request.user.pk else f" {staff_display_name(case.owner)} has been told."
    messages.success(request, f"Added to {case.reference} instead of a new case.{told}")
    return redirect("complaints:case-detail", reference=case.reference)


@staff_required
@require_http_methods(["GET", "POST"])
def log_contact(request: StaffRequest) -> HttpResponse:
    """Log a call, letter or visit: find or create the customer, and open a case I own, in one form; or,
    when the customer already has a case open, add what they said to it instead."""
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
    elif request.POST.get("add_to"):
        form = forms.LogContactForm(request.POST)
        added = _add_to_open_case(request, form, request.POST["add_to"][:20])
        if added is not None:
            return added
        status = 400
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
                    case = services.case_log_contact(by=request.user, **form.contact_fields(), **form.case_fields())
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
        "choices": _with_open_cases(request.user, choices),
        "chosen": chosen,
        "searched": searched,
        "customer_fields": (*forms.NEW_CUSTOMER_FIELDS, "no_contact_reason"),
        "case_fields": (*forms.LOGGED_CASE_FIELDS, "acknowledged_by_phone"),
    }
    if request.htmx and "search" in request.POST:
        return render(request, "complaints/cases/_customer_choices.html", context)
    return render(request, "complaints/cases/log_contact.html", context, status=status)


CUSTOMER_CASES_SHOWN = 50


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
    return render(
        request,
        "complaints/cases/team.html",
        {
            "cases": selectors.team_cases(lead=lead)[:200],
            "at_risk": team_promises_at_risk(lead=lead),
            "escalations": selectors.escalations_waiting(user=lead),
            "promise_counts": team_promise_counts(lead=lead),
            "shuffles": selectors.team_handover_count(lead=lead),
        },
    )
