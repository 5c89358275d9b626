"""The smaller holes of the security test, each closed: oversized bodies, header-bound fields,
who may sign a customer up for incident emails."""

import json

import pytest
from django.urls import reverse

from complaints.incidents import services as incident_services
from complaints.models import Case, EventKind
from crm.exceptions import NotPermitted
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
    return incident_services.incident_declare(by=lena, title="Outage", services=[ServiceFactory()])


@pytest.mark.parametrize("persona", ["bob", "erin"])
def test_only_those_who_may_change_a_case_link_it_to_an_incident(request, client, alice, incident, persona):
    case = make_case(by=alice)
    user = request.getfixturevalue(persona)
    with pytest.raises(NotPermitted):
        incident_services.incident_link_case(case=case, incident=incident, by=user)
    client.force_login(user)
    response = client.post(reverse("complaints:link-incident", args=[case.reference]), {"incident": incident.pk})
    case.refresh_from_db()
    assert case.incident is None and response.status_code in (403, 302)
    assert not case.events.filter(kind=EventKind.UPDATED).exists()


def test_the_owner_links_and_the_event_records_the_incident_before_and_after(alice, incident, lena):
    case = make_case(by=alice)
    incident_services.incident_link_case(case=case, incident=incident, by=alice)
    other = incident_services.incident_declare(by=lena, title="Another", services=[ServiceFactory()])
    incident_services.incident_link_case(case=case, incident=other, by=alice)
    changes = [e.data["changes"]["incident"] for e in case.events.filter(kind=EventKind.UPDATED)]
    assert changes == [[None, incident.pk], [incident.pk, other.pk]]


# --- What held up in the security test, kept as tests -----------------------------------------------

PASSWORD = "correct horse battery"


@pytest.mark.parametrize(
    "next_url",
    ["//evil.test/", "https://evil.test/", "/\\evil.test", "http:/evil.test", "\\\\evil.test", "https:evil.test"],
)
def test_login_never_redirects_off_site(client, alice, next_url):
    response = client.post(f"/login/?next={next_url}", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_forged_host_header_is_refused(client):
    assert client.get("/complain/", HTTP_HOST="evil.test").status_code == 400


@pytest.mark.parametrize("ordering", ["owner__password", "public_token", "-opened_at;DROP TABLE complaints_case"])
def test_case_ordering_is_a_whitelist(api_as, alice, ordering):
    response = api_as(alice).get("/api/v1/cases/", {"ordering": ordering})
    assert response.status_code == 400 and "ordering" in response.json()["errors"]


def test_a_status_token_changed_in_any_way_is_a_plain_404(client, alice):
    case = make_case(by=alice)
    token = case.public_token
    for variant in (token.upper(), token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x", f"{token}%00"):
        assert client.get(f"/status/{variant}/").status_code == 404


@pytest.mark.parametrize(
    "url", ["/customers/?q=%00", "/api/v1/customers/?q=a%00b", "/cases/GD-000001%00/", "/api/v1/cases/?owner=%00"]
)
def test_a_nul_character_in_an_address_is_a_4xx_never_a_500(client, alice, url):
    client.force_login(alice)
    assert 400 <= client.get(url).status_code < 500
