"""manage.py outbox: what an operator asks when mail seems stuck (rows by state, how long the oldest has
waited, what the mail server said to each failure) and --retry-failed, which sends failed rows again, once,
narrowed by key prefix or batch when asked."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from crm.models import EmailState, OutboundEmail
from crm.outbox import sending
from crm.outbox import services as outbox_services

pytestmark = pytest.mark.django_db


def queue(key: str, to: str = "ana@example.test") -> OutboundEmail:
    return outbox_services.queue_email(key=key, to_email=to, subject="Hello", body_text="Hello.")


def outbox(*args: str) -> str:
    out = io.StringIO()
    call_command("outbox", *args, stdout=out)
    return out.getvalue()


def test_it_counts_by_state_and_says_how_long_the_oldest_has_waited(sink):
    sink.refuse("nobody@example.test", 550)
    failed = queue("incident-update:7:customer:1", to="nobody@example.test")
    sending.send_pending([failed.pk])
    waiting = queue("case:1:acknowledgement")
    OutboundEmail.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    report = outbox()
    assert "pending 1, sending 0, sent 0, failed 1" in report
    assert "The oldest pending email was written 6" in report  # about 600 s
    assert "failed after 1 attempts: incident-update:7:customer:1: " in report and "550" in report


def test_retry_failed_sends_them_again_once_and_only_those_asked_for(sink, django_capture_on_commit_callbacks):
    sink.refuse("nobody@example.test", 550, times=3)  # each of the three fails once, and is accepted after
    rows = [queue(f"incident-update:7:customer:{n}", to="nobody@example.test") for n in range(2)]
    other = queue("case:9:message:3", to="nobody@example.test")
    sending.send_pending([row.pk for row in [*rows, other]])
    with django_capture_on_commit_callbacks(execute=True):
        assert "2 failed emails queued to be sent again." in outbox(
            "--retry-failed", "--key-prefix", "incident-update:7:"
        )
    for row in rows:
        row.refresh_from_db()
        assert row.state == EmailState.PENDING
    sending.send_pending([row.pk for row in rows])
    assert sink.count() == 2
    assert OutboundEmail.objects.get(pk=other.pk).state == EmailState.FAILED
    assert "0 failed emails queued" in outbox("--retry-failed", "--key-prefix", "incident-update:7:")


def test_nothing_waiting_says_so():
    assert "Nothing is waiting to be sent." in outbox()
