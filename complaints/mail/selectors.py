"""Reads for staff reviewing the mail that opened no case."""

from django.db.models import F

from complaints.models import InboundEmail, InboundOutcome, RejectedEmail


def inbound_mail_to_review(*, limit: int = 100) -> dict[str, list]:
    """Mail that opened no case: refusals (those not yet made into a case first), then what was ignored."""
    rejected = RejectedEmail.objects.select_related("case").defer("raw")
    ignored = InboundEmail.objects.filter(outcome=InboundOutcome.AUTOMATIC).defer("raw")
    return {
        "rejected": list(rejected.order_by(F("case_id").asc(nulls_first=True), "-received_at", "-pk")[:limit]),
        "ignored": list(ignored.order_by("-received_at", "-pk")[:limit]),
    }
