"""The outbox: every email Gemdesk sends is first a row, written in the transaction of the
action that causes it, then sent by Celery workers. The row is the truth; the broker only
wakes workers, and the sweeper re-queues whatever the broker lost.

Guarantee: every key is delivered; the only repeats are messages in flight when a worker is
killed after the SMTP server accepted them, and each repeat carries the same Message-ID.
"""

import contextlib
import logging
import random
import smtplib
import time
from collections.abc import Iterable
from datetime import timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from crm.exceptions import InvalidInput
from crm.models import BulkEmail, Customer, EmailState, OutboundEmail, message_id_for, message_id_key
from crm.names import salutation
from crm.selectors import notices_token

logger = logging.getLogger(__name__)

# One send task handles this many rows over one SMTP connection: enough to amortise the
# connection, few enough that a killed worker strands little and a lease stays short.
SEND_BATCH_SIZE = 100
# A live sender renews the lease of its remaining rows once this part of the lease has passed.
LEASE_RENEW_AFTER = 1 / 3
# enqueue_batch reads this many row ids at a time.
ENQUEUE_PAGE = 5000
# The sweeper re-queues at most this many rows per run; the next run takes the rest.
SWEEP_LIMIT = 20_000
HEADER_BREAKS = ("\r", "\n", "\u2028", "\u2029", "\x85")

# Sent after a row is marked sent (outside the transaction), so other apps can react without
# crm importing them: complaints records when an acknowledgement went out. Arguments: key, email, sent_at.
email_sent = Signal()


def _check_header_value(field: str, value: str) -> None:
    if any(mark in value for mark in HEADER_BREAKS):
        raise InvalidInput("Line breaks are not allowed here.", errors={field: ["Remove the line breaks."]})


def queue_email(
    *,
    key: str,
    to_email: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    to_name: str = "",
    customer=None,
) -> OutboundEmail:
    """Write an email to the outbox in the caller's transaction; it is sent after commit.

    Calling again with the same key changes nothing and sends nothing more."""
    for name, value in (("to_email", to_email), ("to_name", to_name), ("subject", subject)):
        _check_header_value(name, value)
    row = OutboundEmail(
        key=key,
        to_email=to_email,
        to_name=to_name,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        customer=customer,
        message_id=message_id_for(key),
    )
    # ON CONFLICT DO NOTHING: a duplicate key does not abort the caller's transaction.
    OutboundEmail.objects.bulk_create([row], ignore_conflicts=True)
    stored = OutboundEmail.objects.get(key=key)
    # Conflict-ignoring inserts return no primary key; our own creation time tells our row from an older one.
    if stored.created_at == row.created_at:
        transaction.on_commit(lambda: enqueue_send([stored.pk]))
    return stored


# Merge fields a bulk email's text and header values may hold, filled in for each customer when sent.
SALUTATION_FIELD = "{{ salutation }}"
NOTICES_TOKEN_FIELD = "{{ notices_token }}"  # noqa: S105 - a placeholder, not a secret

# The Message-ID of message_id_for(), computed by the database for rows it writes itself: HMAC-SHA256
# spelled out with PostgreSQL's sha256() (the padded secret comes as two parameters, outer then inner),
# and on SQLite the function crm.apps registers on each connection.
MESSAGE_ID_SQL = {
    "postgresql": (
        "'<' || LEFT(ENCODE(SHA256(%s || SHA256(%s || CONVERT_TO({key}, 'UTF8'))), 'hex'), 32) || '@gemdesk>'"
    ),
    "sqlite": "gemdesk_message_id({key})",
}


def _message_id_sql_params() -> list:
    """The parameters MESSAGE_ID_SQL takes before the key's own: HMAC's outer and inner padded keys."""
    if db_connection.vendor != "postgresql":
        return []
    key = message_id_key().ljust(64, b"\0")
    return [bytes(b ^ 0x5C for b in key), bytes(b ^ 0x36 for b in key)]


def personalise(text: str, customer: Customer) -> str:
    """One customer's copy of a bulk email's text or header value."""
    text = text.replace(SALUTATION_FIELD, salutation(customer))
    return text.replace(NOTICES_TOKEN_FIELD, notices_token(customer.pk)) if NOTICES_TOKEN_FIELD in text else text


def insert_bulk_emails(*, bulk: BulkEmail, customers: QuerySet, key_prefix: str, batch: str) -> int:
    """One pending row of `bulk` per customer in `customers` (key `{key_prefix}{customer id}`), in a single
    INSERT ... SELECT: no customer passes through Python, so 100,000 rows cost one statement per chunk.
    Keys already there are skipped. Returns how many rows are new; wake the senders with enqueue_batch."""
    audience, params = customers.order_by().values_list("pk", "email", "full_name").query.sql_with_params()
    key = "CAST(%s AS TEXT) || CAST(c.pk AS TEXT)"
    table = OutboundEmail._meta.db_table
    sql = (
        f"INSERT INTO {table} (key, to_email, to_name, subject, body_text, body_html, customer_id, bulk_id, "  # noqa: S608 - names are ours
        "state, attempts, last_error, next_attempt_at, message_id, batch, headers, created_at) "
        f"SELECT {key}, c.email, c.full_name, %s, '', '', c.pk, %s, %s, 0, '', %s, "
        f"{MESSAGE_ID_SQL[db_connection.vendor].format(key=key)}, %s, '{{}}', %s "
        f"FROM ({audience}) AS c WHERE true "  # WHERE: SQLite's rule for INSERT ... SELECT ... ON CONFLICT
        "ON CONFLICT (key) DO NOTHING"
    )
    now = timezone.now()
    # In the order of the placeholders; the key prefix twice (the key, and the Message-ID made from it).
    values = [
        key_prefix,
        bulk.subject,
        bulk.pk,
        EmailState.PENDING,
        now,
        *_message_id_sql_params(),
        key_prefix,
        batch,
        now,
        *params,
    ]
    with db_connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.rowcount


def enqueue_send(email_ids: Iterable[int]) -> None:
    """Wake workers for these rows, SEND_BATCH_SIZE at a time. Safe to call for rows already sent."""
    from crm.tasks import send_emails

    ids = list(email_ids)
    for start in range(0, len(ids), SEND_BATCH_SIZE):
        send_emails.delay(ids[start : start + SEND_BATCH_SIZE])


def enqueue_batch(batch: str) -> None:
    """Wake the senders for every pending row of a batch, reading a page of ids at a time."""
    pending = OutboundEmail.objects.filter(batch=batch, state=EmailState.PENDING).order_by("pk")
    last_id = 0
    while ids := list(pending.filter(pk__gt=last_id).values_list("pk", flat=True)[:ENQUEUE_PAGE]):
        enqueue_send(ids)
        last_id = ids[-1]


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


def recipient_address(name: str, email: str) -> str:
    """One To address, whatever the name holds: quoted when it has commas, quotes, '<', '@', ':' or ';',
    RFC 2047-encoded when it is not ASCII. Never "name <email>" pasted together: Django would read
    "Doe, Jane <j@x>" as two addresses and refuse it."""
    return formataddr((name, email), charset="utf-8") if name else email


def _message(row: OutboundEmail, bulk: BulkEmail | None, connection) -> EmailMultiAlternatives:
    recipient = recipient_address(row.to_name, row.to_email)
    if bulk is None:
        subject, body, headers = row.subject, row.body_text, row.headers
    else:
        subject, body = bulk.subject, personalise(bulk.body_text, row.customer)
        headers = {name: personalise(value, row.customer) for name, value in bulk.headers.items()}
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers={**headers, "Message-ID": row.message_id},
        connection=connection,
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message


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


# Once per message, right after the server accepts it: plain SQL, as the ORM's query building
# costs the worker ten times what the statement costs the database.
MARK_SENT_SQL = (
    f"UPDATE {OutboundEmail._meta.db_table} SET state = %s, sent_at = %s, attempts = attempts + 1, "  # noqa: S608
    "lease_until = NULL, last_error = '' WHERE id = %s AND state = %s"
)


def _mark_sent(row: OutboundEmail) -> None:
    now = timezone.now()
    with db_connection.cursor() as cursor:
        cursor.execute(MARK_SENT_SQL, [EmailState.SENT, now, row.pk, EmailState.SENDING])
        done = cursor.rowcount
    if done:
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
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
    elif isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, error.smtp_error
    else:
        return None, str(error)
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
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
                connection.send_messages([_message(row, bulk, connection)])
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
                # The server accepted the message before we mark it sent: a kill right here
                # repeats this one message, with the same Message-ID.
                _mark_sent(row)
                counts["sent"] += 1
                continue
            # The connection is gone: this row waits its backoff, the rest go back to pending at once.
            retry_after = _mark_for_retry(row, lost)
            _release(rows[index + 1 :])
            retry_ids.extend(r.pk for r in rows[index:])
            counts["retry"] += 1
            break
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()
    _schedule_retry(retry_ids, retry_after)
    return counts


def _schedule_retry(ids: list[int], delay: float | None) -> None:
    if not ids:
        return
    from crm.tasks import send_emails

    # The countdown stays below the broker's visibility timeout (checked in settings); if the
    # message is lost anyway, the sweeper finds the pending rows.
    send_emails.apply_async([ids], countdown=max(1.0, delay or 1.0))


def stranded_email_ids(*, now=None) -> list[int]:
    """Rows the broker may have lost: pending and overdue by the stale margin, or leased by a dead worker."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_STALE_PENDING_SECONDS)
    return list(
        OutboundEmail.objects.filter(
            Q(state=EmailState.PENDING, next_attempt_at__lte=stale) | Q(state=EmailState.SENDING, lease_until__lt=now)
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
