"""What each app holds about one customer: for the copy of their personal data they may ask for (GDPR
articles 15 and 20), and for erasing it (article 17). crm cannot import the apps that depend on it, so each
app registers what it holds when Django starts, as with page sections (crm.sections): complaints their
cases and the mail they sent, recognition the compliments they gave."""

from collections.abc import Callable
from typing import Any

from crm.models import Customer
from crm.permissions import StaffUser

# What erased personal data reads as, everywhere.
ERASED = "[erased]"

Collector = Callable[[Customer], Any]
# Given the customer (still with their details), what identifies them (name, email, phone), who erases and
# why: replaces what the app holds of them with ERASED, in the erasure's transaction.
Eraser = Callable[[Customer, list[str], StaffUser, str], None]

_collectors: dict[str, Collector] = {}
_erasers: list[Eraser] = []


def register(name: str, collector: Collector, eraser: Eraser | None = None) -> None:
    """`name` is the key of this part in the export; `collector` returns plain data (JSON-ready)."""
    _collectors[name] = collector
    if eraser is not None:
        _erasers.append(eraser)


def collected(customer: Customer) -> dict[str, Any]:
    return {name: collector(customer) for name, collector in _collectors.items()}


def erase_everywhere(customer: Customer, identifiers: list[str], *, by: StaffUser, reason: str) -> None:
    for eraser in _erasers:
        eraser(customer, identifiers, by, reason)


def identifiers_of(customer: Customer) -> list[str]:
    """What would find this customer in any text: their names (those they had before too), email, phone and
    address (each at least 3 characters)."""
    earlier = [value for change in customer.name_changes.all() for value in (change.before, change.after)]
    values = [
        *earlier,
        customer.full_name,
        customer.preferred_name,
        customer.formal_name,
        customer.email,
        customer.phone,
        customer.address_line1,
        customer.postcode,
    ]
    return [value for value in dict.fromkeys(v.strip() for v in values) if len(value) >= 3]


def scrubbed(value: Any, identifiers: list[str]) -> Any:
    """The value with every text that names the customer replaced by ERASED (lists and dicts inside too)."""
    if isinstance(value, str):
        folded = value.casefold()
        return ERASED if any(i.casefold() in folded for i in identifiers) else value
    if isinstance(value, list):
        return [scrubbed(item, identifiers) for item in value]
    if isinstance(value, dict):
        return {key: scrubbed(item, identifiers) for key, item in value.items()}
    return value
