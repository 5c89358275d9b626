"""The public compliment form (no login): /praise/, and /praise/<token>/ from a customer's own status page,
where it already knows the case and who looked after it."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from complaints.intake.selectors import case_for_customer, owner_first_name
from complaints.intake.throttling import first_refusal
from complaints.intake.views import too_many
from complaints.models import Case, CaseAction
from crm.exceptions import DomainError
from recognition.praise import forms, services
from recognition.praise.throttling import PublicComplimentThrottle


@never_cache
@require_http_methods(["GET", "POST"])
def praise(request: HttpRequest, token: str = "") -> HttpResponse:
    case = None
    if token:
        try:
            case = case_for_customer(token=token)
        except Case.DoesNotExist:
            raise Http404 from None
    initial = {"about": owner_first_name(case)} if case is not None else {}
    form = forms.ComplimentForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        refusal = first_refusal(request, [PublicComplimentThrottle()])
        if refusal is not None:
            return too_many(request, refusal)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            if data.pop("website"):
                return render(request, "recognition/praise/thanks.html", {})  # a bot: thanked, nothing kept
            try:
                services.compliment_submit(token=token, **data)
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                return render(request, "recognition/praise/thanks.html", {"about": data["about"]}, status=201)
    return render(request, "recognition/praise/praise.html", {"form": form, "case": case}, status=status)


def status_page_section(request: HttpRequest, case: Case) -> str:
    """On a resolved case's status page: "Would you like to thank Anna?" (only their own case's page)."""
    if not case.can(CaseAction.RATE) or case.owner_id is None:
        return ""
    name = owner_first_name(case)
    return render_to_string("recognition/praise/_status_section.html", {"case": case, "name": name}, request=request)
