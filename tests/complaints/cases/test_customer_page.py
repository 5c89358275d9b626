"""The customer page shows their cases, open first, and the incidents that affected them: the agent a
customer calls sees everything at once, whoever owns it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.incidents import services as incident_services
from complaints.resolution import services as resolution_services
from tests.complaints.conftest import ESCAPED, XSS
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory, ServiceFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def customer_page(client, customer):
    return client.get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()


def test_the_customer_page_lists_their_cases_open_first_whoever_owns_them(as_user, alice, charlie):
    customer = CustomerFactory(full_name="Margaret Thomas")
    resolved = make_case(by=alice, customer=customer, subject="Old router")
    resolution_services.case_resolve(case=resolved, by=alice, resolution_summary="Replaced", root_cause="product")
    open_case = make_case(by=charlie, customer=customer, subject="Bill too high")
    queued = make_case(customer=customer, subject="No signal")
    make_case(by=alice, subject="Someone else's case")
    page = customer_page(as_user(alice), customer)
    section = page[page.index('id="customer-cases"') :]
    order = [section.index(case.reference) for case in (queued, open_case, resolved)]
    assert order == sorted(order)  # open ones (newest first), then the resolved one
    assert "Charlie" in section and "in the queue" in section and "Someone else" not in section
    assert f"?customer={customer.pk}" in section  # log a call for them


def test_team_visibility_keeps_other_teams_cases_off_the_customer_page(settings, as_user, alice, charlie):
    settings.CASE_VISIBILITY = "team"
    customer = CustomerFactory()
    theirs = make_case(by=charlie, customer=customer)
    mine = make_case(by=alice, customer=customer)
    page = customer_page(as_user(alice), customer)
    assert mine.reference in page and theirs.reference not in page


def test_the_customer_page_lists_incidents_that_affected_them_only(as_user, alice, lena):
    broadband, mobile = ServiceFactory(name="Broadband"), ServiceFactory(name="Mobile")
    customer = CustomerFactory()
    SubscriptionFactory(customer=customer, service=broadband, region="north")
    hit = incident_services.incident_declare(by=lena, title="Fibre cut", services=[broadband], regions=["north"])
    everywhere = incident_services.incident_declare(by=lena, title="Core outage", services=[broadband])
    elsewhere = incident_services.incident_declare(by=lena, title="South mast", services=[broadband], regions=["south"])
    other_service = incident_services.incident_declare(by=lena, title="Mobile down", services=[mobile])
    linked = incident_services.incident_declare(by=lena, title="Billing run failed", services=[mobile])
    case = make_case(by=alice, customer=customer)
    incident_services.incident_link_case(case=case, incident=linked, by=alice)
    page = customer_page(as_user(alice), customer)
    section = page[page.index('id="customer-incidents"') :]
    for incident in (hit, everywhere, linked):
        assert incident.title in section, incident.title
    for incident in (elsewhere, other_service):
        assert incident.title not in section, incident.title


def test_the_customer_page_escapes_what_customers_typed(as_user, alice):
    customer = CustomerFactory(full_name=XSS)
    make_case(by=alice, customer=customer, subject=XSS)
    page = customer_page(as_user(alice), customer)
    assert XSS not in page and ESCAPED in page


def test_the_customer_page_costs_the_same_queries_for_one_case_or_many(
    as_user, alice, lena, django_assert_max_num_queries
):
    customer = CustomerFactory()
    service = ServiceFactory()
    SubscriptionFactory(customer=customer, service=service)
    client = as_user(alice)
    make_case(by=alice, customer=customer)
    incident_services.incident_declare(by=lena, title="Outage 0", services=[service])
    with CaptureQueriesContext(connection) as one:
        customer_page(client, customer)
    for n in range(10):
        make_case(by=alice, customer=customer)
        incident_services.incident_declare(by=lena, title=f"Outage {n + 1}", services=[service])
    with django_assert_max_num_queries(len(one)):
        page = customer_page(client, customer)
    assert page.count("Outage ") == 11
