"""Creating and changing customers: the rules, the name history, the confirmation."""

import pytest

from crm.customers import services as customer_services
from crm.exceptions import InvalidInput
from crm.models import Customer, NameChange
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_customer_keeps_name_as_written_and_normalises_contact_details(alice):
    customer = customer_services.customer_create(
        by=alice,
        full_name="  Siân Llewellyn ",
        title="ms.",
        formal_name="Llewellyn",
        email="Sian@Example.ORG ",
        phone="020 7946 0123",
    )
    assert (customer.full_name, customer.title) == ("Siân Llewellyn", "Ms")
    assert customer.email == "sian@example.org"
    assert customer.phone == "+442079460123"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"full_name": ""}, "full_name", "as they write it"),
        ({"full_name": "   "}, "full_name", "as they write it"),
        ({"full_name": "Ana\nBcc: x"}, "full_name", "line breaks"),
        ({"full_name": "Ana\x00"}, "full_name", "control characters"),
        ({"full_name": "A" * 201}, "full_name", "At most 200"),
        ({"full_name": "Ana", "email": "not-an-email"}, "email", "valid email"),
        ({"full_name": "Ana", "phone": "12"}, "phone", "phone"),
        ({"full_name": "Ana", "phone": "call me maybe"}, "phone", "phone"),
        ({"full_name": "Ana", "title": "Mr2"}, "title", "letters"),
        ({"full_name": "Ana", "country": "Britain"}, "country", "At most 2"),
        ({"full_name": "Ana", "country": "G1"}, "country", "two-letter"),
        ({"full_name": "Ana", "preferred_channel": "pigeon"}, "preferred_channel", "Choose one"),
    ],
)
def test_bad_input_names_the_field_and_the_reason(alice, fields, field, reason):
    with pytest.raises(InvalidInput) as refused:
        customer_services.customer_create(by=alice, **fields)
    assert reason in " ".join(refused.value.errors[field])
    assert Customer.objects.count() == 0


def test_email_belongs_to_one_customer(alice):
    first = CustomerFactory(email="ana@example.test")
    with pytest.raises(InvalidInput) as refused:
        customer_services.customer_create(by=alice, full_name="Ana", email="ANA@example.test")
    assert refused.value.errors["email"] == [f"Customer {first.pk} already has this email address."]


def test_every_change_to_name_or_title_is_kept_with_who_and_when(alice):
    customer = CustomerFactory(full_name="Margaret Thomas", title="")
    customer_services.customer_update(
        customer=customer, by=alice, title="Mrs", formal_name="Thomas", notes="likes letters"
    )
    changes = {(c.field, c.before, c.after, c.changed_by_id) for c in NameChange.objects.filter(customer=customer)}
    assert changes == {("title", "", "Mrs", alice.pk), ("formal_name", "", "Thomas", alice.pk)}


def test_update_with_the_same_values_records_nothing(alice):
    customer = CustomerFactory(full_name="Ana")
    customer_services.customer_update(customer=customer, by=alice, full_name="Ana")
    assert not NameChange.objects.exists()


def test_confirm_name_records_who_and_when(alice):
    customer = customer_services.customer_confirm_name(customer=CustomerFactory(), by=alice)
    assert customer.name_confirmed_by == alice and customer.name_confirmed_at is not None


def test_an_address_finds_its_customer_or_makes_one_named_and_searchable():
    known = CustomerFactory(email="ana@example.test", full_name="Ana Pérez")
    assert customer_services.customer_find_or_create_by_email(email="ana@example.test", full_name="A. P.") == (
        known,
        False,
    )
    new, created = customer_services.customer_find_or_create_by_email(email="jose@example.test", full_name="José Núñez")
    assert created and Customer.objects.get(email="jose@example.test") == new
    assert list(Customer.objects.search("jose nunez")) == [new]
    assert Customer.objects.get(pk=known.pk).full_name == "Ana Pérez"  # never renamed by what was typed


def test_a_known_address_finds_its_customer_even_with_a_name_a_new_one_could_not_have():
    """An email from a known sender whose display name holds a control character is still theirs."""
    known = CustomerFactory(email="ana@example.test")
    assert customer_services.customer_find_or_create_by_email(email="ana@example.test", full_name="Ana\x07") == (
        known,
        False,
    )
    with pytest.raises(InvalidInput) as refused:
        customer_services.customer_find_or_create_by_email(email="new@example.test", full_name="Ana\x07")
    assert "full_name" in refused.value.errors
    assert not Customer.objects.filter(email="new@example.test").exists()


def test_every_way_a_customer_row_is_written_names_it_for_search():
    """The search name comes with the row, however it is inserted: save(), bulk_create() (the import) and the
    single-statement INSERTs of intake (crm.database)."""
    from crm.database import insert_unless_conflict

    saved = Customer.objects.create(full_name="Ana Pérez")
    [bulk] = Customer.objects.bulk_create([Customer(full_name="José Núñez")])
    inserted = Customer(full_name="Zoë Brontë", preferred_name="Zo")
    assert insert_unless_conflict(inserted)
    assert list(Customer.objects.search("ana perez")) == [saved]
    assert list(Customer.objects.search("jose nunez")) == [bulk]
    assert list(Customer.objects.search("zoe bronte")) == [inserted] == list(Customer.objects.search("zo"))
