"""Log a call, letter or visit: find or create the customer and open a case in one form, or add what they
said to the case they already have open."""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from complaints.cases import forms, selectors, services
from complaints.intake import services as intake_services
from complaints.models import Case
from config.http import StaffRequest
from crm.customers.selectors import customers_similar
from crm.exceptions import DomainError
from crm.models import Customer
from crm.names import staff_display_name
from crm.permissions import StaffUser, staff_required


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
