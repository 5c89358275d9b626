"""Incident pages: preview, publish, progress; the public status page; stopping notices."""

import pytest
from django.core import signing
from django.urls import reverse

from crm.customers import selectors as customer_selectors
from crm.models import Customer
from tests.complaints.incidents.factories import publish, subscribers

pytestmark = pytest.mark.django_db


def test_the_unsubscribe_link_stops_notices(client, broadband):
    customer = subscribers(1, service=broadband)[0]
    token = customer_selectors.notices_token(customer.pk)
    assert client.get(reverse("service-notices", args=[token])).status_code == 200
    assert client.post(reverse("service-notices", args=[token])).status_code == 200
    customer.refresh_from_db()
    assert customer.service_notices_opt_out
    assert client.get(reverse("service-notices", args=[signing.dumps(customer.pk, salt="other")])).status_code == 404


def test_incident_pages_preview_publish_and_show_progress(client, lena, incident, broadband):
    customers = subscribers(4, service=broadband)
    Customer.objects.filter(pk=customers[0].pk).update(title="Ms", formal_name="Kowalska")
    client.force_login(lena)
    page = client.get(reverse("complaints:incident", args=[incident.pk])).content.decode()
    assert "<strong>4</strong> customers" in page
    preview = client.post(
        reverse("complaints:incident", args=[incident.pk]),
        {"subject": "Outage", "body": "We are on it.", "preview": "1"},
    ).content.decode()
    assert preview.count("would receive") == 3 and "Dear Ms Kowalska,\n\nWe are on it." in preview
    assert not incident.updates.exists()
    response = client.post(
        reverse("complaints:incident", args=[incident.pk]), {"subject": "Outage", "body": "We are on it."}
    )
    assert response.status_code == 302
    progress = client.get(reverse("complaints:incident-progress", args=[incident.pk])).content.decode()
    assert "Outage" in progress


def test_public_incidents_page_shows_updates_without_login(client, incident, lena):
    publish(incident, lena)
    page = client.get("/incidents/").content.decode()
    assert "Broadband outage" in page and "Engineers are repairing a cut cable." in page


def test_the_complaint_form_suggests_open_incidents(client, incident):
    page = client.get("/complain/").content.decode()
    assert "Known problems we are fixing now" in page and "Broadband outage" in page
