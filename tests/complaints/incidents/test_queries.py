"""The incident page's progress partial (polled every 3 s) and the deliveries endpoint read a fixed
number of queries however many updates the incident has; neither recounts the audience."""

import pytest
from django.urls import reverse

from complaints.incidents import services as incident_services
from tests.complaints.incidents.factories import subscribers
from tests.crm.factories import ServiceFactory
from tests.queries import queries

pytestmark = pytest.mark.django_db


def incident_with_updates(lena, count: int):
    service = ServiceFactory()
    subscribers(5, service=service, prefix=f"inc{count}-")
    incident = incident_services.incident_declare(by=lena, title=f"Outage {count}", services=[service])
    for n in range(count):
        update = incident_services.incident_publish_update(
            incident=incident, by=lena, subject=f"Update {n}", body="News"
        )
        incident_services.incident_fan_out(update_id=update.pk)
    return incident


def test_the_progress_partial_costs_the_same_for_one_update_and_for_six(as_user, lena, django_assert_max_num_queries):
    client = as_user(lena)
    one, six = incident_with_updates(lena, 1), incident_with_updates(lena, 6)
    baseline = queries(lambda: client.get(reverse("complaints:incident-progress", args=[one.pk])))
    with django_assert_max_num_queries(baseline):
        client.get(reverse("complaints:incident-progress", args=[six.pk]))
    assert baseline <= 10


def test_the_deliveries_endpoint_costs_the_same_for_one_update_and_for_six(api_as, lena, django_assert_max_num_queries):
    client = api_as(lena)
    one, six = incident_with_updates(lena, 1), incident_with_updates(lena, 6)
    baseline = queries(lambda: client.get(f"/api/v1/incidents/{one.pk}/deliveries/"))
    with django_assert_max_num_queries(baseline):
        assert len(client.get(f"/api/v1/incidents/{six.pk}/deliveries/").json()) == 6
    assert baseline <= 7


def test_the_incident_page_polls_once_not_twice(as_user, lena):
    incident = incident_with_updates(lena, 1)
    page = as_user(lena).get(reverse("complaints:incident", args=[incident.pk])).content.decode()
    assert page.count('hx-trigger="every 3s"') == 1


def test_the_fan_out_writes_by_chunks_of_customers_not_of_ids(lena, monkeypatch, django_assert_max_num_queries):
    """Five customers whose ids lie a million apart: two chunks of three and two, not a million empty steps."""
    from django.db.models import Max

    from crm.models import Customer, OutboundEmail, Subscription
    from tests.crm.factories import CustomerFactory

    monkeypatch.setattr(incident_services, "FANOUT_CHUNK", 3)
    service = ServiceFactory()
    first_id = (Customer.objects.aggregate(last=Max("pk"))["last"] or 0) + 1
    customers = [CustomerFactory(pk=first_id + n * 1_000_000) for n in range(5)]
    Subscription.objects.bulk_create(Subscription(customer=c, service=service, region="north") for c in customers)
    incident = incident_services.incident_declare(by=lena, title="Sparse outage", services=[service])
    update = incident_services.incident_publish_update(incident=incident, by=lena, subject="Down", body="News")
    # The update and its checks (3), the chunk ends (1), two chunks (2), the count, the mark, the pages of ids
    # to enqueue (2), and a savepoint pair around each of the three blocks inside the test's transaction.
    with django_assert_max_num_queries(16):
        assert incident_services.incident_fan_out(update_id=update.pk) == 5
    written = OutboundEmail.objects.filter(bulk=update.email).values_list("customer_id", flat=True)
    assert sorted(written) == [c.pk for c in customers]
