"""Email in: real sample messages become cases, replies, or recorded refusals; no mail loops."""

import io
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command

from complaints import services
from complaints.models import Attachment, Case, EventKind, InboundEmail, RejectedEmail, Status
from crm.models import Customer, OutboundEmail
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

MAIL = Path(__file__).parents[1] / "mail"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def ingest(name: str):
    return services.email_ingest((MAIL / name).read_bytes())


def test_a_new_message_opens_an_email_case_with_the_text_verbatim_and_one_acknowledgement():
    record = ingest("plain.eml")
    case = record.case
    assert (record.outcome, case.channel, case.status, case.owner) == ("new_case", "email", Status.NEW, None)
    assert "down since Friday.   I work from home and\nI have called twice." in case.description
    assert case.customer.full_name == "Siân Jones" and case.customer.email == "sian.jones@example.org"
    assert OutboundEmail.objects.filter(key=f"case:{case.pk}:acknowledgement").count() == 1


def test_the_same_message_twice_is_one_case():
    ingest("plain.eml")
    assert ingest("plain.eml").outcome == "duplicate"
    assert Case.objects.count() == 1


def test_html_only_mail_becomes_text():
    case = ingest("html_only.eml").case
    assert case.description.startswith("I was charged twice for November.")


def test_attachments_are_stored_and_listed(client, alice):
    case = ingest("multipart_attachment.eml").case
    [attachment] = Attachment.objects.filter(case=case)
    assert (attachment.filename, attachment.size) == ("router.png", 256 * 40)
    assert attachment.file.read() == bytes(range(256)) * 40
    services.case_take(case=case, agent=alice)
    client.force_login(alice)
    assert "router.png" in client.get(f"/cases/{case.reference}/").content.decode()


def test_a_reply_with_the_reference_from_the_customer_lands_on_the_case():
    customer = CustomerFactory(full_name="Siân Jones", email="sian.jones@example.org")
    case = make_case(customer=customer)
    raw = (MAIL / "reply_with_reference.eml").read_bytes().replace(b"GD-000123", case.reference.encode())
    record = services.email_ingest(raw)
    assert (record.outcome, record.case) == ("reply", case)
    message = case.events.get(kind=EventKind.MESSAGE_IN)
    assert message.data["text"].startswith("Thank you, it works again since this morning.")
    assert "> we have reset your line." in message.data["text"]  # quoted history kept
    assert OutboundEmail.objects.filter(key__endswith="acknowledgement").count() == 1  # no second acknowledgement


def test_a_reference_alone_from_a_stranger_does_not_touch_that_case():
    case = make_case(customer=CustomerFactory(email="owner@example.test"))
    raw = (MAIL / "reply_with_reference.eml").read_bytes().replace(b"GD-000123", case.reference.encode())
    record = services.email_ingest(raw)
    assert record.outcome == "new_case" and record.case != case


def test_a_reply_threaded_to_our_message_id_lands_on_the_case(alice):
    case = make_case(by=alice)
    services.case_message_customer(case=case, by=alice, text="Any news?")
    ours = OutboundEmail.objects.get(key__startswith=f"case:{case.pk}:message:")
    reply = EmailMessage()
    reply["From"] = "someone.else@example.test"
    reply["Subject"] = "Re: your email"
    reply["In-Reply-To"] = ours.message_id
    reply.set_content("Yes, it works now.")
    assert services.email_ingest(bytes(reply)).case == case


@pytest.mark.parametrize("name", ["auto_reply.eml", "bounce.eml"])
def test_auto_replies_and_bounces_never_open_cases_nor_send_anything(name):
    record = ingest(name)
    assert record.outcome == "automatic" and record.reason
    assert not Case.objects.exists() and not OutboundEmail.objects.exists()


def test_non_utf8_message_is_read():
    assert "Ma facture de décembre est erronée" in ingest("latin1.eml").case.description


def test_malformed_messages_are_kept_with_the_reason():
    result = ingest("malformed_no_from.eml")
    assert isinstance(result, RejectedEmail) and result.reason == "no From header"
    assert bytes(result.raw) == (MAIL / "malformed_no_from.eml").read_bytes()


def test_a_twenty_megabyte_message_opens_a_case_and_notes_the_skipped_file():
    message = EmailMessage()
    message["From"] = "big@example.com"
    message["Subject"] = "All my letters"
    message.set_content("Scans attached.")
    message.add_attachment(b"\x00" * (20 * 1024 * 1024), maintype="application", subtype="pdf", filename="s.pdf")
    record = services.email_ingest(bytes(message))
    assert record.outcome == "new_case" and "s.pdf" in record.reason
    assert not Attachment.objects.exists()


def test_command_reads_one_message_on_standard_input(monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO((MAIL / "plain.eml").read_bytes()))
    monkeypatch.setattr("sys.stdin", stdin)
    out = io.StringIO()
    call_command("ingest_email", stdout=out)
    assert out.getvalue().startswith("new_case GD-")


def test_command_processes_a_maildir_and_moves_what_it_handled(tmp_path):
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    for name in ("plain.eml", "html_only.eml", "auto_reply.eml", "malformed_no_from.eml"):
        box.add((MAIL / name).read_bytes())
    out = io.StringIO()
    call_command("ingest_email", "--maildir", str(tmp_path / "inbox"), stdout=out)
    assert "2 new_case" in out.getvalue() and "1 automatic" in out.getvalue() and "1 rejected" in out.getvalue()
    assert len(box) == 0 and len(box.get_folder("Processed")) == 4
    assert InboundEmail.objects.count() == 3 and RejectedEmail.objects.count() == 1
    assert Customer.objects.count() == 2
