"""Story pages: telling a story (from the board or a case), a story's page with kudos, comments and, for
leads and managers, publish or decline; the moderation queue. Each action posts to its own URL and calls
one service."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
from crm.permissions import StaffUser, staff_required
from recognition import permissions
from recognition.models import Story, StoryAction
from recognition.stories import forms, selectors, services

PAGE_SIZE = 20


def _story_or_404(user: StaffUser, pk: int) -> Story:
    try:
        return selectors.story_detail(user=user, pk=pk)
    except Story.DoesNotExist:
        raise Http404 from None


@staff_required
@require_http_methods(["GET", "POST"])
def nominate(request: StaffRequest) -> HttpResponse:
    from_case = request.GET.get("case", "")[:20]
    form = forms.NominateForm(request.POST or None, initial={"case": from_case})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                story = services.story_nominate(by=request.user, **form.cleaned_data)
            except DomainError as error:
                form.add_domain_error(error)
                status = error.status_code
            else:
                messages.success(request, "Thank you. A lead or manager will publish it soon.")
                return redirect("recognition:story", pk=story.pk)
    return render(request, "recognition/stories/nominate.html", {"form": form, "from_case": from_case}, status=status)


@dataclass(frozen=True)
class Action:
    form_class: type[Form]
    call: Callable[[Story, StaffUser, dict[str, Any]], object]
    done: str


ACTIONS: dict[str, Action] = {
    "publish": Action(
        forms.PublishForm,
        lambda s, u, d: services.story_publish(story=s, by=u, **d),
        "Published: the people in it and the teller have been told.",
    ),
    "decline": Action(
        forms.DeclineForm, lambda s, u, d: services.story_decline(story=s, by=u, **d), "Declined; the teller sees why."
    ),
    "comment": Action(forms.CommentForm, lambda s, u, d: services.story_comment(story=s, by=u, **d), "Comment added."),
}


def _page_context(
    request: StaffRequest, story: Story, *, failed: str | None = None, failed_form: Form | None = None
) -> dict[str, Any]:
    user = request.user
    moderate = permissions.can_moderate(user) and story.can(StoryAction.MODERATE)
    action_forms = {name: failed_form if name == failed else action.form_class() for name, action in ACTIONS.items()}
    if moderate and failed != "publish":
        action_forms["publish"] = forms.PublishForm(
            initial={"kind": story.kind, "about": [p.username for p in story.about.all()]}
        )
    return {
        "story": story,
        "forms": action_forms,
        "can_moderate": moderate,
        "can_comment": story.can(StoryAction.COMMENT),
        "can_kudos": story.can(StoryAction.KUDOS) and permissions.can_give_kudos(user, story),
        "kudos_given": selectors.gave_kudos(story=story, user=user),
        "is_teller": story.teller_id == user.pk,
        "failure": [str(e) for e in failed_form.errors.get("__all__", [])]
        if failed_form is not None and failed in ("publish", "decline") and not moderate
        else [],
    }


@staff_required
def story_page(request: StaffRequest, pk: int) -> HttpResponse:
    story = _story_or_404(request.user, pk)
    return render(request, "recognition/stories/detail.html", _page_context(request, story))


@staff_required
@require_POST
def story_action(request: StaffRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    story = _story_or_404(request.user, pk)
    form = ACTIONS[action].form_class(request.POST)
    status = 400
    if form.is_valid():
        try:
            ACTIONS[action].call(story, request.user, form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)  # type: ignore[attr-defined]
            status = error.status_code
        else:
            messages.success(request, ACTIONS[action].done)
            if request.POST.get("next") == "moderate":
                return redirect("recognition:moderate")
            return redirect("recognition:story", pk=pk)
    context = _page_context(request, _story_or_404(request.user, pk), failed=action, failed_form=form)
    return render(request, "recognition/stories/detail.html", context, status=status)


@staff_required
@require_POST
def kudos(request: StaffRequest, pk: int) -> HttpResponse:
    """Give kudos, or take them back: with htmx the button swaps in place."""
    story = _story_or_404(request.user, pk)
    given = selectors.gave_kudos(story=story, user=request.user)
    try:
        if given:
            story = services.story_withdraw_kudos(story=story, by=request.user)
        else:
            story = services.story_give_kudos(story=story, by=request.user)
    except DomainError as error:
        if request.htmx:
            return render(request, "recognition/stories/_kudos.html", {"story": story, "error": error.detail})
        messages.error(request, error.detail)
        return redirect("recognition:story", pk=pk)
    if request.htmx:
        context = {"story": story, "given": not given, "can_kudos": True}
        return render(request, "recognition/stories/_kudos.html", context)
    if request.POST.get("back") == "board":
        return redirect("recognition:board")
    return redirect("recognition:story", pk=pk)


@staff_required
def moderate(request: StaffRequest) -> HttpResponse:
    if not permissions.can_moderate(request.user):
        raise PermissionDenied
    page = Paginator(selectors.pending(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "recognition/stories/moderate.html", {"page": page, "decline_form": forms.DeclineForm()})


def case_story_section(request: HttpRequest, case: Case) -> str:
    """On the case page: "This was great: tell the story", and the stories already told about it."""
    context = {"case": case, "told": selectors.told_about_case(case)}
    return render_to_string("recognition/stories/_case_section.html", context, request=request)
