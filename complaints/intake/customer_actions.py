"""The four things a customer does on their status page (reply, rate, reopen, ask for a manager), shared by
the page and its JSON twin: each calls its service and says, in the customer's words, what happens next."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.forms import Form
from rest_framework.serializers import Serializer

from complaints.intake import forms, serializers, services
from complaints.intake.selectors import owner_first_name
from complaints.models import ActorKind, Case, CaseAction, PromiseKind
from complaints.resolution.services import case_reopen
from crm.names import staff_display_name
from crm.times import absolute, in_site_zone


def when(moment: datetime) -> str:
    """A due time as a customer reads it: "Fri 27 Nov 2026, 14:00 GMT", in the site's time zone (crm.times)."""
    with in_site_zone():
        return absolute(moment)


def _who_answers(case: Case) -> str:
    return owner_first_name(case) or "The first member of our team to pick up your case"


def _reply(case: Case, data: dict[str, Any]) -> str:
    services.case_receive_message(case=case, text=data["text"])
    case.refresh_from_db()
    return f"Thank you, your message is on your case. {_who_answers(case)} will read it."


def _rate(case: Case, data: dict[str, Any]) -> str:
    services.case_rate(case=case, score=data["score"], comment=data.get("comment", ""))
    return f"Thank you for rating us {data['score']} out of 5. It helps us get better."


def _reopen(case: Case, data: dict[str, Any]) -> str:
    case = case_reopen(case=case, by=None, reason=data["reason"], actor_kind=ActorKind.CUSTOMER)
    answer = case.promises.open().filter(kind=PromiseKind.REPLY).order_by("-made_at", "-id").first()
    by = f" by {when(answer.due_at)}" if answer else " soon"
    return f"Your case is open again. {_who_answers(case)} will answer you{by}."


def _ask_for_manager(case: Case, data: dict[str, Any]) -> str:
    promise = services.case_customer_asks_for_manager(case=case, reason=data["reason"])
    if promise is None:
        return "Your request is recorded; a manager will be in touch."
    senior = staff_display_name(promise.made_by)
    return f"{senior} has joined your case and will answer you by {when(promise.due_at)}."


@dataclass(frozen=True)
class CustomerAction:
    form: type[Form]  # the status page's form
    payload: type[Serializer]  # the JSON twin's body
    allowed_by: str  # the CaseAction the case's status must allow for the page to offer it
    perform: Callable[[Case, dict[str, Any]], str]  # runs the service; says what happens next
    created: bool  # the API answers 201 (something new on the case) rather than 200


CUSTOMER_ACTIONS: dict[str, CustomerAction] = {
    "reply": CustomerAction(
        forms.CustomerReplyForm, serializers.PublicMessageInput, CaseAction.CUSTOMER_WRITES, _reply, True
    ),
    "rate": CustomerAction(forms.RatingForm, serializers.PublicRatingInput, CaseAction.RATE, _rate, True),
    "reopen": CustomerAction(
        forms.CustomerReasonForm, serializers.PublicReasonInput, CaseAction.REOPEN, _reopen, False
    ),
    "escalate": CustomerAction(
        forms.CustomerReasonForm,
        serializers.PublicReasonInput,
        CaseAction.CUSTOMER_ASKS_FOR_MANAGER,
        _ask_for_manager,
        False,
    ),
}
