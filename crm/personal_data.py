"""What each app holds about one customer, for the copy of their personal data they may ask for (GDPR
articles 15 and 20). crm cannot import the apps that depend on it, so each app registers what it holds
when Django starts, as with page sections (crm.sections): complaints their cases and the mail they sent,
recognition the compliments they gave."""

from collections.abc import Callable
from typing import Any

from crm.models import Customer

Collector = Callable[[Customer], Any]

_collectors: dict[str, Collector] = {}


def register(name: str, collector: Collector) -> None:
    """`name` is the key of this part in the export; `collector` returns plain data (JSON-ready)."""
    _collectors[name] = collector


def collected(customer: Customer) -> dict[str, Any]:
    return {name: collector(customer) for name, collector in _collectors.items()}
