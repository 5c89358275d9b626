"""What recognition sends through the outbox: each key built only here, so each email goes once:
`story:{id}:published:to:{user}` (to everyone a story is about), `story:{id}:teller` (the teller hears what
became of it), `wins:{team}:{year}-W{week}:to:{user}` (the weekly digest, once per team and week)."""

from typing import Any

from django.urls import reverse

from crm.names import staff_display_name
from crm.outbox.services import absolute, queue_email
from crm.permissions import StaffUser
from crm.times import render_email_text
from recognition.models import Story


def published_key(story: Story, user: StaffUser) -> str:
    return f"story:{story.pk}:published:to:{user.pk}"


def teller_key(story: Story) -> str:
    return f"story:{story.pk}:teller"


def digest_key(team_id: int, year: int, week: int, user: StaffUser) -> str:
    return f"wins:{team_id}:{year}-W{week:02d}:to:{user.pk}"


def story_url(story: Story) -> str:
    return absolute(reverse("recognition:story", args=[story.pk]))


def board_url() -> str:
    return absolute(reverse("recognition:board"))


def send(
    to_email: str,
    to_name: str,
    *,
    key: str,
    template: str,
    subject: str,
    staff: StaffUser | None = None,
    **context: Any,
) -> None:
    """Queue a plain-text email. `template` is a path under templates/recognition/. Times in it are in the
    time zone of `staff` (a member of staff receiving it), else the site's (a customer)."""
    if not to_email:
        return
    context.update(recipient_name=to_name, board_url=board_url())
    body_text = render_email_text(f"recognition/{template}.txt", context, reader=staff)
    queue_email(key=key, to_email=to_email, to_name=to_name, subject=subject, body_text=body_text)


def email_staff(user: StaffUser, **kwargs: Any) -> None:
    send(user.email, staff_display_name(user), staff=user, **kwargs)
