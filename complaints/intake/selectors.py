"""Reads for the customer's private status page and its JSON twin: only their case, only what is theirs;
and the same view of all their cases for the copy of their personal data."""

from typing import Any

from complaints.models import Case, CaseEvent, EventKind, Promise
from complaints.resolution.services import customer_reopen_deadline
from crm.models import Customer
from crm.names import staff_display_name
from crm.permissions import StaffUser


def case_for_customer(*, token: str) -> Case:
    """The case behind a private status link (Case.DoesNotExist for any unknown token)."""
    if not token or len(token) > 64:
        raise Case.DoesNotExist
    return Case.objects.select_related("owner__staff_profile", "customer").get(public_token=token)


def first_name_of(user: StaffUser | None) -> str:
    """How customers know a staff member: the first word of their display name."""
    full = staff_display_name(user)
    return full.split(" ")[0] if full else ""


def owner_first_name(case: Case) -> str:
    return first_name_of(case.owner)


def latest_rating(case: Case) -> CaseEvent | None:
    """The customer's rating of the current resolution (None: not resolved, or not rated yet)."""
    if case.resolved_at is None:
        return None
    ratings = CaseEvent.objects.filter(case=case, kind=EventKind.RATED, created_at__gte=case.resolved_at)
    return ratings.order_by("-created_at", "-id").first()


def _resolution(case: Case) -> dict[str, Any] | None:
    """What was done, by whom, until when the customer may reopen, and their rating: only while resolved."""
    if case.resolved_at is None:
        return None
    resolved = (
        CaseEvent.objects.filter(case=case, kind=EventKind.RESOLVED)
        .select_related("actor__staff_profile")
        .order_by("-created_at", "-id")
        .first()
    )
    rating = latest_rating(case)
    return {
        "summary": case.resolution_summary,
        "resolved_at": case.resolved_at,
        "resolved_by_first_name": first_name_of(resolved.actor if resolved else None),
        "reopen_until": customer_reopen_deadline(case),
        "rating": {"score": rating.data["score"], "comment": rating.data.get("comment", "")} if rating else None,
    }


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
            {"text": p.text, "due_at": p.due_at, "late": p.overdue_at is not None}
            for p in Promise.objects.filter(case=case).open().order_by("due_at", "id")
        ],
        "resolution": _resolution(case),
        "messages": [
            {
                "from": "you" if e.kind == EventKind.MESSAGE_IN else "us",
                "at": e.created_at,
                "text": e.data.get("text", ""),
            }
            for e in conversation
        ],
    }


def personal_data_cases(customer: Customer) -> list[dict[str, Any]]:
    """For the copy of a customer's personal data: each of their cases as their status page shows it,
    with what they told us when they complained and every rating they gave. Never internal notes."""
    exported = []
    for case in customer.cases.order_by("opened_at", "id"):
        ratings = CaseEvent.objects.filter(case=case, kind=EventKind.RATED).order_by("created_at", "id")
        exported.append(
            customer_view_of(case)
            | {
                "channel": case.channel,
                "outcome_wanted": case.outcome_wanted,
                "order_reference": case.order_reference,
                "name_as_given": case.name_as_given,
                "title_as_given": case.title_as_given,
                "ratings": [
                    {"score": e.data.get("score"), "comment": e.data.get("comment", ""), "at": e.created_at}
                    for e in ratings
                ],
            }
        )
    return exported
