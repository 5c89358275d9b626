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
