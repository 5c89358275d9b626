"""Mail that opened no case (leads and managers): refused and ignored messages, each downloadable as it
arrived, and a refused one turned into the case it should have been."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from complaints import permissions
from complaints.mail import forms, selectors, services
from complaints.mail.parsing import readable_text, split_address
from complaints.models import InboundEmail, RejectedEmail
from config.http import StaffRequest
from crm.exceptions import DomainError
from crm.permissions import staff_required


def _require_mail_reviewer(request: StaffRequest) -> None:
    if not permissions.can_review_inbound_mail(request.user):
        raise PermissionDenied


@staff_required
def inbound_mail(request: StaffRequest) -> HttpResponse:
    _require_mail_reviewer(request)
    return render(request, "complaints/mail/inbound_mail.html", selectors.inbound_mail_to_review())


@staff_required
def inbound_mail_raw(request: StaffRequest, kind: str, pk: int) -> HttpResponse:
    """The message exactly as it arrived, to open in a mail program (never shown inline)."""
    _require_mail_reviewer(request)
    found: RejectedEmail | InboundEmail
    if kind == "rejected":
        found = get_object_or_404(RejectedEmail, pk=pk)
    elif kind == "ignored":
        found = get_object_or_404(InboundEmail.objects.exclude(raw=None), pk=pk)
    else:
        raise Http404
    email = found
    response = HttpResponse(bytes(email.raw or b""), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="{kind}-{pk}.eml"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def rejected_open_case(request: StaffRequest, pk: int) -> HttpResponse:
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
        text = readable_text(bytes(rejected.raw))[:10_000]
        form = forms.RejectedToCaseForm(
            initial={"email": email, "name": name, "subject": rejected.subject, "description": text}
        )
    context = {"rejected": rejected, "form": form}
    return render(request, "complaints/mail/rejected_open_case.html", context, status=status)
