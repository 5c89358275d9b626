"""Complaining is easy: the public form and API, acknowledgement at once, nothing typed is lost."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.urls import reverse

from complaints.models import Case, CaseStatus, EventKind
from crm.models import Customer, OutboundEmail
from tests.crm.factories import CustomerFactory, ServiceFactory
from tests.html_page import parse

pytestmark = pytest.mark.django_db
API = "/api/v1/public/complaints/"
XSS = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()


def complaint(**overrides):
    return {
        "name": "Siân Llewellyn",
        "title": "Ms",
        "email": "sian@example.test",
        "description": "My broadband has been down for three days.\nI work from home.",
        "outcome_wanted": "Fix it and refund the days",
        **overrides,
    }


def test_api_complaint_opens_an_unowned_case_and_answers_with_the_reference_and_no_link(api):
    response = api.post(API, complaint(order_reference="ORD-1"), format="json")
    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get(reference=body["reference"])
    # The private link goes only to the address given, by email: whoever typed it may not own it.
    assert set(body) == {"reference", "status", "detail"} and body["status"] == "new"
    assert case.public_token not in response.content.decode()
    assert "emailed a private link" in body["detail"] and "s•••@example.test" in body["detail"]
    assert (case.owner, case.status, case.channel) == (None, CaseStatus.NEW, "web")
    assert case.description == "My broadband has been down for three days.\nI work from home."
    assert case.subject == "My broadband has been down for three days." and case.order_reference == "ORD-1"
    assert case.customer.full_name == "Siân Llewellyn" and case.customer.title == "Ms"


@pytest.mark.parametrize(("known", "statements"), [(False, 5), (True, 6)], ids=["new customer", "known customer"])
def test_a_complaint_costs_five_or_six_statements_one_insert_per_table(
    api, known, statements, django_assert_num_queries
):
    """Customer matched or created in one statement, case with its reference, first reply promise, both events
    together, acknowledgement (a known customer's address: first, how many it was sent this hour), plus the two
    that open and close its transaction (a savepoint pair inside the test's). Intake speed is work per complaint."""
    if known:
        CustomerFactory(email="sian@example.test")
    with django_assert_num_queries(statements + 2) as queries:
        assert api.post(API, complaint(), format="json").status_code == 201
    tables = [q["sql"].split()[2] for q in queries.captured_queries if q["sql"].startswith("INSERT INTO")]
    assert len(tables) == len(set(tables)), tables
    case = Case.objects.get()
    assert case.reference == f"GD-{case.pk:06d}"
    assert [e.kind for e in case.events.order_by("pk")] == [EventKind.CREATED, EventKind.PROMISE_MADE]


def test_staff_find_a_web_complainant_by_name_as_they_would_type_it(api, api_as, alice):
    """The customer a complaint creates is searchable by name at once, accents or none, like one staff add."""
    api.post(API, complaint(), format="json")
    case = Case.objects.get()
    for typed in ("Siân Llewellyn", "sian llewellyn", "Llewellyn"):
        found = api_as(alice).get("/api/v1/cases/", {"q": typed}).json()["results"]
        assert [c["reference"] for c in found] == [case.reference], typed


def test_every_new_case_gets_exactly_one_acknowledgement_with_the_salutation(api, alice):
    api.post(API, complaint(), format="json")
    case = Case.objects.get()
    [ack] = OutboundEmail.objects.filter(key=f"case:{case.pk}:acknowledgement")
    assert ack.to_email == "sian@example.test"
    assert ack.body_text.startswith("Dear Siân Llewellyn,")  # no formal name: never guessed from the name
    assert case.reference in ack.body_text and case.public_token in ack.body_text
    assert "ask for a manager" in ack.body_text


def test_acknowledgement_names_the_owner_of_a_logged_call(alice):
    from tests.complaints.factories import make_case

    customer = CustomerFactory(full_name="Margaret Thomas", title="Mrs", formal_name="Thomas")
    case = make_case(by=alice, customer=customer, acknowledged_by_phone=True)
    ack = OutboundEmail.objects.get(key=f"case:{case.pk}:acknowledgement")
    assert ack.body_text.startswith("Dear Mrs Thomas,") and "Alice looks after your case" in ack.body_text
    assert case.acknowledged_by_phone and case.acknowledged_at is not None


def test_no_email_means_no_acknowledgement_email(api):
    assert api.post(API, complaint(email="", phone="020 7946 0123"), format="json").status_code == 201
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"email": "", "phone": ""}, "email"),
        ({"email": "nope"}, "email"),
        ({"phone": "12", "email": ""}, "phone"),
        ({"description": ""}, "description"),
        ({"description": "x" * 10_001}, "description"),
        ({"description": "binary \x00\x01 data"}, "description"),
        ({"name": "Ana\r\nBcc: victim@example.test"}, "name"),
        ({"title": "Mr99"}, "title"),
    ],
)
def test_bad_input_is_400_naming_the_field_and_saves_nothing(api, overrides, field):
    response = api.post(API, complaint(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Case.objects.exists() and not Customer.objects.exists()


def test_public_complaint_cannot_set_owner_status_or_flags(api, alice):
    body = complaint(
        owner=alice.pk,
        status="resolved",
        severity="urgent",
        category="vip",
        reference="GD-000001",
        name_needs_confirming=False,
    )
    assert api.post(API, body, format="json").status_code == 201
    case = Case.objects.get()
    assert (case.owner, case.status, case.severity, case.category) == (None, CaseStatus.NEW, "normal", None)


def test_a_known_customer_is_matched_and_their_name_never_overwritten(api):
    stored = CustomerFactory(full_name="Margaret Thomas", title="Mrs", email="peggy@example.test")
    api.post(API, complaint(name="Peggy Tomas", title="", email="PEGGY@example.test"), format="json")
    case = Case.objects.get()
    stored.refresh_from_db()
    assert case.customer == stored and (stored.full_name, stored.title) == ("Margaret Thomas", "Mrs")
    assert (case.name_as_given, case.name_needs_confirming) == ("Peggy Tomas", True)


def test_matched_by_phone_when_there_is_no_email(api):
    stored = CustomerFactory(full_name="Bill Thomas", email="", phone="+442079460123")
    api.post(API, complaint(name="Bill Thomas", title="", email="", phone="020 7946 0123"), format="json")
    assert Case.objects.get().customer == stored


def test_the_eleventh_complaint_from_one_address_in_an_hour_is_429_with_retry_after(api):
    for _ in range(10):
        assert api.post(API, complaint(), format="json", REMOTE_ADDR="10.9.9.9").status_code == 201
    refused = api.post(API, complaint(), format="json", REMOTE_ADDR="10.9.9.9")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    spoofed = api.post(API, complaint(), format="json", REMOTE_ADDR="10.9.9.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert spoofed.status_code == 429
    assert api.post(API, complaint(), format="json", REMOTE_ADDR="10.9.9.10").status_code == 201
    assert Case.objects.count() == 11


def test_the_form_works_without_javascript_and_shows_the_reference_but_never_the_link(client):
    service = ServiceFactory(slug="broadband", name="Broadband")
    response = client.post(reverse("complain"), {**complaint(), "service": "broadband"})
    assert response.status_code == 201
    case = Case.objects.get()
    page = response.content.decode()
    assert case.reference in page and case.public_token not in page and "/status/" not in page
    assert "s•••@example.test" in page
    assert case.service == service


def test_the_form_keeps_everything_typed_when_a_field_is_wrong(client):
    text = "They cut me off twice & charged me <extra>."
    response = client.post(reverse("complain"), {**complaint(email="sian@", description=text)})
    page = response.content.decode()
    assert response.status_code == 400
    assert "They cut me off twice &amp; charged me &lt;extra&gt;." in page
    assert 'value="Siân Llewellyn"' in page and "Enter a valid email address." in page
    assert not Case.objects.exists()


def test_the_honeypot_catches_bots_quietly(client):
    response = client.post(reverse("complain"), {**complaint(), "website": "http://spam.example"})
    assert response.status_code == 200 and "We have received your message." in response.content.decode()
    assert not Case.objects.exists()


def test_the_honeypot_is_out_of_sight_of_screen_readers_and_the_keyboard(client):
    page = parse(client.get(reverse("complain")).content)
    honeypot = page.find("input", name="website")
    assert (honeypot.get("tabindex"), honeypot.get("autocomplete")) == ("-1", "off")
    wrapper = honeypot.parent
    assert wrapper.get("aria-hidden") == "true" and {"field", "honeypot"} <= wrapper.classes
    # And out of sight: the stylesheet moves it off the page.
    css = Path(finders.find("css/gemdesk.css")).read_text()
    assert re.search(r"\.field\.honeypot[^{]*\{[^}]*position: absolute; left: -10000px", css)
    # The fields people fill in are in no hidden wrapper.
    named = page.find("input", name="name")
    assert all(a.get("aria-hidden") is None for a in named.ancestors())


def test_a_form_with_errors_names_each_in_a_summary_that_links_to_the_field(client):
    response = client.post(reverse("complain"), complaint(name="", description=""))
    summary = parse(response.content).find("div", class_="error-summary")
    assert summary.get("role") == "alert" and "everything you typed is still here" in summary.find("h2").text
    links = [(a.get("href"), a.text) for a in summary.find_all("a")]
    assert links == [
        ("#id_name", "Your name, as you write it – This field is required."),
        ("#id_description", "What happened? – This field is required."),
    ]


def test_the_form_is_throttled_with_a_friendly_page(client):
    for _ in range(10):
        client.post(reverse("complain"), complaint(), REMOTE_ADDR="10.8.8.8")
    response = client.post(reverse("complain"), complaint(), REMOTE_ADDR="10.8.8.8")
    assert response.status_code == 429 and "Please wait a moment" in response.content.decode()
    assert response["Retry-After"]


def test_the_form_needs_its_csrf_token():
    from django.test import Client

    assert Client(enforce_csrf_checks=True).post(reverse("complain"), complaint()).status_code == 403


def test_typed_text_is_escaped_on_the_staff_case_page(client, api, alice):
    api.post(API, complaint(name=f"Evil {XSS}", description=XSS), format="json")
    case = Case.objects.get()
    client.force_login(alice)
    page = client.get(reverse("complaints:case-detail", args=[case.reference])).content.decode()
    assert XSS not in page


def test_created_event_says_the_customer_opened_it(api):
    api.post(API, complaint(), format="json")
    event = Case.objects.get().events.get(kind=EventKind.CREATED)
    assert (event.actor_kind, event.actor) == ("customer", None)


def test_the_form_asks_for_a_title_and_the_name_that_goes_with_it_and_uses_them(client):
    form = client.get(reverse("complain")).content.decode()
    assert 'name="title"' in form and 'name="formal_name"' in form
    fields = {"name": "Margaret Thomas", "title": "Dr", "formal_name": "Thomas", "email": "mt@example.test"}
    response = client.post(reverse("complain"), {**fields, "description": "Overcharged"})
    assert response.status_code == 201
    case = Case.objects.get()
    assert case.customer.salutation == "Dear Dr Thomas" and not case.name_needs_confirming
    acknowledgement = OutboundEmail.objects.get(to_email="mt@example.test")
    assert acknowledgement.body_text.startswith("Dear Dr Thomas,")


def test_a_title_with_no_name_to_go_with_it_is_kept_for_staff_to_confirm(api, as_user, alice):
    response = api.post(API, complaint(name="Siân Llewellyn", title="Prof", formal_name=""), format="json")
    case = Case.objects.get(reference=response.json()["reference"])
    # Never silently dropped, never guessed: the letter uses the full name until someone confirms.
    assert (case.name_needs_confirming, case.title_as_given) == (True, "Prof")
    assert case.customer.salutation == "Dear Siân Llewellyn"
    page = as_user(alice).get(reverse("complaints:case-detail", args=[case.reference])).content.decode()
    assert "Prof" in page and "confirm" in page.lower()


def test_the_api_takes_the_name_that_goes_with_the_title(api):
    response = api.post(API, complaint(title="Ms", formal_name="Llewellyn"), format="json")
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.customer.salutation == "Dear Ms Llewellyn" and not case.name_needs_confirming
