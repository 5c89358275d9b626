"""Staff see the mail that opened no case (refused with the reason, ignored as automatic), download any
of it as it arrived, and turn a refused message into the case it should have been."""

from pathlib import Path

import pytest
from django.urls import reverse

from complaints.mail import services as mail_services
from complaints.models import Attachment, Case, EventKind, RejectedEmail
from crm.models import OutboundEmail

pytestmark = pytest.mark.django_db
MAIL = Path(__file__).parent / "messages"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def refused():
    return mail_services.email_ingest((MAIL / "malformed_no_from.eml").read_bytes())


@pytest.fixture
def ignored():
    return mail_services.email_ingest((MAIL / "auto_reply.eml").read_bytes())


@pytest.mark.parametrize("persona", ["lena", "mona"])
def test_leads_and_managers_see_refused_and_ignored_mail_with_the_reasons(request, client, refused, ignored, persona):
    client.force_login(request.getfixturevalue(persona))
    page = client.get(reverse("complaints:inbound-mail")).content.decode()
    assert "no From header" in page and ignored.reason in page and ignored.subject in page
    assert reverse("complaints:rejected-open-case", args=[refused.pk]) in page


@pytest.mark.parametrize("persona", ["alice", "erin"])
def test_others_are_refused_the_mail_pages(request, client, refused, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("complaints:inbound-mail")).status_code == 403
    assert client.get(reverse("complaints:inbound-mail-raw", args=["rejected", refused.pk])).status_code == 403
    assert client.get(reverse("complaints:rejected-open-case", args=[refused.pk])).status_code == 403


def test_the_raw_message_downloads_exactly_as_it_arrived(client, lena, refused, ignored):
    client.force_login(lena)
    for kind, email, name in (("rejected", refused, "malformed_no_from.eml"), ("ignored", ignored, "auto_reply.eml")):
        response = client.get(reverse("complaints:inbound-mail-raw", args=[kind, email.pk]))
        assert response.content == (MAIL / name).read_bytes()
        assert response["Content-Type"] == "message/rfc822" and response["Content-Disposition"].startswith("attachment")


def test_a_refused_message_becomes_a_case_with_the_original_attached_and_an_acknowledgement(client, lena, refused):
    client.force_login(lena)
    form = client.get(reverse("complaints:rejected-open-case", args=[refused.pk])).content.decode()
    assert "Who am I?" in form and "no sender" in form  # the text and subject are offered, ready to check
    response = client.post(
        reverse("complaints:rejected-open-case", args=[refused.pk]),
        {"email": "pat@example.test", "name": "Pat Doe", "subject": "", "description": "My router has not worked."},
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/cases/{case.reference}/")
    assert (case.customer.email, case.channel, case.owner) == ("pat@example.test", "email", None)
    assert Attachment.objects.get(case=case).file.read() == (MAIL / "malformed_no_from.eml").read_bytes()
    note = case.events.get(kind=EventKind.NOTE)
    assert note.actor == lena and "no From header" in note.data["text"]
    assert OutboundEmail.objects.get(key=f"case:{case.pk}:acknowledgement").to_email == "pat@example.test"
    refused.refresh_from_db()
    assert (refused.case, refused.converted_by) == (case, lena)

    again = client.post(
        reverse("complaints:rejected-open-case", args=[refused.pk]),
        {"email": "pat@example.test", "name": "Pat Doe", "description": "again"},
    )
    assert again.status_code == 409 and case.reference in again.content.decode()
    assert Case.objects.count() == 1


def test_bad_input_keeps_what_was_typed_and_opens_nothing(client, lena, refused):
    client.force_login(lena)
    response = client.post(
        reverse("complaints:rejected-open-case", args=[refused.pk]),
        {"email": "not-an-address", "name": "Pat", "description": "Words I typed"},
    )
    assert response.status_code == 400 and "Words I typed" in response.content.decode()
    assert not Case.objects.exists() and RejectedEmail.objects.get().case is None
