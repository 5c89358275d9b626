"""The smaller holes of the security test, each closed: oversized bodies, header-bound fields,
who may sign a customer up for incident emails."""

import json

import pytest
from django.urls import reverse

from complaints import services
from complaints.exceptions import NotPermitted
from complaints.models import Case, EventKind
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_a_public_body_over_the_limit_is_413_in_the_error_shape_never_500(api):
    huge = json.dumps({"name": "x", "email": "x@example.test", "description": "y" * 3_000_000})
    response = api.post("/api/v1/public/complaints/", huge, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is too large") and response.json()["errors"] == {}
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "subject", ["Hello\r\nBcc: victim@evil.test", "Hello\nthere", "Hi\u2028x", "Tab\there", "N\x85L"]
)
def test_line_breaks_in_a_case_subject_are_400_naming_the_field_on_create_and_edit(api_as, alice, subject):
    customer = CustomerFactory()
    body = {"customer": customer.pk, "channel": "phone", "subject": subject, "description": "d"}
    created = api_as(alice).post("/api/v1/cases/", body, format="json")
    assert created.status_code == 400 and "subject" in created.json()["errors"]
    case = make_case(by=alice)
    edited = api_as(alice).patch(f"/api/v1/cases/{case.reference}/", {"subject": subject}, format="json")
    assert edited.status_code == 400 and "subject" in edited.json()["errors"]
    case.refresh_from_db()
    assert case.subject == "Broadband down for three days"


@pytest.fixture
def incident(lena):
    return services.incident_declare(by=lena, title="Outage", services=[ServiceFactory()])


@pytest.mark.parametrize("persona", ["bob", "erin"])
def test_only_those_who_may_change_a_case_link_it_to_an_incident(request, client, alice, incident, persona):
    case = make_case(by=alice)
    user = request.getfixturevalue(persona)
    with pytest.raises(NotPermitted):
        services.incident_link_case(case=case, incident=incident, by=user)
    client.force_login(user)
    response = client.post(reverse("complaints:link-incident", args=[case.reference]), {"incident": incident.pk})
    case.refresh_from_db()
    assert case.incident is None and response.status_code in (403, 302)
    assert not case.events.filter(kind=EventKind.UPDATED).exists()


def test_the_owner_links_and_the_event_records_the_incident_before_and_after(alice, incident, lena):
    case = make_case(by=alice)
    services.incident_link_case(case=case, incident=incident, by=alice)
    other = services.incident_declare(by=lena, title="Another", services=[ServiceFactory()])
    services.incident_link_case(case=case, incident=other, by=alice)
    changes = [e.data["changes"]["incident"] for e in case.events.filter(kind=EventKind.UPDATED)]
    assert changes == [[None, incident.pk], [incident.pk, other.pk]]
