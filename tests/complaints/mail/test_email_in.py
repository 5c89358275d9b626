"""Email in: real sample messages become cases, replies, or recorded refusals; no mail loops."""

import hashlib
import io
import mailbox
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from complaints.cases import services as case_services
from complaints.intake import selectors as intake_selectors
from complaints.mail import services as mail_services
from complaints.models import Attachment, Case, CaseStatus, EventKind, InboundEmail, IntakeMatch, RejectedEmail
from complaints.resolution import services as resolution_services
from complaints.validation import CUSTOMER_TEXT_MAX_LENGTH
from crm.models import Customer, OutboundEmail
from tests.complaints.factories import make_case
from tests.complaints.mail.factories import big_message
from tests.crm.factories import CustomerFactory

MAIL = Path(__file__).parent / "messages"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def ingest(name: str):
    return mail_services.email_ingest((MAIL / name).read_bytes())


def message(*, sender="someone@example.test", subject="Re: your email", text="Yes, it works now.", **headers) -> bytes:
    """A plain message; keyword headers are written with dashes (in_reply_to= is In-Reply-To)."""
    email = EmailMessage()
    email["From"] = sender
    email["Subject"] = subject
    for name, value in headers.items():
        email["-".join(part.capitalize() for part in name.split("_"))] = value
    email.set_content(text)
    return bytes(email)


def test_a_new_message_opens_an_email_case_with_the_text_verbatim_and_one_acknowledgement():
    record = ingest("plain.eml")
    case = record.case
    assert (record.outcome, case.channel, case.status, case.owner) == ("new_case", "email", CaseStatus.NEW, None)
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
    case_services.case_take(case=case, agent=alice)
    client.force_login(alice)
    assert "router.png" in client.get(f"/cases/{case.reference}/").content.decode()


def test_a_reply_with_the_reference_from_the_customer_lands_on_the_case():
    customer = CustomerFactory(full_name="Siân Jones", email="sian.jones@example.org")
    case = make_case(customer=customer)
    raw = (MAIL / "reply_with_reference.eml").read_bytes().replace(b"GD-000123", case.reference.encode())
    record = mail_services.email_ingest(raw)
    assert (record.outcome, record.case) == ("reply", case)
    message = case.events.get(kind=EventKind.MESSAGE_IN)
    assert message.data["text"].startswith("Thank you, it works again since this morning.")
    assert "> we have reset your line." in message.data["text"]  # quoted history kept
    assert OutboundEmail.objects.filter(key__endswith="acknowledgement").count() == 1  # no second acknowledgement


def test_a_reference_alone_from_a_stranger_is_an_unverified_message_never_the_customers_voice(alice):
    case = make_case(customer=CustomerFactory(email="owner@example.test"), by=alice)
    raw = (MAIL / "reply_with_reference.eml").read_bytes().replace(b"GD-000123", case.reference.encode())
    record = mail_services.email_ingest(raw)
    assert (record.outcome, record.case) == ("unverified", case)
    assert not case.events.filter(kind=EventKind.MESSAGE_IN).exists()
    event = case.events.get(kind=EventKind.MESSAGE_IN_UNVERIFIED)
    assert event.data["sender"] == "sian.jones@example.org" and "not the customer's address" in event.data["reason"]


def test_a_reply_from_the_customer_threaded_to_our_message_id_lands_on_the_case(alice):
    case = make_case(by=alice)
    case_services.case_send_message(case=case, by=alice, text="Any news?")
    ours = OutboundEmail.objects.get(key__startswith=f"case:{case.pk}:message:")
    record = mail_services.email_ingest(message(sender=case.customer.email, in_reply_to=ours.message_id))
    assert (record.outcome, record.case) == ("reply", case)
    assert case.events.filter(kind=EventKind.MESSAGE_IN, actor_kind="customer").count() == 1


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


@pytest.mark.slow
def test_a_twenty_megabyte_message_opens_a_case_and_notes_the_skipped_file():
    record = mail_services.email_ingest(big_message(filename="s.pdf"))
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
    assert len(box) == 0 and len(box.get_folder("Processed")) == 3 and len(box.get_folder("Rejected")) == 1
    assert InboundEmail.objects.count() == 3 and RejectedEmail.objects.count() == 1
    assert Customer.objects.count() == 2


# --- Only the customer speaks for the customer ------------------------------------------------------


def test_a_stranger_threading_to_our_message_id_is_kept_unverified_and_changes_nothing(alice):
    case = make_case(by=alice)
    case_services.case_send_message(case=case, by=alice, text="Any news?", await_reply=True)
    ours = OutboundEmail.objects.get(key__startswith=f"case:{case.pk}:message:")
    forged = message(sender="mallory@evil.test", in_reply_to=ours.message_id, text="I moved: write to me here.")
    record = mail_services.email_ingest(forged)
    case.refresh_from_db()
    assert (record.outcome, record.case, case.status) == ("unverified", case, CaseStatus.WAITING_ON_CUSTOMER)
    assert not case.events.filter(kind=EventKind.MESSAGE_IN).exists()
    # The owner is told it is not the customer's, and the customer's status page never shows it.
    told = OutboundEmail.objects.get(key__startswith=f"case:{case.pk}:unverified-message:")
    assert "unverified" in told.subject and "mallory@evil.test" in told.body_text
    assert "I moved" not in str(intake_selectors.customer_view_of(case))


def test_message_ids_cannot_be_computed_from_the_guessable_key(alice):
    """The attack of the security test: sha256("case:<pk>:acknowledgement") as In-Reply-To."""
    case = make_case(by=alice)
    guessed = f"<{hashlib.sha256(f'case:{case.pk}:acknowledgement'.encode()).hexdigest()[:32]}@gemdesk>"
    record = mail_services.email_ingest(message(sender="mallory@evil.test", in_reply_to=guessed))
    assert record.outcome == "new_case" and record.case != case


@pytest.fixture
def trusted_mx(settings):
    settings.INBOUND_TRUSTED_AUTHSERV_ID = "mx.gemdesk.test"


def test_a_reply_from_the_customers_address_that_fails_dmarc_at_our_server_is_unverified(alice, trusted_mx):
    case = make_case(by=alice)
    forged = message(
        sender=case.customer.email,
        subject=f"Re: [{case.reference}] news",
        authentication_results="mx.gemdesk.test; spf=fail smtp.mailfrom=evil.test; dmarc=fail header.from=example.test",
    )
    record = mail_services.email_ingest(forged)
    assert (record.outcome, record.case) == ("unverified", case)
    assert "dmarc=fail" in case.events.get(kind=EventKind.MESSAGE_IN_UNVERIFIED).data["reason"]


def test_authentication_results_from_any_other_server_are_ignored(alice, trusted_mx):
    case = make_case(by=alice)
    claimed = message(
        sender=case.customer.email,
        subject=f"Re: [{case.reference}] news",
        authentication_results="mx.evil.test; dmarc=fail",
    )
    assert mail_services.email_ingest(claimed).outcome == "reply"


def test_a_passing_check_keeps_the_customers_reply_theirs(alice, trusted_mx):
    case = make_case(by=alice)
    signed = message(
        sender=case.customer.email,
        subject=f"Re: [{case.reference}] news",
        authentication_results="mx.gemdesk.test; dkim=pass header.d=example.test; spf=pass; dmarc=pass",
    )
    assert mail_services.email_ingest(signed).outcome == "reply"


def test_a_new_complaint_failing_our_servers_checks_opens_a_case_marked_unverified_and_mails_nobody(trusted_mx):
    forged = message(sender="victim@example.test", subject="Help", authentication_results="mx.gemdesk.test; spf=fail")
    case = mail_services.email_ingest(forged).case
    assert case.intake_match == IntakeMatch.UNVERIFIED_SENDER
    assert not OutboundEmail.objects.exists()


# --- Nothing a customer sends is lost, and one message never stops the others -------------------------


def test_an_encoded_line_break_in_the_subject_is_a_space_and_the_acknowledgement_goes_out():
    raw = (
        b"From: Ana <ana@example.test>\r\nSubject: =?utf-8?q?Broken=0D=0ABcc=3A_victim=40evil.test?=\r\n"
        b"Message-ID: <crlf@example.test>\r\n\r\nMy router is broken.\r\n"
    )
    case = mail_services.email_ingest(raw).case
    assert case.subject == "Broken Bcc: victim@evil.test"
    ack = OutboundEmail.objects.get(key=f"case:{case.pk}:acknowledgement")
    assert "\n" not in ack.subject and "\r" not in ack.subject


def test_a_reply_longer_than_a_case_message_is_kept_whole_as_a_file_with_a_note(alice, settings):
    case = make_case(by=alice)
    letter = "I have written down everything that happened.\n" + "Day after day nothing worked. " * 600
    thread = "\n".join(f"> earlier line {n}" for n in range(400))
    record = mail_services.email_ingest(
        message(
            sender=case.customer.email,
            subject=f"Re: [{case.reference}]",
            text=f"{letter}\n\nOn Monday you wrote:\n{thread}",
        )
    )
    assert record.outcome == "reply" and "whole text" in record.reason
    event = case.events.get(kind=EventKind.MESSAGE_IN)
    assert len(event.data["text"]) <= CUSTOMER_TEXT_MAX_LENGTH and "full-message.txt" in event.data["text"]
    [kept] = Attachment.objects.filter(case=case, filename="full-message.txt")
    whole = kept.file.read().decode()
    assert whole.startswith("I have written down everything") and "earlier line 399" in whole


def test_a_new_complaint_longer_than_the_limit_keeps_every_word(settings):
    text = "word " * 30_000
    case = mail_services.email_ingest(message(sender="long@example.test", subject="Long", text=text)).case
    assert len(case.description) <= CUSTOMER_TEXT_MAX_LENGTH
    assert Attachment.objects.get(case=case).file.read().decode().count("word") == 30_000


def test_a_forwarded_message_with_no_words_of_its_own_is_a_complaint_with_the_forwarded_text():
    original = EmailMessage()
    original["From"] = "Billing <billing@shop.example>"
    original["Subject"] = "Your invoice"
    original.set_content("You owe us 9,999 pounds.")
    forward = EmailMessage()
    forward["From"] = "kim@example.test"
    forward["Subject"] = "Fwd: Your invoice"
    forward.set_content("")
    forward.add_attachment(original)
    record = mail_services.email_ingest(bytes(forward))
    assert record.outcome == "new_case"
    assert "You owe us 9,999 pounds." in record.case.description
    assert "billing@shop.example" in record.case.description
    assert Attachment.objects.get(case=record.case).content_type == "message/rfc822"


def test_a_message_without_a_message_id_read_twice_is_one_case_and_one_acknowledgement():
    raw = b"From: ana@example.test\r\nSubject: Hello\r\n\r\nNo Message-ID here.\r\n"
    first = mail_services.email_ingest(b"Received: from mx1 by mx2; Mon, 1 Jan 2026\r\n" + raw)
    again = mail_services.email_ingest(b"Received: from mx3 by mx2; Tue, 2 Jan 2026\r\n" + raw)  # re-delivered
    assert (first.outcome, again.outcome) == ("new_case", "duplicate")
    assert Case.objects.count() == 1 and OutboundEmail.objects.count() == 1


def test_a_rejected_message_read_twice_is_kept_once():
    raw = (MAIL / "malformed_no_from.eml").read_bytes()
    mail_services.email_ingest(raw)
    assert mail_services.email_ingest(raw).outcome == "duplicate"
    assert RejectedEmail.objects.count() == 1


@pytest.mark.parametrize("filename", ["../../../../etc/evil.txt", "/etc/passwd", "..\\..\\boot.ini", "a\x00b.txt", ""])
def test_attachments_are_stored_under_generated_names_with_the_senders_name_kept_as_data(filename, tmp_path):
    email = EmailMessage()
    email["From"] = "x@example.test"
    email["Subject"] = "file"
    email.set_content("see attached")
    email.add_attachment(b"PWNED", maintype="text", subtype="plain", filename=filename)
    record = mail_services.email_ingest(bytes(email))
    [attachment] = Attachment.objects.filter(case=record.case)
    assert Path(attachment.file.path).parent.is_relative_to(tmp_path)
    assert ".." not in attachment.file.name and Path(attachment.file.name).name != filename
    assert attachment.file.read() == b"PWNED"


def test_a_message_over_the_total_size_cap_is_refused_with_the_reason_and_its_start_kept(settings):
    settings.INBOUND_MESSAGE_MAX_BYTES = 50_000
    result = mail_services.email_ingest(message(sender="big@example.test", text="x" * 60_000))
    assert isinstance(result, RejectedEmail) and "larger than 50,000 bytes" in result.reason
    assert result.size > 60_000 and result.from_address == "big@example.test"


def test_a_reply_to_a_case_closed_past_the_reopen_window_opens_a_new_case_naming_the_old_one(alice):
    case = make_case(by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Fixed", root_cause="process")
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=40), status=CaseStatus.CLOSED)
    record = mail_services.email_ingest(message(sender=case.customer.email, subject=f"Re: [{case.reference}] again"))
    assert record.outcome == "new_case" and record.case != case
    assert f"earlier case {case.reference}" in record.case.description


def test_a_reply_to_a_recently_resolved_case_reopens_it_for_its_owner(alice):
    case = make_case(by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Fixed", root_cause="process")
    record = mail_services.email_ingest(
        message(sender=case.customer.email, subject=f"Re: [{case.reference}] not fixed")
    )
    case.refresh_from_db()
    assert (record.outcome, case.status, case.owner) == ("reply", CaseStatus.OPEN, alice)


def run_command(*args, stdin: bytes = b"") -> tuple[int, str]:
    out = io.StringIO()
    with mock.patch("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin))):
        try:
            call_command("ingest_email", *args, stdout=out, stderr=io.StringIO())
        except CommandError as error:
            return error.returncode, out.getvalue()
    return 0, out.getvalue()


def test_the_command_exits_zero_for_whatever_it_stored_and_says_its_fate():
    assert run_command(stdin=(MAIL / "malformed_no_from.eml").read_bytes()) == (0, "rejected: no From header\n")
    code, line = run_command(stdin=(MAIL / "auto_reply.eml").read_bytes())
    assert (code, line.split(":")[0]) == (0, "automatic")


def test_the_command_exits_75_when_the_database_cannot_store_the_message_so_the_mail_server_retries():
    with mock.patch("complaints.mail.services._email_ingest", side_effect=OperationalError("the database is down")):
        code, _ = run_command(stdin=(MAIL / "plain.eml").read_bytes())
    assert code == 75 and not Case.objects.exists()


def test_a_message_that_trips_a_bug_is_kept_as_rejected_with_the_reason_and_exits_zero():
    with mock.patch("complaints.mail.services._new_email_case", side_effect=KeyError("surprise")):
        code, line = run_command(stdin=(MAIL / "plain.eml").read_bytes())
    assert code == 0 and line.startswith("rejected: could not be processed (KeyError")
    assert "Sian.Jones@Example.ORG" in RejectedEmail.objects.get().from_address


def test_in_a_maildir_a_crafted_message_opens_its_case_like_the_others(tmp_path):
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    crafted = EmailMessage()
    crafted["From"] = "x@example.test"
    crafted["Subject"] = "PLACEHOLDER"
    crafted.set_content("text")
    crafted.add_attachment(b"PWNED", maintype="text", subtype="plain", filename="../../../../var/evil.txt")
    # An encoded CR/LF in the Subject (EmailMessage would not write one).
    encoded = bytes(crafted).replace(b"PLACEHOLDER", b"=?utf-8?q?a=0D=0Ab?=")
    for raw in [(MAIL / "plain.eml").read_bytes(), encoded, (MAIL / "html_only.eml").read_bytes()]:
        box.add(raw)
    code, out = run_command("--maildir", str(tmp_path / "inbox"))
    assert code == 0 and len(box) == 0 and "3 new_case" in out
    assert Case.objects.filter(subject="a b").exists()


def test_in_a_maildir_a_message_that_trips_a_bug_is_kept_and_the_run_goes_on(tmp_path):
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    for name in ("plain.eml", "html_only.eml", "latin1.eml"):
        box.add((MAIL / name).read_bytes())
    real = mail_services._new_email_case
    calls = iter(range(3))

    def second_one_fails(parsed, text):
        if next(calls) == 1:
            raise KeyError("a bug")
        return real(parsed, text)

    with mock.patch("complaints.mail.services._new_email_case", side_effect=second_one_fails):
        code, out = run_command("--maildir", str(tmp_path / "inbox"))
    assert code == 0 and len(box) == 0
    assert "2 new_case" in out and "1 rejected" in out
    assert len(box.get_folder("Rejected")) == 1 and RejectedEmail.objects.count() == 1
