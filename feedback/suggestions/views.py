"""Suggestion pages: the board, submitting (from the board or a case), a suggestion's page with its actions,
my suggestions, and the managers' review queue with one-click decisions. Each action posts to its own URL,
calls one service, and comes back to the page with a message, or with the form and what was typed."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST

from complaints.models import Case
from config.http import StaffRequest
from crm.exceptions import DomainError
from crm.models import Team
from crm.names import staff_display_name
from crm.permissions import StaffUser, staff_required
from feedback import permissions
from feedback.models import Policy, Suggestion, SuggestionAction
from feedback.suggestions import forms, selectors, services
from feedback.suggestions.chart import trend_svg

PAGE_SIZE = 50
# Each review row is a whole decision form: twenty to a page is what a manager works through at a sitting.
REVIEW_PAGE_SIZE = 20


def _suggestion_or_404(pk: int) -> Suggestion:
    try:
        return selectors.suggestion_detail(pk=pk)
    except Suggestion.DoesNotExist:
        raise Http404 from None


@staff_required
def board(request: StaffRequest) -> HttpResponse:
    filters = forms.BoardFilterForm(request.GET)
    chosen = filters.filters()
    suggestions = selectors.board(user=request.user, **chosen)
    page = Paginator(suggestions, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "chosen": chosen,
        "policies": Policy.objects.order_by("name"),
        "teams": Team.objects.order_by("name"),
        "query": request.GET.urlencode(),
    }
    return render(request, "feedback/suggestions/board.html", context)


@staff_required
def mine(request: StaffRequest) -> HttpResponse:
    page = Paginator(selectors.my_suggestions(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "feedback/suggestions/mine.html", {"page": page})


@staff_required
@require_http_methods(["GET", "POST"])
def submit(request: StaffRequest) -> HttpResponse:
    """A new suggestion; from a case page, that case is already named as evidence."""
    from_case = request.GET.get("case", "")[:20]
    form = forms.SuggestionForm(request.POST or None, initial={"cases": from_case, "show_name": True})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                suggestion = services.suggestion_submit(author=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                messages.success(request, f"Suggestion #{suggestion.pk} is with {_decider_name(suggestion)}.")
                return redirect("feedback:suggestion", pk=suggestion.pk)
    context = {"form": form, "from_case": from_case, "decision_days": settings.SUGGESTION_DECISION_DAYS}
    return render(request, "feedback/suggestions/submit.html", context, status=status)


def _decider_name(suggestion: Suggestion) -> str:
    return staff_display_name(suggestion.deciding_manager) or "the managers"


@dataclass(frozen=True)
class Action:
    form_class: type[Form] | None  # None: a button, nothing typed
    call: Callable[[Suggestion, StaffUser, dict[str, Any]], object]
    done: str  # said after it worked


ACTIONS: dict[str, Action] = {
    "endorse": Action(None, lambda s, u, d: services.suggestion_endorse(suggestion=s, by=u), "You endorse it."),
    "unendorse": Action(
        None, lambda s, u, d: services.suggestion_withdraw_endorsement(suggestion=s, by=u), "Endorsement withdrawn."
    ),
    "comment": Action(
        forms.CommentForm, lambda s, u, d: services.suggestion_comment(suggestion=s, by=u, **d), "Comment added."
    ),
    "link-case": Action(
        forms.LinkCaseForm,
        lambda s, u, d: services.suggestion_link_case(suggestion=s, by=u, **d),
        "Case linked as evidence.",
    ),
    "decide": Action(
        forms.DecideForm,
        lambda s, u, d: services.suggestion_decide(suggestion=s, by=u, **d),
        "Decision recorded; the author and endorsers have been told.",
    ),
    "implemented": Action(
        forms.ImplementedForm,
        lambda s, u, d: services.suggestion_mark_implemented(suggestion=s, by=u, **d),
        "Marked implemented: the page now compares complaints before and after.",
    ),
    "merge": Action(
        forms.MergeForm,
        lambda s, u, d: services.suggestion_merge(suggestion=s, by=u, **d),
        "Merged; the author and endorsers have been told where it went.",
    ),
}


def _page_context(
    request: StaffRequest, suggestion: Suggestion, failed: str | None = None, failed_form: Form | None = None
) -> dict[str, Any]:
    user = request.user
    decider = permissions.can_decide(user)
    action_forms = {
        name.replace("-", "_"): (failed_form if name == failed else action.form_class())
        for name, action in ACTIONS.items()
        if action.form_class is not None
    }
    endorsed = any(e.user_id == user.pk for e in suggestion.endorsements.all())
    trend = None
    if suggestion.policy is not None and suggestion.implemented_on is not None:
        result = selectors.complaint_trend(suggestion.policy, around=suggestion.implemented_on)
        trend = {"figures": result, "svg": trend_svg(result)}
    evidence = selectors.with_evidence([suggestion])[0].evidence_count  # type: ignore[attr-defined]
    can = {
        "endorse": permissions.can_endorse(user, suggestion) and suggestion.can(SuggestionAction.ENDORSE),
        "endorsed": endorsed,
        "comment": suggestion.can(SuggestionAction.COMMENT),
        "link_case": suggestion.can(SuggestionAction.LINK_CASE),
        "edit": permissions.can_edit(user, suggestion) and suggestion.can(SuggestionAction.EDIT),
        "decide": decider and suggestion.can(SuggestionAction.DECIDE),
        "merge": decider and suggestion.can(SuggestionAction.MERGE),
        "implement": decider and suggestion.can(SuggestionAction.IMPLEMENT),
    }
    offered = {"comment": "comment", "link-case": "link_case", "decide": "decide", "merge": "merge"}
    offered["implemented"] = "implement"
    shown = failed is not None and can.get(offered.get(failed, ""), False)
    return {
        "suggestion": suggestion,
        "history": selectors.history(suggestion=suggestion),
        "forms": action_forms,
        "failed": failed,
        "can": can,
        # A refusal for a form this person is not offered (not a manager; the status moved on): said on top.
        "failure": [str(e) for e in failed_form.errors.get("__all__", [])] if failed_form and not shown else [],
        "evidence_count": evidence,
        "evidence_days": selectors.EVIDENCE_DAYS,
        "trend": trend,
        "overdue": suggestion.is_overdue(),
    }


@staff_required
def suggestion_page(request: StaffRequest, pk: int) -> HttpResponse:
    suggestion = _suggestion_or_404(pk)
    return render(request, "feedback/suggestions/detail.html", _page_context(request, suggestion))


@staff_required
@require_POST
def suggestion_action(request: StaffRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    suggestion = _suggestion_or_404(pk)
    chosen = ACTIONS[action]
    form = chosen.form_class(request.POST) if chosen.form_class is not None else None
    status = 400
    if form is None or form.is_valid():
        data = form.cleaned_data if form is not None else {}
        try:
            chosen.call(suggestion, request.user, data)
        except DomainError as error:
            if form is None:
                messages.error(request, error.detail)
                return redirect("feedback:suggestion", pk=pk)
            form.add_domain_error(error)  # type: ignore[attr-defined]
            status = error.status_code
        else:
            messages.success(request, chosen.done)
            if request.POST.get("next") == "review":
                return redirect("feedback:review")
            return redirect("feedback:suggestion", pk=pk)
    if request.POST.get("next") == "review" and form is not None:
        return _review_page(request, failed=(pk, form), status=status)
    context = _page_context(request, _suggestion_or_404(pk), failed=action, failed_form=form)
    return render(request, "feedback/suggestions/detail.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def edit(request: StaffRequest, pk: int) -> HttpResponse:
    suggestion = _suggestion_or_404(pk)
    if not permissions.can_edit(request.user, suggestion):
        raise PermissionDenied
    initial = {name: getattr(suggestion, name) for name in services.EDITABLE_FIELDS}
    form = forms.EditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.suggestion_edit(suggestion=suggestion, by=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                messages.success(request, "Saved.")
                return redirect("feedback:suggestion", pk=pk)
    return render(request, "feedback/suggestions/edit.html", {"form": form, "suggestion": suggestion}, status=status)


def _review_page(request: StaffRequest, *, failed: tuple[int, Form] | None = None, status: int = 200) -> HttpResponse:
    if not permissions.can_decide(request.user):
        raise PermissionDenied
    everyone = request.GET.get("all") == "1"
    page = Paginator(selectors.review_queue(manager=request.user, everyone=everyone), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.with_evidence(list(page))
    failed_pk, failed_form = failed if failed else (None, None)
    context = {
        "page": page,
        # Each row's decision is drawn by the template from these choices; only a refused one comes back as
        # its bound form, with the errors (fifty rendered forms were 100 ms of the page).
        "rows": [(s, failed_form if s.pk == failed_pk else None) for s in rows],
        "decisions": forms.DecideForm.base_fields["status"].choices,  # type: ignore[attr-defined]
        "everyone": everyone,
        "evidence_days": selectors.EVIDENCE_DAYS,
    }
    return render(request, "feedback/suggestions/review.html", context, status=status)


@staff_required
def review(request: StaffRequest) -> HttpResponse:
    return _review_page(request)


def case_suggestions_section(request: HttpRequest, case: Case) -> str:
    """On the case page: the suggestions that cite it, and "suggest a change from this case"."""
    citing = list(Suggestion.objects.filter(cases=case).select_related("policy").order_by("-submitted_at")[:10])
    return render_to_string(
        "feedback/suggestions/_case_section.html", {"case": case, "citing": citing}, request=request
    )


def dashboard_section(request: HttpRequest, figure_filter: object) -> str:
    """On the figures dashboard (complaints): how managers answer staff suggestions, since the start."""
    return render_to_string(
        "feedback/suggestions/_dashboard_section.html", {"figures": selectors.decision_figures()}, request=request
    )
