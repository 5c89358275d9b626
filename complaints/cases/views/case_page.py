"""The case page and its actions: each action posts to its own URL, calls one service, and answers with
the whole page (no JavaScript) or the case panel partial (HTMX), keeping what was typed on error."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from complaints import emails, permissions
from complaints.cases import forms, selectors, services
from complaints.cases.timeline import conversation_item
from complaints.incidents.forms import LinkIncidentForm
from complaints.models import Case, CaseAction, CaseEvent, Promise, PromiseStatus
from complaints.promises import forms as promise_forms
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution
from config.http import StaffRequest
from crm.exceptions import DomainError
from crm.names import staff_display_name
from crm.permissions import StaffUser, staff_required
from crm.sections import render_sections
from crm.staff.selectors import staff_names


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
    # Said after it worked ({owner}: the case's owner then), next to the part of the page it changed, which
    # htmx focuses: "conversation" (the event it added), "promises", "header" (status, owner), "details".
    done: str = "Done."
    changed: str = "header"


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
        done="Note added. Only staff can read it.",
        changed="conversation",
    ),
    "message": Action(
        forms.MessageForm,
        "Send to the customer",
        CaseAction.MESSAGE,
        "talk",
        lambda c, u, d: services.case_send_message(case=c, by=u, **d),
        done="Message sent to {customer} by email.",
        changed="conversation",
    ),
    "promise": Action(
        promise_forms.PromiseForm,
        "Make a promise",
        CaseAction.PROMISE,
        "talk",
        lambda c, u, d: promise_services.promise_make(case=c, by=u, **d),
        done="Promise made.",
        changed="promises",
    ),
    "keep": Action(
        promise_forms.KeepForm, "Kept it", CaseAction.PROMISE, "settle", _keep, done="Promise kept.", changed="promises"
    ),
    "reschedule": Action(
        promise_forms.RescheduleForm,
        "Reschedule and tell the customer",
        CaseAction.PROMISE,
        "settle",
        _reschedule,
        done="Promise rescheduled; the customer has been told the new time.",
        changed="promises",
    ),
    "withdraw": Action(
        promise_forms.SettleForm,
        "Withdraw and tell the customer",
        CaseAction.PROMISE,
        "settle",
        _withdraw,
        done="Promise withdrawn; the customer has been told.",
        changed="promises",
    ),
    "break": Action(
        promise_forms.SettleForm,
        "Break it and tell the customer",
        CaseAction.PROMISE,
        "settle",
        _break,
        done="Promise broken; the customer has been told why.",
        changed="promises",
    ),
    "assign": Action(
        forms.AssignForm,
        "Assign",
        CaseAction.ASSIGN,
        "assign",
        lambda c, u, d: services.case_assign(case=c, by=u, **d),
        done="Assigned to {owner}, who has been told.",
    ),
    "escalate": Action(
        forms.EscalateForm,
        "Escalate (you stay the owner)",
        CaseAction.ESCALATE,
        "change",
        _escalate,
        done="Escalated; {owner} stays the owner.",
        changed="details",
    ),
    "handover": Action(
        forms.HandoverForm,
        "Hand over",
        CaseAction.HANDOVER,
        "change",
        lambda c, u, d: services.case_handover(case=c, by=u, **d),
        done="Handed over to {owner}; they and the customer have been told.",
    ),
    "resolve": Action(
        forms.ResolveForm,
        "Resolve",
        CaseAction.RESOLVE,
        "change",
        lambda c, u, d: resolution.case_resolve(case=c, by=u, **d),
        done="Resolved; the customer has been emailed what we did.",
    ),
    "reopen": Action(
        forms.ReopenForm,
        "Reopen",
        CaseAction.REOPEN,
        "change",
        lambda c, u, d: resolution.case_reopen(case=c, by=u, **d),
        done="Reopened.",
    ),
}
PROMISE_ACTIONS = ("keep", "reschedule", "withdraw", "break")
# Written under the conversation, not in the side panel with the other actions.
COMPOSER_ACTIONS = ("message", "note")


@dataclass(frozen=True)
class Changed:
    """What an action just did, for the panel that answers it: which action, where it changed the page
    (Action.changed), the confirmation, and the event it added (focused in the conversation)."""

    action: str
    where: str
    confirmation: str
    event_id: int | None = None


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


def _focus_first_error(form: Form) -> None:
    """A form that comes back with an error: the field to fix, else its first field, is focused (autofocus:
    by the browser on a page, by htmx in what it swaps in), what was typed in it."""
    fields = form.visible_fields()
    field = next((f for f in fields if f.errors), fields[0] if fields else None)
    if field is not None:
        form.fields[field.name].widget.attrs["autofocus"] = True


def _case_context(
    request: StaffRequest,
    case: Case,
    *,
    failed: str | None = None,
    failed_form: Form | None = None,
    failed_promise: int | None = None,
    changed: Changed | None = None,
) -> dict[str, Any]:
    newest_first = request.GET.get("order") == "newest"
    user = request.user
    offered = _offered_to(case, user)
    can_change = "change" in offered
    if failed_form is not None:
        _focus_first_error(failed_form)
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
    composer = {name: form for name, _, form in actions if name in COMPOSER_ACTIONS}
    timeline = list(selectors.case_timeline(case=case, newest_first=newest_first))
    people = staff_names(selectors.usernames_in(timeline))
    focused = changed.event_id if changed is not None else None
    others = selectors.other_cases(user=user, case=case)
    return {
        "case": case,
        # The customer's words and ours as messages, notes set apart, the rest as compact lines.
        "conversation": [conversation_item(event, people, case=case, focus=event.pk == focused) for event in timeline],
        "newest_first": newest_first,
        "order_query": "?order=newest" if newest_first else "",
        "actions": [action for action in actions if action[0] not in COMPOSER_ACTIONS],
        "message_form": composer.get("message"),
        "note_form": composer.get("note"),
        # What the customer receives around the words typed: the same template and context as the email.
        "message_frame": emails.message_frame(case, by=user) if "message" in composer else None,
        "failed_action": failed,
        # An error for a form that is no longer on the page (the promise was kept meanwhile, the case
        # changed hands): said at the top of the panel instead, so it is never lost.
        "failure": _errors_of(failed_form) if failed_form is not None and not shown else [],
        "changed": changed,
        "can_change": can_change,
        "can_settle": settles,
        "change_rule": permissions.CHANGE_RULE,
        "can_take": case.can(CaseAction.TAKE) and case.owner_id is None and permissions.can_take(user),
        "open_promises": open_promises,
        "settled_promises": [p for p in promises if p.status != PromiseStatus.OPEN],
        # Linking signs the customer up for the incident's emails: offered to those who may change the case.
        "link_form": LinkIncidentForm(initial={"incident": case.incident_id}) if can_change else None,
        "other_cases": others[: selectors.OTHER_CASES_SHOWN],
        "more_cases": len(others) > selectors.OTHER_CASES_SHOWN,
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
            result = ACTIONS[action].call(case, request.user, form.cleaned_data)
        except DomainError as error:
            form.add_domain_error(error)  # type: ignore[attr-defined]
            status = error.status_code
        else:
            return _after_action(request, reference, action, result)
    context = _case_context(request, case, failed=action, failed_form=form, failed_promise=promise_id)
    if request.htmx:
        # htmx swaps only 2xx answers: the error, next to what was typed, is in the panel it swaps in.
        return render(request, "complaints/cases/_case_panel.html", context)
    return render(request, "complaints/cases/case_detail.html", context, status=status)


# Where the page that answers an action without JavaScript opens: at the part the action changed.
ANCHORS = {"promises": "promises", "header": "case-header", "details": "case-details"}


def _after_action(request: StaffRequest, reference: str, action: str, result: object) -> HttpResponse:
    try:
        case = selectors.case_detail(user=request.user, reference=reference)
    except Case.DoesNotExist:
        # Handed over outside my team: the case is no longer mine to see.
        messages.success(request, f"{reference} has been handed over.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("complaints:my-cases"))
        return redirect("complaints:my-cases")
    done = ACTIONS[action]
    confirmation = done.done.format(owner=staff_display_name(case.owner), customer=case.customer.full_name)
    event_id = result.pk if isinstance(result, CaseEvent) else None
    if request.htmx:
        changed = Changed(action, done.changed, confirmation, event_id)
        return render(request, "complaints/cases/_case_panel.html", _case_context(request, case, changed=changed))
    messages.success(request, confirmation)
    anchor = f"event-{event_id}" if event_id is not None else ANCHORS.get(done.changed, "case-header")
    return redirect(f"{_case_url(request, reference)}#{anchor}")
