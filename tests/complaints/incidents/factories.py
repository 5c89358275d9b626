"""Many affected customers at once, for incident tests."""

from crm.models import Customer, Service, Subscription


def subscribers(count: int, *, service: Service, region: str = "north", prefix: str = "sub") -> list[Customer]:
    customers = Customer.objects.bulk_create(
        Customer(full_name=f"Customer {n}", email=f"{prefix}{n}@example.test") for n in range(count)
    )
    Subscription.objects.bulk_create(Subscription(customer=c, service=service, region=region) for c in customers)
    return customers
