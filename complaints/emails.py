"""What complaints sends through the outbox: the key of every email (built and parsed only here),
the absolute links in them (through reverse()), and the two ways of queueing one.

A key names the email's cause, so the outbox sends it once however often the cause is repeated:
`case:{case}:acknowledgement`, `case:{case}:message:{event}`, `promise:{promise}:slip`,
`incident-update:{update}:customer:{customer}`, `figures-digest:{year}-W{week}:to:{user}`, …
"""

from typing import Any

from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from complaints.models import Case, CaseEvent, Collaborator, IncidentUpdate, Promise
from crm.names import staff_display_name
from crm.outbox.services import absolute, queue_email
from crm.permissions import StaffUser

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
    `template` is a path under templates/complaints/, e.g. "cases/email/handover"."""
    customer = case.customer
    if not customer.email:
        return
    context.update(case=case, customer=customer, salutation=customer.salutation, status_url=status_url(case))
    queue_email(
        key=key,
        to_email=customer.email,
        to_name=customer.full_name,
        subject=f"[{case.reference}] {subject}",
        body_text=render_to_string(f"complaints/{template}.txt", context),
        customer=customer,
    )


def email_staff(user: StaffUser, *, key: str, template: str, subject: str, **context: Any) -> None:
    if not user.email:
        return
    if isinstance(context.get("case"), Case):
        context["case_url"] = case_url(context["case"])
    context.update(recipient=user, recipient_name=staff_display_name(user))
    queue_email(
        key=key,
        to_email=user.email,
        to_name=staff_display_name(user),
        subject=subject,
        body_text=render_to_string(f"complaints/{template}.txt", context),
    )


def email_owner(case: Case, *, key: str, template: str, subject: str, **context: Any) -> None:
    if case.owner is not None:
        email_staff(case.owner, key=key, template=template, subject=subject, case=case, **context)
