"""Log a call: find or create the customer and open a case I own, in one form, all or nothing."""

import pytest
from django.urls import reverse

from complaints.cases import services as case_services
from complaints.models import Case, EventKind
from crm.exceptions import InvalidInput
from crm.models import Customer, OutboundEmail
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LOG_CALL = reverse("complaints:log-call")


def call(**fields) -> dict:
    return {
        "full_name": "Priya Sharma",
        "email": "priya@example.test",
        "customer": "",
        "channel": "phone",
        "subject": "Bill too high",
        "description": "Charged twice for November",
        "severity": "normal",
    } | fields


def test_the_form_starts_on_phone_and_offers_letter_and_visit(as_user, alice):
    page = as_user(alice).get(LOG_CALL).content.decode()
    assert '<option value="phone" selected>' in page
    assert 'value="letter"' in page and 'value="in_person"' in page and 'value="web"' not in page


def test_log_a_call_creates_customer_and_owned_case_together(as_user, alice):
    response = as_user(alice).post(LOG_CALL, call(title="Dr", formal_name="Sharma", name_pronunciation="PREE-ya"))
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("complaints:case-detail", args=[case.reference])
    assert (case.owner, case.channel, case.status) == (alice, "phone", "open")
    assert (case.customer.full_name, case.customer.salutation, case.customer.name_pronunciation) == (
        "Priya Sharma",
        "Dear Dr Sharma",
        "PREE-ya",
    )
    assert set(case.events.values_list("kind", flat=True)) == {EventKind.CREATED, EventKind.CALL_LOGGED}


def test_log_a_letter_for_a_customer_chosen_from_those_found(as_user, alice):
    known = CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    response = as_user(alice).post(LOG_CALL, call(customer=known.pk, full_name="", email="", channel="letter"))
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.customer, case.channel, case.owner) == (known, "letter", alice)
    assert Customer.objects.count() == 1


def test_finding_the_customer_shows_matches_to_choose_and_keeps_what_was_typed(as_user, alice):
    known = CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    typed = call(full_name="Alan Jonson", email="", description="Router keeps dropping", search="1")
    response = as_user(alice).post(LOG_CALL, typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Is it one of these customers?" in page
    assert f'<input type="radio" name="customer" value="{known.pk}" id="id_customer_{known.pk}">' in page
    assert "Router keeps dropping</textarea>" in page and 'value="Alan Jonson"' in page
    assert "errorlist" not in page  # finding is not submitting: nothing is checked yet
    assert not Case.objects.exists()


def test_finding_the_customer_with_htmx_swaps_only_the_choices(as_user, alice):
    CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    response = as_user(alice).post(LOG_CALL, call(email="alan@example.test", search="1"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert body.startswith('<div id="customer-choices"') and "Alan Johnson" in body and "<html" not in body


def test_similar_customers_are_shown_before_a_new_one_is_made(as_user, alice):
    CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    client = as_user(alice)
    response = client.post(LOG_CALL, call(full_name="Alan Johnson", email="alan.j@example.test"))
    assert "Is it one of these customers?" in response.content.decode()
    assert not Case.objects.exists() and Customer.objects.count() == 1

    response = client.post(LOG_CALL, call(full_name="Alan Johnson", email="alan.j@example.test", not_a_duplicate="on"))
    assert response.status_code == 302 and Customer.objects.count() == 2


def test_a_customer_can_be_chosen_up_front_from_a_link(as_user, alice):
    known = CustomerFactory(full_name="Alan Johnson")
    page = as_user(alice).get(LOG_CALL, {"customer": known.pk}).content.decode()
    assert f'value="{known.pk}" id="id_customer_{known.pk}" checked' in page


def test_log_a_call_can_record_the_acknowledgement_given_on_the_phone(as_user, alice):
    as_user(alice).post(LOG_CALL, call(email="", phone="020 7946 0555", acknowledged_by_phone="on"))
    case = Case.objects.get()
    assert case.acknowledged_by_phone and case.acknowledged_at is not None


def test_a_bad_customer_field_saves_nothing_and_keeps_the_text(as_user, alice):
    response = as_user(alice).post(LOG_CALL, call(email="not-an-email"))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Charged twice for November" in page and 'value="not-an-email"' in page
    assert "Enter a valid email address." in page
    assert not Customer.objects.exists() and not Case.objects.exists()


def test_a_bad_case_field_saves_neither_customer_nor_case(as_user, alice):
    response = as_user(alice).post(LOG_CALL, call(subject="   "))
    assert response.status_code == 400 and 'value="Priya Sharma"' in response.content.decode()
    assert not Customer.objects.exists() and not Case.objects.exists()


def test_a_case_refused_after_the_customer_was_made_rolls_the_customer_back(as_user, alice, monkeypatch):
    """The customer row is written first; the case failing after it must take it back with it."""

    def refuse(**fields):
        assert Customer.objects.filter(full_name="Priya Sharma").exists()  # made, inside the transaction
        raise InvalidInput("No.", errors={"subject": ["Say what it is about in other words."]})

    monkeypatch.setattr(case_services, "case_create", refuse)
    response = as_user(alice).post(LOG_CALL, call())
    page = response.content.decode()
    assert response.status_code == 400
    assert "Say what it is about in other words." in page and 'value="Bill too high"' in page
    assert not Customer.objects.exists() and not Case.objects.exists()


def test_no_customer_chosen_and_no_name_given_says_so(as_user, alice):
    response = as_user(alice).post(LOG_CALL, call(full_name="", email=""))
    assert response.status_code == 400
    assert "Choose a customer found above, or give the new customer&#x27;s name." in response.content.decode()
    assert not Customer.objects.exists()


def test_a_chosen_customer_that_no_longer_exists_is_refused(as_user, alice):
    response = as_user(alice).post(LOG_CALL, call(customer=999_999))
    assert response.status_code == 400 and "That customer no longer exists" in response.content.decode()
    assert not Case.objects.exists()


def test_every_problem_is_named_in_one_answer(as_user, alice):
    response = as_user(alice).post(LOG_CALL, call(email="not-an-email", phone="12", subject=""))
    page = response.content.decode()
    assert response.status_code == 400
    for message in ("Enter a valid email address.", "valid phone number", "This field is required."):
        assert message in page, message


def test_an_email_we_already_know_offers_that_customer_to_choose(as_user, alice):
    known = CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    response = as_user(alice).post(
        LOG_CALL, call(full_name="A. Johnson", email="alan@example.test", not_a_duplicate="on")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert f"Customer {known.pk} already has this email address." in page
    assert f'value="{known.pk}" id="id_customer_{known.pk}"' in page
    assert Customer.objects.count() == 1 and not Case.objects.exists()


def test_a_customer_found_by_any_part_of_their_name_is_offered_before_a_new_one(as_user, alice):
    CustomerFactory(full_name="Margaret Thomas", email="mt@example.test")
    response = as_user(alice).post(LOG_CALL, call(full_name="Thomas", email="", phone="020 7946 0001"))
    assert (
        "Is it one of these customers?" in response.content.decode() and "Margaret Thomas" in response.content.decode()
    )
    assert Customer.objects.count() == 1 and not Case.objects.exists()


def test_a_new_customer_with_neither_email_nor_phone_needs_a_reason_kept_on_their_record(as_user, alice):
    client = as_user(alice)
    refused = client.post(LOG_CALL, call(full_name="Walk In", email=""))
    assert refused.status_code == 400 and "say why there is neither" in refused.content.decode()
    assert not Customer.objects.exists() and not Case.objects.exists()
    done = client.post(LOG_CALL, call(full_name="Walk In", email="", no_contact_reason="Will come back to the shop"))
    assert done.status_code == 302
    assert Customer.objects.get().notes.endswith("Will come back to the shop")


def test_the_service_refuses_a_customer_nobody_can_answer_without_a_reason(alice):
    with pytest.raises(InvalidInput) as refused:
        case_services.case_log_contact(
            by=alice,
            new_customer={"full_name": "Walk In"},
            channel="in_person",
            subject="Broken phone",
            description="Screen cracked",
        )
    assert "no_contact_reason" in refused.value.errors
    assert not Customer.objects.exists()


def test_a_customer_with_an_open_case_is_offered_to_add_the_call_to_it(as_user, alice, bob):
    known = CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    open_case = case_services.case_create(
        customer=known, channel="web", subject="Router keeps dropping", description="Since Monday"
    )
    case_services.case_take(case=open_case, agent=bob)
    client = as_user(alice)
    found = client.post(LOG_CALL, {**call(full_name="Alan Johnson", email="alan@example.test"), "search": "1"})
    page = found.content.decode()
    assert open_case.reference in page and f'name="add_to" value="{open_case.reference}"' in page and "Bob" in page

    added = client.post(
        LOG_CALL, call(customer=known.pk, description="Called again: still dropping", add_to=open_case.reference)
    )
    assert added.status_code == 302 and added.url == reverse("complaints:case-detail", args=[open_case.reference])
    assert Case.objects.count() == 1  # no duplicate
    event = open_case.events.get(kind=EventKind.MESSAGE_IN)
    assert event.data == {
        "text": "Called again: still dropping",
        "channel": "phone",
        "logged_by": "alice",
    }
    assert OutboundEmail.objects.filter(key__contains=f"customer-message:{event.pk}", to_email=bob.email).exists()
    timeline = client.get(reverse("complaints:case-detail", args=[open_case.reference])).content.decode()
    assert "taken down by Alice" in timeline


def test_adding_to_a_case_needs_what_the_customer_said(as_user, alice):
    known = CustomerFactory(full_name="Alan Johnson")
    open_case = case_services.case_create(customer=known, channel="phone", subject="Bill", description="x", by=alice)
    response = as_user(alice).post(LOG_CALL, call(customer=known.pk, description="  ", add_to=open_case.reference))
    assert response.status_code == 400 and not open_case.events.filter(kind=EventKind.MESSAGE_IN).exists()
