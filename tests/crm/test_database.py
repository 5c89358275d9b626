"""An INSERT that reads the row it gave way to (crm.database.insert_or_find), on the database the suite runs on."""

import pytest

from crm.database import insert_or_find
from crm.models import Customer, OutboundEmail
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_new_row_goes_in_and_a_twin_gives_way_to_the_row_there():
    new, inserted = insert_or_find(Customer(full_name="Ana", email="ana@example.test"), email="ana@example.test")
    assert inserted and Customer.objects.get(pk=new.pk).full_name == "Ana"
    twin, inserted = insert_or_find(
        Customer(full_name="Someone Else", email="ana@example.test"), email="ana@example.test"
    )
    assert (twin, inserted, twin.full_name) == (new, False, "Ana")
    assert Customer.objects.count() == 1


def test_it_finds_only_by_columns_it_can_compare():
    CustomerFactory(email="ana@example.test")
    with pytest.raises(ValueError, match="equal columns"):
        insert_or_find(Customer(full_name="Ana", email="ANA@example.test"), email__iexact="ana@example.test")


def test_the_row_comes_back_as_the_orm_reads_it():
    """Columns the ORM converts when it reads them (JSON parsed into a dict) come back converted, new or found."""

    def email() -> OutboundEmail:
        return OutboundEmail(key="k:1", to_email="ana@example.test", subject="Hi", headers={"X-Kind": "notice"})

    new, inserted = insert_or_find(email(), key="k:1")
    twin, found_inserted = insert_or_find(email(), key="k:1")
    assert (inserted, found_inserted) == (True, False)
    assert new.headers == twin.headers == {"X-Kind": "notice"}
    assert twin.created_at == OutboundEmail.objects.get().created_at
