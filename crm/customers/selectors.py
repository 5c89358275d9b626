"""Reads for customer lists, the similar-customer check and the copy of a customer's personal data."""

import difflib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet

from crm.models import Customer, OutboundEmail
from crm.personal_data import collected
from crm.search import name_words, search_key
from crm.validation import normalise_email, normalise_phone

SIMILAR_NAME_THRESHOLD = 0.3
# On SQLite the fallback compares names in Python: bound the candidates it reads.
FALLBACK_CANDIDATES = 2000


def customer_list(*, q: str = "") -> QuerySet:
    return Customer.objects.search(q).order_by("full_name", "id")


def _safe(normalise: Callable[[str], str], value: str) -> str:
    try:
        return normalise(value)
    except Exception:  # noqa: BLE001 - an unparseable email/phone simply matches nothing
        return ""


def customers_similar(
    *, name: str = "", email: str = "", phone: str = "", exclude_id: int | None = None, limit: int = 5
) -> list[Customer]:
    """Existing customers who may be the same person: same email or phone first, then those the customer
    search finds by the name's words, then similar names (typos, other spellings)."""
    base = Customer.objects.all()
    if exclude_id is not None:
        base = base.exclude(pk=exclude_id)
    email, phone, name = _safe(normalise_email, email), _safe(normalise_phone, phone), " ".join(name.split())
    found: list[Customer] = []
    contact = Q()
    if email:
        contact |= Q(email__iexact=email)
    if phone:
        contact |= Q(phone=phone)
    if contact:
        found.extend(base.filter(contact).order_by("pk")[:limit])
    if name and len(found) < limit and name_words(name):
        found.extend(base.search(name).exclude(pk__in=[c.pk for c in found]).order_by("pk")[: limit - len(found)])
    if name and len(found) < limit:
        rest = base.exclude(pk__in=[c.pk for c in found])
        found.extend(_similar_names(rest, search_key(name), limit - len(found)))
    return found


def _similar_names(customers: QuerySet, key: str, limit: int) -> list[Customer]:
    """Names like `key` (a search key), best first, compared as search keys so every script behaves alike."""
    if not key:
        return []
    if settings.USING_POSTGRES:
        from django.contrib.postgres.search import TrigramSimilarity

        # trigram_similar (the % operator, threshold 0.3) uses the GIN index; similarity() orders the few matches.
        return list(
            customers.filter(search_name__trigram_similar=key)
            .annotate(similarity=TrigramSimilarity("search_name", key))
            .filter(similarity__gte=SIMILAR_NAME_THRESHOLD)
            .order_by("-similarity", "pk")[:limit]
        )
    words = [w for w in key.split() if len(w) >= 2]
    prefix = Q()
    for word in words:
        prefix |= Q(search_name__contains=word[:3])
    candidates = customers.filter(prefix)[:FALLBACK_CANDIDATES] if words else []
    scored = [(difflib.SequenceMatcher(None, key, c.search_name).ratio(), c.pk, c) for c in candidates]
    return [c for score, _, c in sorted(scored, key=lambda s: (-s[0], s[1])) if score >= 0.6][:limit]


def notices_token(customer_id: int) -> str:
    """The signed part of a customer's stop-service-notices link (no login, cannot be guessed)."""
    return signing.dumps(customer_id, salt="service-notices")


def customer_from_notices_token(token: str) -> Customer | None:
    try:
        customer_id = signing.loads(token, salt="service-notices")
    except signing.BadSignature:
        return None
    return Customer.objects.filter(pk=customer_id).first()


def personal_data(customer: Customer) -> dict[str, Any]:
    """Everything Gemdesk holds about this customer, as plain data: their record and name history, the
    services they use and the emails we sent them here, and what each other app holds (crm.personal_data).
    Never what staff wrote among themselves (notes), nor anyone else's data."""
    record = {field.name: getattr(customer, field.attname) for field in Customer._meta.concrete_fields}
    for internal in ("search_name", "name_confirmed_by"):
        record.pop(internal, None)
    to_them = Q(customer=customer)
    if customer.email:  # mail written before they were a customer (a compliment's thanks) went by address
        to_them |= Q(to_email__iexact=customer.email)
    emails = OutboundEmail.objects.filter(to_them)
    return {
        "customer": record,
        "name_history": [
            {"field": change.field, "before": change.before, "after": change.after, "at": change.changed_at}
            for change in customer.name_changes.order_by("changed_at", "id")
        ],
        "services": [
            {"service": s.service.name, "region": s.region, "active": s.active, "since": s.started_at}
            for s in customer.subscriptions.select_related("service").order_by("started_at", "id")
        ],
        "emails_sent_to_them": [
            {
                "to": email.to_email,
                "subject": email.bulk.subject if email.bulk else email.subject,
                "state": email.state,
                "written_at": email.created_at,
                "sent_at": email.sent_at,
            }
            for email in emails.select_related("bulk").order_by("created_at", "id")
        ],
        **collected(customer),
    }
