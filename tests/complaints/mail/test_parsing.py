"""Parsing real sample messages (tests/complaints/mail/) into what a case needs."""

from email.message import EmailMessage
from pathlib import Path

import pytest

from complaints.mail.parsing import MalformedEmail, html_to_text, parse_email, split_quoted
from tests.complaints.mail.factories import TWENTY_MEGABYTES, big_message

MAIL = Path(__file__).parent / "messages"
LIMIT = 10 * 1024 * 1024


def parse(name: str):
    return parse_email((MAIL / name).read_bytes(), attachment_max_bytes=LIMIT)


def test_plain_message_keeps_the_customers_words_verbatim():
    parsed = parse("plain.eml")
    assert parsed.from_address == "Sian.Jones@example.org"  # local part kept, domain lower-cased
    assert parsed.from_name == "Siân Jones"
    assert parsed.subject == "My broadband has been down for three days"
    assert "down since Friday.   I work from home and\nI have called twice." in parsed.body
    assert parsed.reference is None
    assert parsed.automatic_reason == ""


def test_html_only_message_becomes_readable_text_without_scripts_or_styles():
    parsed = parse("html_only.eml")
    assert parsed.body == "I was charged twice for November.\n\nPlease refund £42.\n\nKenji"
    assert "alert" not in parsed.body and "color" not in parsed.body


def test_attachment_is_kept_with_name_type_and_bytes():
    parsed = parse("multipart_attachment.eml")
    assert parsed.body.startswith("The router arrived broken")
    [attachment] = parsed.attachments
    assert (attachment.filename, attachment.content_type, attachment.size) == ("router.png", "image/png", 256 * 40)


def test_reply_carries_reference_thread_ids_and_folds_the_quoted_history():
    parsed = parse("reply_with_reference.eml")
    assert parsed.reference == "GD-000123"
    assert "<0f1e2d3c4b5a69788796a5b4c3d2e1f0@gemdesk>" in parsed.thread_ids
    assert parsed.body == "Thank you, it works again since this morning."
    assert parsed.quoted.startswith("On Mon, 23 Nov 2026 at 12:00, Gemdesk wrote:")
    assert "> we have reset your line." in parsed.full_text


@pytest.mark.parametrize(
    ("name", "reason"),
    [("auto_reply.eml", "Auto-Submitted: auto-replied"), ("bounce.eml", "delivery status notification")],
)
def test_auto_replies_and_bounces_are_recognised(name, reason):
    assert parse(name).automatic_reason == reason


@pytest.mark.parametrize("header", ["Precedence: bulk", "Precedence: list", "X-Autoreply: yes"])
def test_bulk_and_autoreply_headers_are_automatic(header):
    message = EmailMessage()
    message["From"] = "news@example.com"
    message["Subject"] = "News"
    name, value = header.split(": ")
    message[name] = value
    message.set_content("Hello")
    assert parse_email(bytes(message), attachment_max_bytes=LIMIT).automatic_reason


def test_non_utf8_charset_is_decoded():
    parsed = parse("latin1.eml")
    assert parsed.from_name == "François Müller"
    assert parsed.subject == "Facture erronée"
    assert "Ma facture de décembre est erronée" in parsed.body


def test_unknown_charset_keeps_every_byte_readable():
    raw = b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=x-no-such\r\n\r\nCaf\xe9 broken\r\n"
    assert parse_email(raw, attachment_max_bytes=LIMIT).body == "Café broken"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ((MAIL / "malformed_no_from.eml").read_bytes(), "no From header"),
        (b"", "empty message"),
        (b"From: not-an-address\r\nSubject: x\r\n\r\nhello\r\n", "no usable address"),
        (b"From: a@example.com\r\nSubject: x\r\n\r\n", "no text and no attachments"),
    ],
)
def test_malformed_messages_say_why(raw, reason):
    with pytest.raises(MalformedEmail, match=reason):
        parse_email(raw, attachment_max_bytes=LIMIT)


@pytest.mark.slow
def test_twenty_megabyte_message_keeps_text_and_skips_the_oversized_attachment():
    parsed = parse_email(big_message(), attachment_max_bytes=LIMIT)
    assert parsed.body == "Scans attached."
    assert parsed.attachments == []
    [skipped] = parsed.skipped_attachments
    assert (skipped.filename, skipped.size) == ("scans.pdf", TWENTY_MEGABYTES)


def test_split_quoted_keeps_a_message_that_is_only_quotes_whole():
    assert split_quoted("> only a quote\n> here") == ("> only a quote\n> here", "")


def test_html_to_text_separates_blocks_and_breaks_lines():
    assert html_to_text("<div>a</div><div>b<br>c</div>") == "a\n\nb\nc"
