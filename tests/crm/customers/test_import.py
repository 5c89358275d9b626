"""import_customers: good rows land, bad rows are reported by line and change nothing."""

import io

import pytest
from django.core.management import CommandError, call_command

from crm.models import Customer, NameChange
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def run(tmp_path, text: str | bytes):
    path = tmp_path / "customers.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    err = io.StringIO()
    try:
        call_command("import_customers", str(path), stdout=io.StringIO(), stderr=err)
    except CommandError as error:
        return err.getvalue(), str(error)
    return err.getvalue(), None


def test_good_rows_land_and_bad_rows_are_reported_by_line(tmp_path):
    report, failure = run(
        tmp_path,
        "full_name,title,email,phone\n"
        "Siân Llewellyn,ms.,sian@example.test,020 7946 0123\n"
        ",Mr,nobody@example.test,\n"
        "Bill Thomas,Mr,not-an-email,\n"
        "王伟,,wei@example.test,\n"
        "Too,Many,Columns,here,x\n",
    )
    assert failure == "3 rows were not imported (listed above)."
    assert "Line 3: full_name" in report and "Line 4: email" in report and "Line 6: expected 4 columns" in report
    assert sorted(Customer.objects.values_list("full_name", "title")) == [("Siân Llewellyn", "Ms"), ("王伟", "")]


def test_rows_matching_an_email_update_that_customer_and_keep_the_name_history(tmp_path):
    customer = CustomerFactory(full_name="Bill Thomas", email="bill@example.test")
    _, failure = run(tmp_path, "full_name,title,email\nWilliam Thomas,Mr,BILL@example.test\n")
    assert failure is None
    customer.refresh_from_db()
    assert (customer.full_name, customer.title, Customer.objects.count()) == ("William Thomas", "Mr", 1)
    assert set(NameChange.objects.values_list("field", flat=True)) == {"full_name", "title"}


def test_unknown_columns_stop_the_import_before_anything_is_written(tmp_path):
    _, failure = run(tmp_path, "full_name,email,shoe_size\nAna,ana@example.test,38\n")
    assert "Unknown columns: shoe_size" in failure
    assert not Customer.objects.exists()


def test_the_same_email_twice_in_a_file_is_reported(tmp_path):
    report, failure = run(tmp_path, "full_name,email\nAna,ana@example.test\nAna G,ANA@example.test\n")
    assert "Line 3: email: ana@example.test appears twice" in report
    assert Customer.objects.get().full_name == "Ana"


def test_a_file_that_is_not_utf8_is_reported_not_crashed(tmp_path):
    report, failure = run(tmp_path, b"full_name,email\nAna,ana@example.test\n" + b"Fran\xe7ois,f@example.test\n")
    assert failure is not None and "not UTF-8" in report


def test_an_empty_file_is_a_clear_error(tmp_path):
    _, failure = run(tmp_path, "")
    assert failure == "The file is empty."
