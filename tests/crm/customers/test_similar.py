"""Similar customers are shown before a new record is made, so Mr Jackson is not filed as Mr Johnson."""

import pytest

from crm.customers.selectors import customers_similar
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_same_email_or_phone_comes_first():
    by_email = CustomerFactory(full_name="Someone Else", email="ana@example.test")
    by_phone = CustomerFactory(full_name="Another Person", phone="+442079460123")
    found = customers_similar(name="Ana García", email="ANA@example.test", phone="020 7946 0123")
    assert found[:2] == [by_email, by_phone]


def test_unparseable_contact_details_match_nothing_instead_of_failing():
    CustomerFactory(full_name="Ana")
    assert customers_similar(email="not an email", phone="???") == []


@pytest.mark.postgres
def test_similar_names_are_found_by_trigram_similarity():
    jackson = CustomerFactory(full_name="Alan Jackson")
    CustomerFactory(full_name="Priya Sharma")
    assert customers_similar(name="Alan Jakson") == [jackson]


def test_similar_names_are_found_without_postgres_too(settings):
    settings.USING_POSTGRES = False
    jackson = CustomerFactory(full_name="Alan Jackson")
    CustomerFactory(full_name="Priya Sharma")
    assert customers_similar(name="Alan Jakson") == [jackson]


def test_a_customer_is_not_similar_to_itself():
    ana = CustomerFactory(full_name="Ana García", email="ana@example.test")
    assert customers_similar(name="Ana García", email="ana@example.test", exclude_id=ana.pk) == []
