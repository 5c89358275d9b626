"""Policy pages: the list, a policy's page (its suggestions, the complaints it covers and their trend), and
the managers' form to add or change one."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from config.http import StaffRequest
from crm.exceptions import DomainError
from crm.permissions import staff_required
from crm.staff.selectors import active_staff_member
from crm.times import site_today
from feedback import permissions
from feedback.models import Policy
from feedback.policies import selectors, services
from feedback.policies.forms import PolicyForm
from feedback.suggestions import selectors as suggestion_selectors
from feedback.suggestions.chart import trend_svg


def _policy_or_404(pk: int) -> Policy:
    try:
        return selectors.policy_detail(pk=pk)
    except Policy.DoesNotExist:
        raise Http404 from None


@staff_required
def policy_list(request: StaffRequest) -> HttpResponse:
    context = {"policies": selectors.policy_list(), "can_manage": permissions.can_manage_policies(request.user)}
    return render(request, "feedback/policies/list.html", context)


@staff_required
def policy_page(request: StaffRequest, pk: int) -> HttpResponse:
    policy = _policy_or_404(pk)
    # The last 24 whole weeks, the most recent 12 drawn as "after" so the two halves can be compared.
    trend = suggestion_selectors.complaint_trend(
        policy, around=site_today() - timedelta(weeks=suggestion_selectors.TREND_WEEKS)
    )
    context = {
        "policy": policy,
        "suggestions": selectors.policy_suggestions(policy)[:100],
        "evidence": suggestion_selectors.evidence_cases(policy),
        "evidence_days": suggestion_selectors.EVIDENCE_DAYS,
        "trend": trend,
        "trend_svg": trend_svg(trend),
        "can_manage": permissions.can_manage_policies(request.user),
    }
    return render(request, "feedback/policies/detail.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def policy_form(request: StaffRequest, pk: int | None = None) -> HttpResponse:
    if not permissions.can_manage_policies(request.user):
        raise PermissionDenied
    policy = _policy_or_404(pk) if pk is not None else None
    initial = (
        {
            "name": policy.name,
            "description": policy.description,
            "manager": policy.manager.username,
            "categories": list(policy.categories.all()),
            "root_causes": policy.root_causes,
            "active": policy.active,
        }
        if policy is not None
        else {"active": True, "manager": request.user.username}
    )
    form = PolicyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                data["manager"] = active_staff_member(data["manager"], field="manager")
                saved = services.policy_save(by=request.user, policy=policy, **data)
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                messages.success(request, f"{saved.name} saved.")
                return redirect("feedback:policy", pk=saved.pk)
    return render(request, "feedback/policies/form.html", {"form": form, "policy": policy}, status=status)
