"""Reads of customers' compliments: what one customer gave, for the copy of their personal data."""

from typing import Any

from django.db.models import Q, QuerySet

from crm.models import Customer
from recognition.models import Story, TellerKind


def compliments_of(customer: Customer) -> QuerySet[Story]:
    """The compliments a customer gave, by their address or through their own cases' status pages."""
    theirs = Q(case__customer=customer)
    if customer.email:
        theirs |= Q(customer_email__iexact=customer.email)
    return Story.objects.filter(theirs, teller_kind=TellerKind.CUSTOMER)


def personal_data_compliments(customer: Customer) -> list[dict[str, Any]]:
    """For the copy of a customer's personal data: the compliments they gave, as they wrote them."""
    return [
        {
            "name": story.customer_name,
            "email": story.customer_email,
            "about": story.about_as_given,
            "story": story.text,
            "given_at": story.created_at,
            "status": story.status,
        }
        for story in compliments_of(customer).order_by("created_at", "id")
    ]
