"""Nobody gets another's mail: the acknowledgement and its private status link go only to the address
the complainant typed, whatever we have on file; staff see how the complainant was matched."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from complaints.cases import services as case_services
from complaints.mail import services as mail_services
from complaints.models import Case, IntakeMatch
from crm.models import Customer, OutboundEmail
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/public/complaints/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


@pytest.fixture
def household():
    """Two people in one home share the landline; only one of them is a customer so far."""
    return CustomerFactory(full_name="Margaret Thomas", email="margaret@example.test", phone="+442079460123")


def body(**fields):
    return {"name": "Bill Thomas", "description": "The bill is wrong.", **fields}


def submit_by_api(api, **fields):
    response = api.post(API, body(**fields), format="json")
    assert response.status_code == 201, response.json()
    return Case.objects.get(reference=response.json()["reference"]), response


def submit_by_form(client, **fields):
    response = client.post(reverse("complain"), body(**fields))
    assert response.status_code == 201
    return Case.objects.latest("pk"), response


SUBMITTERS = {
    "api": lambda api, client, **f: submit_by_api(api, **f),
    "form": lambda api, client, **f: submit_by_form(client, **f),
}


@pytest.mark.parametrize("channel", SUBMITTERS)
def test_a_new_email_with_a_known_phone_is_a_new_person_and_only_they_are_acknowledged(api, client, household, channel):
    case, _ = SUBMITTERS[channel](api, client, email="bill@example.test", phone="020 7946 0123")
    assert case.customer != household and case.customer.email == "bill@example.test"
    assert case.intake_match == IntakeMatch.NEW_CUSTOMER
    acknowledgements = OutboundEmail.objects.filter(key__endswith=":acknowledgement")
    assert [row.to_email for row in acknowledgements] == ["bill@example.test"]
    assert not OutboundEmail.objects.filter(to_email="margaret@example.test").exists()


@pytest.mark.parametrize("channel", SUBMITTERS)
def test_a_known_phone_alone_matches_but_nothing_goes_to_the_address_on_file(api, client, household, channel):
    case, response = SUBMITTERS[channel](api, client, phone="020 7946 0123")
    assert case.customer == household and case.intake_match == IntakeMatch.PHONE
    assert not OutboundEmail.objects.exists()  # Margaret never asked; whoever typed her number proved nothing
    assert case.public_token not in response.content.decode()


def test_email_in_from_a_new_address_is_a_new_person_whatever_name_it_gives(household):
    raw = (
        b"From: Margaret Thomas <bill@example.test>\r\nTo: care@example.test\r\nSubject: My bill\r\n"
        b"Message-ID: <household-1@example.test>\r\n\r\nThe bill is wrong.\r\n"
    )
    case = mail_services.email_ingest(raw).case
    assert case.customer != household and case.customer.email == "bill@example.test"
    assert [r.to_email for r in OutboundEmail.objects.all()] == ["bill@example.test"]


def test_a_complaint_naming_a_known_address_gets_no_link_in_the_answer_and_the_link_goes_to_that_address(api):
    victim = CustomerFactory(full_name="Bill Thomas", email="customer.3@example.test")
    case, response = submit_by_api(api, name="Attacker", email="customer.3@example.test")
    assert case.customer == victim and case.intake_match == IntakeMatch.EMAIL
    assert case.public_token not in response.content.decode()
    [ack] = OutboundEmail.objects.all()
    assert ack.to_email == "customer.3@example.test" and case.public_token in ack.body_text


@pytest.mark.parametrize("known", [True, False])
def test_the_thanks_page_says_the_same_for_a_phone_on_file_and_one_that_is_not(client, known):
    if known:
        CustomerFactory(phone="+442079460000", email="on.file@example.test")
    _, response = submit_by_form(client, phone="+442079460000")
    page = response.content.decode()
    assert "we will call you on the number ending 00" in page
    assert "on.file" not in page and "acknowledgement" not in page


def test_staff_see_how_the_complainant_was_matched(client, api, household, alice):
    case, _ = submit_by_api(api, phone="020 7946 0123")
    case_services.case_take(case=case, agent=alice)
    client.force_login(alice)
    page = client.get(reverse("complaints:case-detail", args=[case.reference])).content.decode()
    assert "phone number only" in page and "confirm who you are talking to" in page
    assert api.get(f"/api/v1/cases/{case.reference}/").status_code == 401  # staff only, of course


def test_a_message_to_the_customer_goes_to_the_stored_address_never_a_typed_one(api, household, alice):
    case, _ = submit_by_api(api, phone="020 7946 0123")
    case_services.case_take(case=case, agent=alice)
    case_services.case_send_message(case=case, by=alice, text="We will call you today.")
    [message] = OutboundEmail.objects.filter(key__contains=":message:")
    assert message.to_email == household.email


def test_at_most_three_acknowledgements_an_hour_go_to_one_address_and_every_complaint_still_opens_a_case(api):
    for n in range(5):
        submit_by_api(api, email="target@example.test", description=f"Complaint {n}")
    assert Case.objects.count() == 5
    assert OutboundEmail.objects.filter(to_email="target@example.test").count() == 3
    held_back = Case.objects.filter(events__kind="note", events__data__text__startswith="No acknowledgement")
    assert held_back.count() == 2


def test_a_logged_call_is_acknowledged_to_the_customer_on_file(alice, household):
    case = make_case(by=alice, customer=household)
    assert OutboundEmail.objects.get(key=f"case:{case.pk}:acknowledgement").to_email == household.email
    assert case.intake_match == ""


def test_two_people_with_one_name_are_two_customers_by_their_addresses(api):
    submit_by_api(api, name="John Smith", email="john.smith@example.test")
    submit_by_api(api, name="John Smith", email="jsmith@example.test")
    assert Customer.objects.filter(full_name="John Smith").count() == 2
    assert sorted(OutboundEmail.objects.values_list("to_email", flat=True)) == [
        "john.smith@example.test",
        "jsmith@example.test",
    ]
