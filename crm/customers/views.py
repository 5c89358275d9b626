"""Customer pages: list with search, customer page, new (similar customers first), edit, confirm name,
export or erase their personal data;
and the customer's own page to stop service notices (the link in every notice, no login)."""

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from config.http import StaffRequest
from config.pagination import CappedPaginator
from crm.customers import selectors, services
from crm.customers.forms import CustomerForm, NewCustomerForm
from crm.exceptions import DomainError
from crm.models import Customer
from crm.permissions import can_erase_personal_data, can_export_personal_data, staff_required
from crm.sections import render_sections

PAGE_SIZE = 50


@staff_required
def customer_list(request: StaffRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:200]
    page = CappedPaginator(selectors.customer_list(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crm/customers/list.html", {"page": page, "q": q})


@staff_required
def customer_detail(request: StaffRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.select_related("name_confirmed_by__staff_profile"), pk=pk)
    history = customer.name_changes.select_related("changed_by__staff_profile")[:50]
    context = {
        "customer": customer,
        "history": history,
        "sections": render_sections("customer", request, customer),
        "can_export": can_export_personal_data(request.user),
        "can_erase": can_erase_personal_data(request.user) and customer.erased_at is None,
    }
    return render(request, "crm/customers/detail.html", context)


@staff_required
@require_POST
def customer_export(request: StaffRequest, pk: int) -> HttpResponse:
    """The customer's personal data as a JSON file to give them (the same as GET customers/{id}/export/)."""
    customer = get_object_or_404(Customer, pk=pk)
    try:
        data = services.customer_export(customer=customer, by=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
        return redirect("crm:customer-detail", pk=pk)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{pk}-personal-data.json"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def customer_new(request: StaffRequest) -> HttpResponse:
    form = NewCustomerForm(request.POST or None)
    similar: list[Customer] = []
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "not_a_duplicate"}
        similar = selectors.customers_similar(name=fields["full_name"], email=fields["email"], phone=fields["phone"])
        if similar and not form.cleaned_data["not_a_duplicate"]:
            # Show who may already be this person before a second record is made.
            return render(request, "crm/customers/form.html", {"form": form, "similar": similar, "new": True})
        try:
            customer = services.customer_create(by=request.user, **fields)
        except DomainError as error:
            form.add_domain_error(error)
            status = error.status_code
        else:
            return redirect("crm:customer-detail", pk=customer.pk)
    return render(request, "crm/customers/form.html", {"form": form, "similar": similar, "new": True}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: StaffRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    initial = {field: getattr(customer, field) for field in CustomerForm.base_fields}
    form = CustomerForm(request.POST or None, initial=initial)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(customer=customer, by=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)
            status = error.status_code
        else:
            return redirect("crm:customer-detail", pk=customer.pk)
    return render(request, "crm/customers/form.html", {"form": form, "customer": customer}, status=status)


@staff_required
def customer_similar(request: StaffRequest) -> HttpResponse:
    """The similar-customers panel, swapped in by HTMX while the new-customer form is typed."""
    similar = selectors.customers_similar(
        name=request.GET.get("full_name", "")[:200],
        email=request.GET.get("email", "")[:254],
        phone=request.GET.get("phone", "")[:40],
    )
    return render(request, "crm/customers/_similar.html", {"similar": similar})


@staff_required
@require_POST
def customer_confirm_name(request: StaffRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    try:
        services.customer_confirm_name(customer=customer, by=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    return redirect("crm:customer-detail", pk=customer.pk)


@staff_required
@require_POST
def customer_erase(request: StaffRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    try:
        services.customer_erase(customer=customer, by=request.user, reason=request.POST.get("reason", ""))
    except DomainError as error:
        messages.error(request, " ".join([error.detail, *error.errors.get("reason", [])]))
    else:
        messages.success(request, "Their personal data is erased everywhere; the figures are unchanged.")
    return redirect("crm:customer-detail", pk=customer.pk)


@csrf_exempt  # one-click unsubscribe (RFC 8058) posts from the mail client; the signed token is the key
@require_http_methods(["GET", "POST"])
def service_notices(request: HttpRequest, token: str) -> HttpResponse:
    """Stop incident emails: the link in every notice (and one-click List-Unsubscribe-Post)."""
    customer = selectors.customer_from_notices_token(token)
    if customer is None:
        raise Http404
    if request.method == "POST":
        customer = services.customer_stop_service_notices(customer=customer)
    return render(request, "crm/customers/notices.html", {"customer": customer, "token": token})
