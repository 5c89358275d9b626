"""A bulk email written the way an incident notice writes one, for the outbox's tests."""

import email.message

from crm.models import BulkEmail, Customer, OutboundEmail
from crm.outbox import services as outbox_services

NOTICE = (
    "{{ salutation }},\n\nThe broadband network in your area is down since 14:05; engineers are on site.\n"
    "Stop these notices: https://gemdesk.example/notices/{{ notices_token }}/\n"
)
HEADERS = {
    "List-Unsubscribe": "<https://gemdesk.example/notices/{{ notices_token }}/>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    "Auto-Submitted": "auto-generated",
}
KEY_PREFIX, BATCH = "notice:9:customer:", "notice:9"


def write_bulk(
    customers, *, subject="Broadband outage in your area", body=NOTICE
) -> tuple[int, BulkEmail, list[OutboundEmail]]:
    """How many rows were written, the bulk email, and its rows (with their customers) in id order."""
    bulk = BulkEmail.objects.create(subject=subject, body_text=body, headers=HEADERS)
    written = outbox_services.insert_bulk_emails(
        bulk=bulk,
        customers=Customer.objects.filter(pk__in=[c.pk for c in customers]),
        key_prefix=KEY_PREFIX,
        batch=BATCH,
    )
    return written, bulk, list(OutboundEmail.objects.filter(bulk=bulk).select_related("customer").order_by("pk"))


def notices_token(message: email.message.Message) -> str:
    """The customer's stop token in a sent copy's List-Unsubscribe header (unfolded)."""
    header = "".join(str(message["List-Unsubscribe"]).split())
    return header.removeprefix("<https://gemdesk.example/notices/").removesuffix("/>")
