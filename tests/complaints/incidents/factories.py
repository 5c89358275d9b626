"""Many affected customers at once, and publishing an update, for incident tests."""

from complaints.incidents import services as incident_services
from complaints.models import Incident, IncidentUpdate
from crm.models import Customer, Service, Subscription


def subscribers(count: int, *, service: Service, region: str = "north", prefix: str = "sub") -> list[Customer]:
    customers = Customer.objects.bulk_create(
        Customer(full_name=f"Customer {n}", email=f"{prefix}{n}@example.test") for n in range(count)
    )
    Subscription.objects.bulk_create(Subscription(customer=c, service=service, region=region) for c in customers)
    return customers


def publish(incident: Incident, by, **extra) -> IncidentUpdate:
    return incident_services.incident_publish_update(
        incident=incident,
        by=by,
        subject="Broadband outage in the north",
        body="Engineers are repairing a cut cable.",
        **extra,
    )
