"""Email in at the same moment, on real PostgreSQL: nothing is lost, nothing is stored twice."""

import threading
from email.message import EmailMessage

import pytest
from django.db import connection

from complaints.mail import services as mail_services
from complaints.models import Case, InboundEmail
from crm.customers import services as customer_services
from crm.models import Customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def first_email(message_id: str, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Newcomer <new.sender@example.test>"
    message["Subject"] = "Two problems"
    message["Message-ID"] = message_id
    message.set_content(text)
    return bytes(message)


def in_thread(target, results: list, *args) -> threading.Thread:
    def run():
        try:
            results.append(target(*args))
        except Exception as error:  # noqa: BLE001 - the test reports what the thread met
            results.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_first_emails_from_one_new_sender_at_once_are_two_cases_for_one_customer(monkeypatch):
    """The first creates the customer and holds its transaction open; the second's INSERT of the same
    address waits on it, then gives way to the unique constraint: it must read that customer, not lose its message."""
    created = threading.Event()
    release = threading.Event()
    real_insert = customer_services.insert_or_find

    def slow_insert(customer, **unique):
        found = real_insert(customer, **unique)
        if customer.email == "new.sender@example.test" and not created.is_set():
            created.set()
            release.wait(timeout=10)
        return found

    monkeypatch.setattr("crm.customers.services.insert_or_find", slow_insert)
    results: list = []
    first = in_thread(mail_services.email_ingest, results, first_email("<a@example.test>", "The router is broken."))
    assert created.wait(timeout=10)
    second = in_thread(mail_services.email_ingest, results, first_email("<b@example.test>", "And the bill is wrong."))
    threading.Timer(1.0, release.set).start()  # the second is now waiting on the first's row
    first.join(timeout=30)
    second.join(timeout=30)

    assert all(isinstance(result, InboundEmail) for result in results), results
    assert sorted(result.outcome for result in results) == ["new_case", "new_case"]
    assert Customer.objects.filter(email="new.sender@example.test").count() == 1
    assert sorted(Case.objects.values_list("description", flat=True)) == [
        "And the bill is wrong.",
        "The router is broken.",
    ]


def test_the_same_message_twice_at_once_is_stored_once():
    raw = first_email("<same@example.test>", "Hello twice.")
    barrier = threading.Barrier(2)
    results: list = []

    def ingest():
        barrier.wait()
        return mail_services.email_ingest(raw)

    threads = [in_thread(ingest, results) for _ in range(2)]
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(result.outcome for result in results) == ["duplicate", "new_case"]
    assert Case.objects.count() == 1 and InboundEmail.objects.count() == 1
