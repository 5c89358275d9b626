"""Reads for staff reviewing the mail that opened no case, and the mail a customer sent, for their copy of
their personal data."""

from typing import Any

from django.db.models import F, Q

from complaints.models import InboundEmail, InboundOutcome, RejectedEmail
from crm.models import Customer


def inbound_mail_to_review(*, limit: int = 100) -> dict[str, list]:
    """Mail that opened no case: refusals (those not yet made into a case first), then what was ignored."""
    rejected = RejectedEmail.objects.select_related("case").defer("raw")
    ignored = InboundEmail.objects.filter(outcome=InboundOutcome.AUTOMATIC).defer("raw")
    return {
        "rejected": list(rejected.order_by(F("case_id").asc(nulls_first=True), "-received_at", "-pk")[:limit]),
        "ignored": list(ignored.order_by("-received_at", "-pk")[:limit]),
    }


def personal_data_mail(customer: Customer) -> list[dict[str, Any]]:
    """For the copy of a customer's personal data: the emails we received from them or about their cases,
    kept or refused (what each was, not the raw message)."""
    from_them = Q(case__customer=customer)  # the same fields on kept and refused mail
    if customer.email:
        from_them |= Q(from_address__iexact=customer.email)
    kept = InboundEmail.objects.filter(from_them).defer("raw").order_by("received_at", "pk")
    refused = RejectedEmail.objects.filter(from_them).defer("raw").order_by("received_at", "pk")
    return [
        *(
            {"from": m.from_address, "subject": m.subject, "received_at": m.received_at, "fate": m.outcome}
            for m in kept
        ),
        *(
            {"from": m.from_address, "subject": m.subject, "received_at": m.received_at, "fate": "rejected"}
            for m in refused
        ),
    ]
