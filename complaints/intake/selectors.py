"""Reads for the customer's private status page and its JSON twin: only their case, only what is theirs."""

from typing import Any

from complaints.models import Case, CaseEvent, EventKind, Promise


def case_for_customer(*, token: str) -> Case:
    """The case behind a private status link (Case.DoesNotExist for any unknown token)."""
    if not token or len(token) > 64:
        raise Case.DoesNotExist
    return Case.objects.select_related("owner__staff_profile", "customer").get(public_token=token)


def owner_first_name(case: Case) -> str:
    if case.owner is None:
        return ""
    profile = getattr(case.owner, "staff_profile", None)
    full = (profile.display_name if profile else "") or case.owner.first_name or ""
    return full.split(" ")[0] if full else ""


def customer_view_of(case: Case) -> dict[str, Any]:
    """What the customer may see of their case: never internal notes, never unverified messages,
    never anyone else's data."""
    conversation = CaseEvent.objects.filter(case=case, kind__in=[EventKind.MESSAGE_OUT, EventKind.MESSAGE_IN]).order_by(
        "created_at", "id"
    )
    return {
        "reference": case.reference,
        "status": case.status,
        "status_label": case.get_status_display(),
        "subject": case.subject,
        "opened_at": case.opened_at,
        "resolved_at": case.resolved_at,
        "owner_first_name": owner_first_name(case),
        "description": case.description,
        "promises": [
            {"text": p.text, "due_at": p.due_at}
            for p in Promise.objects.filter(case=case).open().order_by("due_at", "id")
        ],
        "messages": [
            {
                "from": "you" if e.kind == EventKind.MESSAGE_IN else "us",
                "at": e.created_at,
                "text": e.data.get("text", ""),
            }
            for e in conversation
        ],
    }
