"""A complaint by form, by API and by email each ends with exactly one acknowledgement in the
SMTP sink, sent by a real worker, addressed with the customer's salutation."""

import time
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from complaints.mail import services as mail_services
from complaints.models import Case
from tests.crm.factories import CustomerFactory
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
MAIL = Path(__file__).parents[1] / "complaints" / "mail" / "messages"


def test_form_api_and_email_complaints_are_each_acknowledged_once(sink, shared_redis_url, start_worker):
    CustomerFactory(full_name="Margaret Thomas", title="Mrs", formal_name="Thomas", email="peggy@example.test")
    start_worker(redis_url=shared_redis_url, sink=sink)
    form = Client().post(
        "/complain/",
        {"name": "Margaret Thomas", "email": "peggy@example.test", "description": "Charged twice."},
        REMOTE_ADDR="10.7.0.1",
    )
    assert form.status_code == 201
    api = APIClient().post(
        "/api/v1/public/complaints/",
        {"name": "Bill Evans", "email": "bill@example.test", "description": "No signal."},
        format="json",
        REMOTE_ADDR="10.7.0.2",
    )
    assert api.status_code == 201
    mail_services.email_ingest((MAIL / "plain.eml").read_bytes())
    wait_until(
        lambda: sink.count() >= 3 and not Case.objects.filter(acknowledged_at__isnull=True).exists(),
        timeout=60,
        what="three acknowledgements",
    )
    time.sleep(2)
    by_recipient = {m["To"]: m for m in sink.messages}
    assert sink.count() == 3 and len(by_recipient) == 3
    assert by_recipient["Margaret Thomas <peggy@example.test>"].get_payload().startswith("Dear Mrs Thomas,")
    assert by_recipient["Bill Evans <bill@example.test>"].get_payload().startswith("Dear Bill Evans,")
    siân = next(m for to, m in by_recipient.items() if "sian.jones@example.org" in to)
    assert "Dear Si" in siân.get_payload(decode=True).decode()
    subjects = [m["Subject"] for m in sink.messages]
    for case in Case.objects.all():
        assert case.acknowledged_at is not None  # set when the mail server accepted it
        assert sum(case.reference in subject for subject in subjects) == 1
