"""What feedback sends through the outbox: the key of every email (built only here), its links, and the
one way of queueing one. Keys name the cause, so each is sent once however often the cause repeats:
`suggestion:{id}:event:{event}:to:{user}` (a status change, to the author and each endorser),
`suggestion:{id}:reminder:to:{user}` (to the deciding manager), `suggestion:{id}:overdue:to:{user}`."""

from typing import Any

from django.urls import reverse

from crm.names import staff_display_name
from crm.outbox.services import absolute, queue_email
from crm.permissions import StaffUser
from crm.times import render_email_text
from feedback.models import Suggestion, SuggestionEvent


def status_change_key(event: SuggestionEvent, user: StaffUser) -> str:
    return f"suggestion:{event.suggestion_id}:event:{event.pk}:to:{user.pk}"


def reminder_key(suggestion: Suggestion, user: StaffUser) -> str:
    return f"suggestion:{suggestion.pk}:reminder:to:{user.pk}"


def overdue_key(suggestion: Suggestion, user: StaffUser) -> str:
    return f"suggestion:{suggestion.pk}:overdue:to:{user.pk}"


def suggestion_url(suggestion: Suggestion) -> str:
    return absolute(reverse("feedback:suggestion", args=[suggestion.pk]))


def email_staff(user: StaffUser, *, key: str, template: str, subject: str, **context: Any) -> None:
    """Queue an email to a member of staff, its times in their own time zone. `template` is a path under
    templates/feedback/."""
    if not user.email:
        return
    suggestion = context.get("suggestion")
    if isinstance(suggestion, Suggestion):
        context["suggestion_url"] = suggestion_url(suggestion)
    context.update(recipient_name=staff_display_name(user))
    body_text = render_email_text(f"feedback/{template}.txt", context, reader=user)
    queue_email(
        key=key,
        to_email=user.email,
        to_name=staff_display_name(user),
        subject=subject,
        body_text=body_text,
    )
