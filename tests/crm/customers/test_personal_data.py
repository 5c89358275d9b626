"""A customer's copy of their personal data (GDPR articles 15 and 20): everything every app holds about
them, nothing staff wrote among themselves, nothing of anyone else; managers (or staff given the right)
only, and each export recorded."""

import json

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from complaints.cases import services as case_services
from complaints.intake import services as intake_services
from complaints.resolution import services as resolution_services
from crm.customers import services as customer_services
from crm.models import PersonalDataRequest, PersonalDataRequestKind, Subscription
from recognition.praise.services import compliment_submit
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(alice):
    """A customer with a bit of everything: a renamed record, a service, a case with a conversation, an
    internal note, a rating, and a compliment."""
    customer = CustomerFactory(full_name="Ada Obi", email="ada@example.test", phone="+447700900123")
    customer_services.customer_update(customer=customer, by=alice, full_name="Ada Obi-Okafor")
    Subscription.objects.create(customer=customer, service=ServiceFactory(name="Fibre", slug="fibre"), region="N")
    case = make_case(by=alice, customer=customer, description="The router blinks red since Friday.")
    intake_services.case_receive_message(case=case, text="Still red this morning.")
    case_services.case_send_message(case=case, by=alice, text="An engineer comes on Tuesday.")
    case_services.case_add_note(case=case, by=alice, text="INTERNAL: customer sounded upset")
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Router replaced", root_cause="system")
    intake_services.case_rate(case=case.__class__.objects.get(pk=case.pk), score=5, comment="Lovely engineer")
    compliment_submit(story="Alice was kind and quick.", about="Alice", name="Ada", email="ada@example.test")
    return customer


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
