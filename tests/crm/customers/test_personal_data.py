"""A customer's copy of their personal data (GDPR articles 15 and 20): everything every app holds about
them, nothing staff wrote among themselves, nothing of anyone else; managers (or staff given the right)
only, and each export recorded."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from crm.models import PersonalDataRequest, PersonalDataRequestKind
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_export_holds_what_every_app_holds_about_them_and_nothing_else(api_as, mona, ada):
    stranger = CustomerFactory(full_name="Someone Else", email="else@example.test")
    make_case(customer=stranger, description="NOT ADA'S: my own complaint")

    response = api_as(mona).get(f"/api/v1/customers/{ada.pk}/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="customer-{ada.pk}-personal-data.json"'
    data = response.json()
    assert data["customer"]["full_name"] == "Ada Obi-Okafor" and data["customer"]["phone"] == "+447700900123"
    assert [(c["before"], c["after"]) for c in data["name_history"]] == [("Ada Obi", "Ada Obi-Okafor")]
    assert data["services"][0]["service"] == "Fibre"
    (case,) = data["cases"]
    assert case["description"] == "The router blinks red since Friday."
    assert [(m["from"], m["text"]) for m in case["messages"]] == [
        ("you", "Still red this morning."),
        ("us", "An engineer comes on Tuesday."),
    ]
    assert case["resolution"]["summary"] == "Router replaced"
    assert [(r["score"], r["comment"]) for r in case["ratings"]] == [(5, "Lovely engineer")]
    assert data["compliments"][0]["story"] == "Alice was kind and quick."
    assert {e["to"] for e in data["emails_sent_to_them"]} == {"ada@example.test"}
    assert data["emails_sent_to_them"]  # the acknowledgement, the message, the resolution
    exported = json.dumps(data)
    assert "INTERNAL" not in exported and "NOT ADA'S" not in exported and "else@example.test" not in exported
    assert "search_name" not in data["customer"]


def test_each_export_is_recorded(api_as, as_user, mona, ada):
    api_as(mona).get(f"/api/v1/customers/{ada.pk}/export/")
    as_user(mona).post(reverse("crm:customer-export", args=[ada.pk]))
    recorded = PersonalDataRequest.objects.filter(customer=ada)
    assert [(r.kind, r.by) for r in recorded] == [(PersonalDataRequestKind.EXPORT, mona)] * 2


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("anonymous", 401), ("alice", 403), ("lena", 403), ("erin", 403), ("mona", 200), ("given the right", 200)],
)
def test_only_managers_and_staff_given_the_right_export(request, api, api_as, ada, persona, expected):
    if persona == "anonymous":
        client = api
    elif persona == "given the right":
        officer = request.getfixturevalue("erin")
        officer.user_permissions.add(Permission.objects.get(codename="export_personal_data"))
        client = api_as(officer)
    else:
        client = api_as(request.getfixturevalue(persona))
    response = client.get(f"/api/v1/customers/{ada.pk}/export/")
    assert response.status_code == expected
    assert PersonalDataRequest.objects.count() == (1 if expected == 200 else 0)


def test_the_customer_page_offers_the_download_to_managers_only(as_user, alice, mona, ada):
    page = reverse("crm:customer-detail", args=[ada.pk])
    export = reverse("crm:customer-export", args=[ada.pk])
    assert export in as_user(mona).get(page).content.decode()
    assert export not in as_user(alice).get(page).content.decode()
    download = as_user(mona).post(export)
    assert download["Content-Type"] == "application/json"
    assert json.loads(download.content)["customer"]["email"] == "ada@example.test"
    refused = as_user(alice).post(export, follow=True)
    assert "Only managers" in refused.content.decode() and not PersonalDataRequest.objects.filter(by=alice).exists()
    assert as_user(mona).get(export).status_code == 405  # a download that is recorded is a POST, with CSRF
