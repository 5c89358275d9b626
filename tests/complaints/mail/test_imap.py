"""Email in from an IMAP mailbox, against a real Dovecot: the sample messages APPENDed to the inbox become
cases and replies exactly as through standard input, each is flagged \\Seen and moved to Gemdesk/Processed
(refusals to Gemdesk/Rejected); a poller dying between storing and moving duplicates nothing; two pollers
at once read each message once; a renumbered mailbox (UIDVALIDITY), a refused login, a certificate that
does not verify and a dropped connection each give one clear log line, lose nothing and back off."""

import imaplib
import logging
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from complaints import tasks
from complaints.mail import imap
from complaints.models import Case, EventKind, InboundEmail, RejectedEmail
from tests.complaints.factories import make_case
from tests.complaints.mail.factories import numbered
from tests.crm.factories import CustomerFactory
from tests.dovecot import Dovecot

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]
MAIL = Path(__file__).parent / "messages"
# The folders of the default settings, in Dovecot's default separator (".").
DONE, REJECTED = "Gemdesk.Processed", "Gemdesk.Rejected"


@pytest.fixture(scope="module")
def server():
    dovecot = Dovecot().start()
    yield dovecot
    dovecot.stop()


@pytest.fixture
def mailbox(server, settings):
    """An empty inbox (each test its own folder), and Gemdesk pointed at it."""
    folder = f"Test{abs(hash(object()))}"
    client = server.client()
    client.create(folder)
    client.logout()
    settings.IMAP_URL = server.url(folder=folder)
    settings.IMAP_CA_FILE = server.cafile
    server.folder = folder
    return server


def sample(name: str) -> bytes:
    return (MAIL / name).read_bytes()


def test_sample_messages_become_cases_and_replies_as_through_standard_input(mailbox):
    customer = CustomerFactory(full_name="Siân Jones", email="sian.jones@example.org")
    case = make_case(customer=customer)
    reply = sample("reply_with_reference.eml").replace(b"GD-000123", case.reference.encode())
    mailbox.append(
        sample("plain.eml"), reply, sample("auto_reply.eml"), sample("malformed_no_from.eml"), folder=mailbox.folder
    )

    counts = imap.mailbox_poll()

    assert counts == {"new_case": 1, "reply": 1, "automatic": 1, "rejected": 1}
    assert Case.objects.filter(channel="email").count() == 1
    assert case.events.filter(kind=EventKind.MESSAGE_IN).count() == 1
    assert RejectedEmail.objects.count() == 1
    assert mailbox.uids(mailbox.folder) == []
    assert len(mailbox.uids(DONE)) >= 3 and len(mailbox.uids(REJECTED)) >= 1
    assert all(b"\\Seen" in flags for flags in mailbox.flags(DONE))


def test_the_command_reads_it_once_and_says_what_became_of_each(mailbox, capsys):
    mailbox.append(sample("plain.eml"), sample("html_only.eml"), folder=mailbox.folder)
    call_command("ingest_email", "--imap")
    assert "IMAP: 2 new_case." in capsys.readouterr().out
    call_command("ingest_email", "--imap")
    assert "IMAP: no messages." in capsys.readouterr().out
    assert Case.objects.count() == 2


def test_a_poller_dying_between_storing_and_moving_duplicates_nothing(mailbox, monkeypatch):
    mailbox.append(sample("plain.eml"), folder=mailbox.folder)
    real_move = imap._move

    def die(*args, **kwargs):
        raise KeyboardInterrupt  # the process is killed after the database has the message

    monkeypatch.setattr(imap, "_move", die)
    with pytest.raises(KeyboardInterrupt):
        imap.mailbox_poll()
    assert Case.objects.count() == 1 and len(mailbox.uids(mailbox.folder)) == 1
    monkeypatch.setattr(imap, "_move", real_move)
    assert imap.mailbox_poll() == {"duplicate": 1}
    assert Case.objects.count() == 1 and mailbox.uids(mailbox.folder) == []


@pytest.mark.django_db(transaction=True)
def test_two_pollers_at_once_read_each_message_once(mailbox):
    messages = numbered("two-pollers", 30)
    mailbox.append(*messages, folder=mailbox.folder)
    results = []
    start = threading.Barrier(2)

    def poll():
        start.wait()
        try:
            results.append(imap.mailbox_poll())
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Case.objects.count() == 30
    assert InboundEmail.objects.filter(outcome="new_case").count() == 30
    assert None in results  # one stood aside while the other read
    assert mailbox.uids(mailbox.folder) == []


def test_a_renumbered_mailbox_is_logged_and_nothing_is_read_twice(mailbox, caplog):
    mailbox.append(sample("plain.eml"), folder=mailbox.folder)
    imap.mailbox_poll()
    mailbox.append(sample("html_only.eml"), folder=mailbox.folder)
    mailbox.set_uidvalidity(424242, folder=mailbox.folder)
    with caplog.at_level(logging.WARNING, logger="complaints.mail.imap"):
        assert imap.mailbox_poll() == {"new_case": 1}
    assert "UIDVALIDITY" in caplog.text and "424242" in caplog.text
    assert Case.objects.count() == 2


def test_a_refused_login_is_one_line_without_the_password_and_backs_off(mailbox, settings, caplog):
    mailbox.append(sample("plain.eml"), folder=mailbox.folder)
    settings.IMAP_URL = mailbox.url(password="wrong-password-123", folder=mailbox.folder)
    with caplog.at_level(logging.ERROR, logger="complaints.mail.imap"):
        assert tasks.poll_mailbox() is None
        assert tasks.poll_mailbox() is None  # waiting: not tried again at once
    assert caplog.text.count("login refused for [email] at 127.0.0.1") == 1  # the log mask hides addresses
    assert "wrong-password-123" not in caplog.text and "imap-test-password" not in caplog.text
    assert "trying again in 60 s (failure 1 in a row)" in caplog.text
    settings.IMAP_URL = mailbox.url(folder=mailbox.folder)
    imap.cache.delete(imap.RETRY_AT_KEY)  # the wait is over
    assert tasks.poll_mailbox() == {"new_case": 1}
    assert imap.cache.get(imap.FAILURES_KEY) is None


def test_a_certificate_that_does_not_verify_is_refused_unless_told_not_to_check(mailbox, settings, caplog):
    mailbox.append(sample("plain.eml"), folder=mailbox.folder)
    settings.IMAP_CA_FILE = ""
    with pytest.raises(imap.MailboxUnavailable, match="did not verify"):
        imap.mailbox_poll()
    with pytest.raises(CommandError, match="nothing was lost"):
        call_command("ingest_email", "--imap")
    assert not Case.objects.exists()
    settings.IMAP_TLS_VERIFY = False
    with caplog.at_level(logging.WARNING, logger="complaints.mail.imap"):
        assert imap.mailbox_poll() == {"new_case": 1}
    assert "not checked" in caplog.text


def test_starttls_on_the_plain_port_works_too(mailbox, settings):
    mailbox.append(sample("plain.eml"), folder=mailbox.folder)
    settings.IMAP_URL = mailbox.url(starttls=True, folder=mailbox.folder)
    assert imap.mailbox_poll() == {"new_case": 1}


def test_a_connection_dropped_mid_fetch_loses_nothing(mailbox, monkeypatch):
    messages = numbered("dropped", 5)
    mailbox.append(*messages, folder=mailbox.folder)
    real_fetch, fetched = imap._fetch, []

    def drop_after_two(client, uid):
        if len(fetched) == 2:
            raise imaplib.IMAP4.abort("socket error: EOF")
        fetched.append(uid)
        return real_fetch(client, uid)

    monkeypatch.setattr(imap, "_fetch", drop_after_two)
    with pytest.raises(imap.MailboxUnavailable, match="dropped"):
        imap.mailbox_poll()
    assert Case.objects.count() == 2 and len(mailbox.uids(mailbox.folder)) == 3
    monkeypatch.setattr(imap, "_fetch", real_fetch)
    assert imap.mailbox_poll() == {"new_case": 3}
    assert Case.objects.count() == 5


def test_a_bad_url_says_what_it_should_look_like(settings):
    with pytest.raises(imap.MailboxUnavailable, match="imaps://user:password@host:993/INBOX"):
        imap.mailbox_address("pop3://someone@example.test")
