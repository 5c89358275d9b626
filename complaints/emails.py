"""What complaints sends through the outbox: the key of every email (built and parsed only here),
the absolute links in them (through reverse()), and the two ways of queueing one.

A key names the email's cause, so the outbox sends it once however often the cause is repeated:
`case:{case}:acknowledgement`, `case:{case}:message:{event}`, `promise:{promise}:slip`,
`incident-update:{update}:customer:{customer}`, `figures-digest:{year}-W{week}:to:{user}`, …
"""

from typing import Any

from django.db.models import Q
from django.urls import reverse

from complaints.models import Case, CaseEvent, Collaborator, IncidentUpdate, Promise
from crm.names import staff_display_name
from crm.outbox.services import absolute, queue_email
from crm.permissions import StaffUser
from crm.times import render_email_text

# --- Keys ---------------------------------------------------------------------------------------------


def about_case(case: Case) -> Q:
    """Every email about this case, to anyone: the case's own, its promises', its owner's incident notes."""
    promise_keys = Q()
    for promise_id in Promise.objects.filter(case=case).values_list("pk", flat=True):
        promise_keys |= Q(key__startswith=f"promise:{promise_id}:")
    return Q(key__startswith=f"case:{case.pk}:") | Q(key__endswith=f":owner-of:{case.pk}") | promise_keys


def acknowledgement_key(case: Case) -> str:
    return f"case:{case.pk}:acknowledgement"


def handover_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:handover:{event.pk}"


def escalation_key(case: Case, collaborator: Collaborator) -> str:
    return f"case:{case.pk}:escalation:{collaborator.pk}"


def message_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:message:{event.pk}"


def customer_message_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:customer-message:{event.pk}"


def unverified_message_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:unverified-message:{event.pk}"


def manager_request_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:customer-escalation:{event.pk}"


def assigned_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:assigned:{event.pk}"


def handed_to_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:handed-to:{event.pk}"


def resolved_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:resolved:{event.pk}"


def reopened_key(case: Case, event: CaseEvent) -> str:
    return f"case:{case.pk}:reopened:{event.pk}"


def promise_made_key(promise: Promise) -> str:
    return f"promise:{promise.pk}:made"


def promise_withdrawn_key(promise: Promise) -> str:
    return f"promise:{promise.pk}:withdrawn"


def promise_overdue_key(promise: Promise) -> str:
    return f"promise:{promise.pk}:overdue"


def promise_slip_key(promise: Promise) -> str:
    return f"promise:{promise.pk}:slip"


def promise_warning_key(promise: Promise) -> str:
    return f"promise:{promise.pk}:warning"


def promise_broken_key(promise: Promise) -> str:
    return f"promise:{promise.pk}:broken"


def figures_digest_key(year: int, week: int, user: StaffUser) -> str:
    return f"figures-digest:{year}-W{week:02d}:to:{user.pk}"


# The weekly digest lists this many overdue promises (and says how many there are).
DIGEST_OVERDUE_SHOWN = 10


def incident_update_batch(update: IncidentUpdate) -> str:
    """The outbox batch of an update's notices: its progress is one indexed count."""
    return f"incident-update:{update.pk}"


def incident_notice_key_prefix(update: IncidentUpdate) -> str:
    """Each notice's key is this followed by the customer's id (the bulk INSERT appends it)."""
    return f"incident-update:{update.pk}:customer:"


def incident_owner_key(update: IncidentUpdate, case: Case) -> str:
    return f"incident-update:{update.pk}:owner-of:{case.pk}"


def what_key_is_about(key: str) -> tuple[str, int] | None:
    """("case", 12) or ("promise", 7): what an email of ours was about, read back from its key."""
    kind, _, rest = key.partition(":")
    object_id = rest.partition(":")[0]
    if kind in ("case", "promise") and object_id.isdigit():
        return kind, int(object_id)
    return None


def acknowledged_case_id(key: str) -> int | None:
    """The case whose acknowledgement this key is, if it is one."""
    about = what_key_is_about(key)
    return about[1] if about and about[0] == "case" and key == f"case:{about[1]}:acknowledgement" else None


# --- Links ----------------------------------------------------------------------------------------------


def status_url(case: Case) -> str:
    """The customer's private link: only ever in emails to the customer's own address."""
    return absolute(reverse("case-status", args=[case.public_token]))


def case_url(case: Case) -> str:
    return absolute(reverse("complaints:case-detail", args=[case.reference]))


def dashboard_url() -> str:
    return absolute(reverse("complaints:figures"))


def public_incidents_url() -> str:
    return absolute(reverse("public-incidents"))


def complain_url() -> str:
    return absolute(reverse("complain"))


# --- Queueing --------------------------------------------------------------------------------------------


def email_customer(case: Case, *, key: str, template: str, subject: str, **context: Any) -> None:
    """Queue an email to the case's customer at their stored address (skipped if they have none).
    `template` is a path under templates/complaints/, e.g. "cases/email/handover". Times in it are in the
    site's time zone, named ("17:00 GMT"), whichever staff member's action sent it."""
    customer = case.customer
    if not customer.email:
        return
    queue_email(
        key=key,
        to_email=customer.email,
        to_name=customer.full_name,
        subject=customer_subject(case, subject),
        body_text=customer_body(case, template=template, **context),
        customer=customer,
    )


def customer_subject(case: Case, subject: str) -> str:
    return f"[{case.reference}] {subject}"


def customer_body(case: Case, *, template: str, link: str | None = None, **context: Any) -> str:
    """The text of an email to the case's customer (email_customer's body): the salutation crm's names give
    them, the template's words, their private link (`link` stands in for it where staff read the text)."""
    customer = case.customer
    context.update(case=case, customer=customer, salutation=customer.salutation, status_url=link or status_url(case))
    return render_email_text(f"complaints/{template}.txt", context)


# A message to the customer from the case page: the staff member's words between the greeting and the
# signature this template adds. The page's preview renders it with the same context (message_frame).
MESSAGE_TEMPLATE = "cases/email/message"
# What the preview shows in place of the customer's private link, which only ever goes to their own address.
PRIVATE_LINK_SHOWN = "[their private link to the case]"
_TEXT_HERE = "\x00text\x00"


def _message_context(text: str, by: StaffUser) -> dict[str, Any]:
    return {"text": text, "owner_name": staff_display_name(by)}


def email_message(case: Case, *, key: str, text: str, by: StaffUser) -> None:
    """Queue a message `by` wrote to the customer (case_send_message)."""
    email_customer(case, key=key, template=MESSAGE_TEMPLATE, subject=case.subject, **_message_context(text, by))


def message_frame(case: Case, *, by: StaffUser) -> dict[str, str]:
    """What email_message adds around the words `by` writes, for the case page's preview: the subject, the
    greeting before the words and the signature after them (the private link shown as PRIVATE_LINK_SHOWN)."""
    context = _message_context(_TEXT_HERE, by)
    body = customer_body(case, template=MESSAGE_TEMPLATE, link=PRIVATE_LINK_SHOWN, **context)
    before, _, after = body.partition(_TEXT_HERE)
    return {"subject": customer_subject(case, case.subject), "greeting": before.strip(), "signature": after.strip()}


def email_staff(user: StaffUser, *, key: str, template: str, subject: str, **context: Any) -> None:
    """Queue an email to a member of staff, its times in their own time zone (crm.times)."""
    if not user.email:
        return
    if isinstance(context.get("case"), Case):
        context["case_url"] = case_url(context["case"])
    context.update(recipient=user, recipient_name=staff_display_name(user))
    body_text = render_email_text(f"complaints/{template}.txt", context, reader=user)
    queue_email(
        key=key,
        to_email=user.email,
        to_name=staff_display_name(user),
        subject=subject,
        body_text=body_text,
    )


def email_owner(case: Case, *, key: str, template: str, subject: str, **context: Any) -> None:
    if case.owner is not None:
        email_staff(case.owner, key=key, template=template, subject=subject, case=case, **context)
