"""The outbox, sending side: Celery workers claim rows with a lease, send them over SMTP, mark them sent,
and retry temporary failures with backoff. The row is the truth; the broker only wakes workers, and the
sweeper (crm.outbox.selectors) re-queues whatever the broker lost.

Guarantee: every key is delivered; the only repeats are messages the SMTP server accepted from a worker
process killed before it marked them sent (at most MARK_SENT_EVERY per process), and each repeat
carries the same Message-ID.
"""

import contextlib
import logging
import random
import re
import smtplib
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from crm.models import BulkEmail, EmailState, OutboundEmail
from crm.outbox.messages import BulkCopies, bulk_copies, django_message
from crm.tasks import send_emails as send_emails_task

logger = logging.getLogger(__name__)

# A live sender renews the lease of its remaining rows once this part of the lease has passed.
LEASE_RENEW_AFTER = 1 / 3

# Sent after a row is marked sent (outside the transaction), so other apps can react without
# crm importing them: complaints records when an acknowledgement went out. Arguments: key, email, sent_at.
email_sent = Signal()


def _claim(email_ids: list[int]) -> list[OutboundEmail]:
    """Take the rows no other worker holds, with a lease. SKIP LOCKED: two workers never wait on or share a row."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    with transaction.atomic():
        # Locked by primary key alone, then checked here: a state condition in the query lets PostgreSQL
        # scan the partial index of unfinished rows, which a large fan-out fills with dead entries.
        locked = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("customer")
            .filter(pk__in=email_ids)
            .order_by("pk")
        )
        rows = [row for row in locked if row.is_claimable(now)]
        if rows:
            OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).update(
                state=EmailState.SENDING, lease_until=lease
            )
    return rows


def _wait_for_rate_limit() -> None:
    """OUTBOX_RATE_PER_SECOND across all workers: a per-second counter in the shared cache (Redis)."""
    limit = settings.OUTBOX_RATE_PER_SECOND
    if not limit:
        return
    while True:
        now = time.time()
        key = f"outbox-rate:{int(now)}"
        cache.add(key, 0, timeout=5)
        if cache.incr(key) <= limit:
            return
        time.sleep(1 - (now % 1) + 0.001)


def _backoff_seconds(attempts: int) -> float:
    base = settings.OUTBOX_RETRY_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)
    return min(base, settings.OUTBOX_RETRY_BACKOFF_MAX_SECONDS) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter


# Accepted messages are marked sent in groups: one UPDATE per MARK_SENT_EVERY messages, or with the first
# message accepted MARK_SENT_SECONDS after the oldest unmarked one, and at the end of the task (one UPDATE
# per message cost the database more than sending did).
# The price: a worker process killed mid-send repeats at most MARK_SENT_EVERY messages (accepted by the
# server, not yet marked), each with its Message-ID; a worker of concurrency C, at most C times that.
MARK_SENT_EVERY = 20
MARK_SENT_SECONDS = 0.1


class _SentMarks:
    """The rows the server accepted and the database does not know of yet."""

    def __init__(self) -> None:
        self.rows: list[OutboundEmail] = []
        self.first_at = 0.0

    def add(self, row: OutboundEmail) -> None:
        if not self.rows:
            self.first_at = time.monotonic()
        self.rows.append(row)
        if len(self.rows) >= MARK_SENT_EVERY or time.monotonic() - self.first_at >= MARK_SENT_SECONDS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        now = timezone.now()
        OutboundEmail.objects.filter(pk__in=[row.pk for row in rows], state=EmailState.SENDING).update(
            state=EmailState.SENT, sent_at=now, attempts=F("attempts") + 1, lease_until=None, last_error=""
        )
        # Each was accepted by the mail server, whoever marked it: the receivers are idempotent.
        for row in rows:
            email_sent.send(sender=OutboundEmail, key=row.key, email=row, sent_at=now)


def _mark_failed(row: OutboundEmail, error: str) -> None:
    OutboundEmail.objects.filter(pk=row.pk, state=EmailState.SENDING).update(
        state=EmailState.FAILED, attempts=F("attempts") + 1, lease_until=None, last_error=error[:2000]
    )


def _mark_for_retry(row: OutboundEmail, error: str) -> float | None:
    """Back to pending with a due time, or failed after the last attempt. Returns the delay, if any."""
    attempts = row.attempts + 1
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _mark_failed(row, f"gave up after {attempts} attempts: {error}")
        return None
    delay = _backoff_seconds(attempts)
    OutboundEmail.objects.filter(pk=row.pk, state=EmailState.SENDING).update(
        state=EmailState.PENDING,
        attempts=F("attempts") + 1,
        lease_until=None,
        last_error=error[:2000],
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return delay


def _renew_lease(rows: list[OutboundEmail]) -> None:
    """A slow server must not let our lease run out while we still hold these rows (the sweeper would re-send).
    By primary key alone (see _claim); a row another worker took after our lease ran out only gets longer."""
    OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).update(
        lease_until=timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    )


def _release(rows: list[OutboundEmail]) -> None:
    """Give unsent rows back at once (no attempt counted) instead of waiting for their lease to expire."""
    OutboundEmail.objects.filter(pk__in=[r.pk for r in rows], state=EmailState.SENDING).update(
        state=EmailState.PENDING, lease_until=None, next_attempt_at=timezone.now()
    )


def _smtp_error_text(error: smtplib.SMTPException) -> tuple[int | None, str]:
    answer: bytes | str
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(error.recipients.values()))
    elif isinstance(error, smtplib.SMTPResponseException):
        code, answer = error.smtp_code, error.smtp_error
    else:
        return None, str(error)
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    return code, f"{code} {text}"


def send_pending(email_ids: list[int]) -> dict[str, int]:
    """Send these rows if they are still due. Safe to run twice, or in parallel with itself."""
    rows = _claim(email_ids)
    counts = {"sent": 0, "failed": 0, "retry": 0}
    if not rows:
        return counts
    retry_after: float | None = None
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("Outbox: cannot reach the mail server (%s); %d emails wait", type(error).__name__, len(rows))
        for row in rows:
            delay = _mark_for_retry(row, f"connection: {error}")
            retry_after = delay if retry_after is None or (delay and delay < retry_after) else retry_after
        counts["retry"] = len(rows)
        _schedule_retry([r.pk for r in rows], retry_after)
        return counts
    retry_ids: list[int] = []
    bulks = BulkEmail.objects.in_bulk({row.bulk_id for row in rows if row.bulk_id})
    # Bulk copies go as bytes over SMTP; any other backend (the console, tests' memory) gets Django's messages.
    copies = {pk: bulk_copies(bulk) for pk, bulk in bulks.items()} if isinstance(connection, SMTPBackend) else {}
    marks = _SentMarks()
    renew_every = settings.OUTBOX_LEASE_SECONDS * LEASE_RENEW_AFTER
    renew_at = time.monotonic() + renew_every
    try:
        for index, row in enumerate(rows):
            if time.monotonic() >= renew_at:
                _renew_lease(rows[index:])
                renew_at = time.monotonic() + renew_every
            bulk = bulks.get(row.bulk_id)
            if bulk is not None and row.customer is None:
                _mark_failed(row, "The customer was deleted before this email went out.")
                counts["failed"] += 1
                continue
            _wait_for_rate_limit()
            try:
                _send(connection, row, bulk, copies.get(row.bulk_id))
            except smtplib.SMTPServerDisconnected as error:
                lost = f"disconnected: {error}"
            except smtplib.SMTPException as error:
                code, text = _smtp_error_text(error)
                if code is not None and 500 <= code < 600:
                    _mark_failed(row, text)
                    counts["failed"] += 1
                else:
                    delay = _mark_for_retry(row, text)
                    if delay is not None:
                        retry_ids.append(row.pk)
                        retry_after = delay if retry_after is None else min(retry_after, delay)
                    counts["retry"] += 1
                continue
            except OSError as error:
                lost = f"network: {error}"
            except Exception as error:  # noqa: BLE001 - whatever this row holds, it must not stop the others
                # Django builds the whole message before it talks to the server, so the connection is intact.
                logger.warning("Outbox: email %s cannot be built; marked failed", row.pk, exc_info=True)
                _mark_failed(row, f"This email could not be built: {type(error).__name__}: {error}")
                counts["failed"] += 1
                continue
            else:
                # The server accepted the message before we mark it sent: a kill before the group's
                # mark repeats the group's messages, with the same Message-IDs.
                marks.add(row)
                counts["sent"] += 1
                continue
            # The connection is gone: this row waits its backoff, the rest go back to pending at once.
            retry_after = _mark_for_retry(row, lost)
            _release(rows[index + 1 :])
            retry_ids.extend(r.pk for r in rows[index:])
            counts["retry"] += 1
            break
    finally:
        marks.flush()
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()
    _schedule_retry(retry_ids, retry_after)
    return counts


def _send(connection: BaseEmailBackend, row: OutboundEmail, bulk: BulkEmail | None, copies: BulkCopies | None) -> None:
    """One row to the server: a bulk copy from its built bytes when it can be, else as Django builds it."""
    if copies is not None and (copy := copies.copy_for(row)):
        recipient, raw = copy
        _sendmail(connection.connection, copies.envelope_from, recipient, raw)  # type: ignore[attr-defined]
    else:
        connection.send_messages([django_message(row, bulk, connection)])


# A line of the message that starts with a dot gets another (RFC 5321 4.5.2), as smtplib does.
LEADING_DOT = re.compile(rb"(?m)^\.")


def _sendmail(smtp: smtplib.SMTP, sender: str, recipient: str, raw: bytes) -> None:
    """smtplib's sendmail for one recipient, raising the same exceptions; when the server offers PIPELINING
    (RFC 2920) MAIL, RCPT and DATA go in one write, so a message costs two round trips, not four. Client and
    sink in one process here: 0.53-0.61 ms of CPU a message against 0.77-0.90 ms unpipelined."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("pipelining"):
        smtp.sendmail(sender, [recipient], raw)
        return
    size = f" SIZE={len(raw)}" if smtp.has_extn("size") else ""
    # quoteaddr as sendmail: the address alone of "Name <address>".
    envelope = f"MAIL FROM:{smtplib.quoteaddr(sender)}{size}\r\nRCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n"
    smtp.send(envelope.encode("ascii"))
    mail, rcpt, data = smtp.getreply(), smtp.getreply(), smtp.getreply()
    refused: smtplib.SMTPException | None = None
    if mail[0] != 250:
        refused = smtplib.SMTPSenderRefused(*mail, sender)
    elif rcpt[0] not in (250, 251):
        refused = smtplib.SMTPRecipientsRefused({recipient: rcpt})
    elif data[0] != 354:
        refused = smtplib.SMTPDataError(*data)
    if refused is not None:
        if data[0] == 354:  # a server that opened the data all the same: close it empty
            smtp.send(b".\r\n")
            smtp.getreply()
        _after_refusal(smtp, mail[0], rcpt[0], data[0])
        raise refused
    message = LEADING_DOT.sub(b"..", raw)
    smtp.send(message + (b"" if message.endswith(b"\r\n") else b"\r\n") + b".\r\n")
    code, answer = smtp.getreply()
    if code != 250:
        _after_refusal(smtp, code)
        raise smtplib.SMTPDataError(code, answer)


def _after_refusal(smtp: smtplib.SMTP, *codes: int) -> None:
    """Ready the connection for the next message, as smtplib does: closed if the server is closing (421),
    else reset."""
    if 421 in codes:
        smtp.close()
    else:
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            smtp.rset()


def _schedule_retry(ids: list[int], delay: float | None) -> None:
    if not ids:
        return
    # The countdown stays below the broker's visibility timeout (checked in settings); if the
    # message is lost anyway, the sweeper finds the pending rows.
    send_emails_task.apply_async([ids], countdown=max(1.0, delay or 1.0))
