"""The outbox, writing side: every email Gemdesk sends is first a row, written in the transaction of the
action that causes it (queue_email, or insert_bulk_emails for a message to many customers), then sent by
Celery workers (crm.outbox.sending). The row is the truth; the broker only wakes workers.
"""

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.customers.selectors import notices_token
from crm.database import insert_unless_conflict
from crm.exceptions import InvalidInput
from crm.models import BulkEmail, Customer, EmailState, OutboundEmail, message_id_for, message_id_key
from crm.names import salutation
from crm.outbox.wakeups import enqueue_send, wake_senders

# enqueue_batch reads this many row ids at a time.
ENQUEUE_PAGE = 5000
HEADER_BREAKS = ("\r", "\n", "\u2028", "\u2029", "\x85")


def _check_header_value(field: str, value: str) -> None:
    if any(mark in value for mark in HEADER_BREAKS):
        raise InvalidInput("Line breaks are not allowed here.", errors={field: ["Remove the line breaks."]})


def absolute(path: str) -> str:
    """A link in an email: the path on GEMDESK_BASE_URL (what every app's emails.py builds links with)."""
    return f"{settings.GEMDESK_BASE_URL.rstrip('/')}{path}"


def queue_email(
    *,
    key: str,
    to_email: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    to_name: str = "",
    customer: Customer | None = None,
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
    if insert_unless_conflict(row):
        transaction.on_commit(lambda: wake_senders([row.pk]))
        return row
    return OutboundEmail.objects.get(key=key)


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


def enqueue_batch(batch: str) -> None:
    """Wake the senders for every pending row of a batch, reading a page of ids at a time."""
    pending = OutboundEmail.objects.filter(batch=batch, state=EmailState.PENDING).order_by("pk")
    last_id = 0
    while ids := list(pending.filter(pk__gt=last_id).values_list("pk", flat=True)[:ENQUEUE_PAGE]):
        enqueue_send(ids)
        last_id = ids[-1]


@transaction.atomic(durable=True)
def outbox_retry_failed(*, batch: str = "", key_prefix: str = "") -> int:
    """Give failed rows (of one batch, or whose key starts with `key_prefix`) another round of attempts, sent
    once this commits. Their keys stay: a row retried is still sent at most once."""
    failed = OutboundEmail.objects.filter(state=EmailState.FAILED, key__startswith=key_prefix)
    if batch:
        failed = failed.filter(batch=batch)
    ids = list(failed.values_list("pk", flat=True))
    OutboundEmail.objects.filter(pk__in=ids, state=EmailState.FAILED).update(
        state=EmailState.PENDING, attempts=0, next_attempt_at=timezone.now(), lease_until=None
    )
    transaction.on_commit(lambda: enqueue_send(ids))
    return len(ids)
