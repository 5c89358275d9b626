"""The incidents API: declare, publish, deliveries; for leads and up."""

import pytest

from complaints.incidents import services as incident_services
from crm.models import OutboundEmail
from tests.complaints.incidents.factories import subscribers

pytestmark = pytest.mark.django_db


def test_api_declare_publish_and_deliveries(api_as, lena, broadband):
    subscribers(2, service=broadband)
    client = api_as(lena)
    created = client.post("/api/v1/incidents/", {"title": "Outage", "services": ["broadband"]}, format="json")
    assert created.status_code == 201
    incident_id = created.json()["id"]
    update = client.post(
        f"/api/v1/incidents/{incident_id}/updates/", {"subject": "Outage", "body": "Fixing"}, format="json"
    )
    assert update.status_code == 201
    incident_services.incident_fan_out(update_id=update.json()["id"])
    OutboundEmail.objects.filter(to_email="sub0@example.test").update(state="failed", last_error="550 no such user")
    [deliveries] = client.get(f"/api/v1/incidents/{incident_id}/deliveries/").json()
    assert deliveries["counts"] == {"pending": 1, "sending": 0, "sent": 0, "failed": 1}
    assert deliveries["failures"] == [
        {"to_email": "sub0@example.test", "last_error": "550 no such user", "attempts": 0}
    ]


@pytest.mark.parametrize(("persona", "code"), [("alice", 403), ("lena", 200), ("mona", 200), ("erin", 200)])
def test_incident_api_is_for_leads_and_up(request, api, api_as, persona, code, incident):
    client = api_as(request.getfixturevalue(persona))
    assert client.get("/api/v1/incidents/").status_code == code
    assert client.get(f"/api/v1/incidents/{incident.pk}/deliveries/").status_code == code
    assert api.get("/api/v1/incidents/").status_code == 401


@pytest.mark.parametrize(("persona", "code"), [("lena", 200), ("mona", 200), ("erin", 403), ("alice", 403)])
def test_leads_and_managers_patch_the_status(request, api_as, persona, code, incident):
    response = api_as(request.getfixturevalue(persona)).patch(
        f"/api/v1/incidents/{incident.pk}/", {"status": "identified"}, format="json"
    )
    assert response.status_code == code
    if code == 200:
        assert response.json()["status"] == "identified"


def test_the_status_api_refuses_resolving_and_resolved_incidents(api_as, lena, incident):
    client = api_as(lena)
    url = f"/api/v1/incidents/{incident.pk}/"
    assert set(client.patch(url, {"status": "resolved"}, format="json").json()["errors"]) == {"status"}
    assert client.put(url, {"status": "identified"}, format="json").status_code == 405
    incident_services.incident_publish_update(
        incident=incident, by=lena, subject="Fixed", body="Done.", is_resolution=True
    )
    assert client.patch(url, {"status": "identified"}, format="json").status_code == 409


def test_an_update_for_an_expected_number_of_customers_that_changed_is_a_conflict(api_as, lena, incident, broadband):
    subscribers(2, service=broadband)
    client = api_as(lena)
    url = f"/api/v1/incidents/{incident.pk}/updates/"
    stale = client.post(url, {"subject": "Outage", "body": "Fixing", "expected_recipients": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["errors"] == {"expected_recipients": ["2"]}
    assert not incident.updates.exists()
    assert (
        client.post(url, {"subject": "Outage", "body": "Fixing", "expected_recipients": 2}, format="json").status_code
        == 201
    )


def test_the_schema_documents_the_status_patch_and_the_expected_number(api_as, lena):
    schema = api_as(lena).get("/api/v1/schema/", {"format": "json"}).json()
    patch = schema["paths"]["/api/v1/incidents/{id}/"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PatchedIncidentStatusInputRequest"
    )
    assert "expected_recipients" in schema["components"]["schemas"]["UpdateInputRequest"]["properties"]
