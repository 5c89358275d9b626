"""The outbox: one row per key, sent after commit, exactly once, retried on 4xx, failed on 5xx."""

import email
import email.policy
import hashlib
import threading
import time

import pytest
from django.db import connection as db_connection
from django.db import transaction

from crm.customers import selectors as customer_selectors
from crm.exceptions import InvalidInput
from crm.models import EmailState, OutboundEmail, message_id_for
from crm.outbox import selectors as outbox_selectors
from crm.outbox import sending as outbox_sending
from crm.outbox import services as outbox_services
from tests.crm.factories import CustomerFactory
from tests.crm.outbox.bulk import BATCH, KEY_PREFIX, notices_token, write_bulk

pytestmark = pytest.mark.django_db


def queue(key="welcome:1", to="ana@example.test", **extra):
    return outbox_services.queue_email(key=key, to_email=to, subject="Hello", body_text="Dear Ana,\n\nHello.", **extra)


def test_queue_email_enqueues_one_send_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        row = queue()
    assert row.state == EmailState.PENDING
    assert row.message_id == message_id_for("welcome:1")
    assert len(callbacks) == 1


def test_same_key_twice_makes_one_row_and_one_send(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = queue()
        second = queue(to="someone.else@example.test")
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
    assert second.to_email == "ana@example.test"
    assert len(callbacks) == 1


def test_rolled_back_action_leaves_no_email_and_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the action failed after queueing")
    assert OutboundEmail.objects.count() == 0
    assert callbacks == []


@pytest.mark.parametrize("field", ["to_email", "to_name", "subject"])
@pytest.mark.parametrize("payload", ["x\r\nBcc: victim@example.test", "x\nBcc: a@b", "x\u2028y", "x\x85y"])
def test_line_breaks_in_header_fields_are_refused(field, payload):
    values = {"key": "k", "to_email": "ana@example.test", "subject": "s", "body_text": "b", field: payload}
    with pytest.raises(InvalidInput) as refused:
        outbox_services.queue_email(**values)
    assert field in refused.value.errors
    assert OutboundEmail.objects.count() == 0


def test_send_twice_delivers_once_with_the_derived_message_id(sink):
    row = queue(to_name="Ana García")
    assert outbox_sending.send_pending([row.pk]) == {"sent": 1, "failed": 0, "retry": 0}
    assert outbox_sending.send_pending([row.pk]) == {"sent": 0, "failed": 0, "retry": 0}
    [message] = sink.messages
    assert message["Message-ID"] == message_id_for("welcome:1")
    assert message["To"] == "=?utf-8?q?Ana_Garc=C3=ADa?= <ana@example.test>"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at is not None) == (EmailState.SENT, 1, True)


def test_temporary_refusal_is_retried_until_delivered(sink):
    sink.refuse("busy@example.test", 451, times=2)
    row = queue(to="busy@example.test")
    for _ in range(3):
        OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
        outbox_sending.send_pending([row.pk])
    row.refresh_from_db()
    assert (row.state, row.attempts) == (EmailState.SENT, 3)
    assert sink.count() == 1


def test_retry_waits_for_its_backoff(sink, settings):
    settings.OUTBOX_RETRY_BACKOFF_SECONDS = 60
    sink.refuse("busy@example.test", 451, times=1)
    row = queue(to="busy@example.test")
    assert outbox_sending.send_pending([row.pk])["retry"] == 1
    assert outbox_sending.send_pending([row.pk])["sent"] == 0  # not due yet
    row.refresh_from_db()
    assert row.state == EmailState.PENDING and "451" in row.last_error


def test_permanent_refusal_fails_after_one_attempt_with_the_servers_answer(sink):
    bad = queue(key="k:bad", to="nobody@example.test")
    good = queue(key="k:good", to="ana@example.test")
    sink.refuse("nobody@example.test", 550)
    outbox_sending.send_pending([bad.pk, good.pk])
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.state, bad.attempts) == (EmailState.FAILED, 1)
    assert bad.last_error.startswith("550") and "No such mailbox" in bad.last_error
    assert good.state == EmailState.SENT


def test_gives_up_after_the_maximum_attempts(sink, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    sink.refuse("busy@example.test", 451)
    row = queue(to="busy@example.test")
    for _ in range(3):
        OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
        outbox_sending.send_pending([row.pk])
    row.refresh_from_db()
    assert (row.state, row.attempts) == (EmailState.FAILED, 2)
    assert sink.attempts["busy@example.test"] == 2


def test_unreachable_server_puts_rows_back_to_pending(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1
    row = queue()
    assert outbox_sending.send_pending([row.pk])["retry"] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (EmailState.PENDING, 1)
    assert row.last_error.startswith("connection")


def test_a_row_leased_by_a_live_sender_is_not_sent_again(sink):
    row = queue()
    claimed = outbox_sending._claim([row.pk])
    assert [r.pk for r in claimed] == [row.pk]
    assert outbox_sending.send_pending([row.pk])["sent"] == 0
    assert sink.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_slow_server_does_not_let_a_live_senders_lease_run_out(sink, settings):
    settings.OUTBOX_LEASE_SECONDS = 2
    sink.delay_seconds = 0.3
    ids = [queue(key=f"slow:{n}", to=f"slow{n}@example.test").pk for n in range(10)]

    def first_sender():
        outbox_sending.send_pending(ids)
        db_connection.close()

    sending = threading.Thread(target=first_sender)
    sending.start()
    time.sleep(2.5)  # the first lease has run out; the first sender is still going
    assert outbox_sending.send_pending(ids)["sent"] == 0
    sending.join()
    assert sink.count() == 10


def test_sweeper_finds_stale_pending_rows_and_expired_leases(settings):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    fresh = queue(key="fresh")
    stale = queue(key="stale")
    dead_lease = queue(key="dead")
    live_lease = queue(key="live")
    sent = queue(key="sent")
    OutboundEmail.objects.filter(pk=stale.pk).update(next_attempt_at=now - timedelta(minutes=5))
    OutboundEmail.objects.filter(pk=dead_lease.pk).update(state="sending", lease_until=now - timedelta(seconds=1))
    OutboundEmail.objects.filter(pk=live_lease.pk).update(state="sending", lease_until=now + timedelta(minutes=1))
    OutboundEmail.objects.filter(pk=sent.pk).update(state="sent", next_attempt_at=now - timedelta(minutes=5))
    assert outbox_selectors.stranded_email_ids(now=now) == sorted([stale.pk, dead_lease.pk])
    assert fresh.pk not in outbox_selectors.stranded_email_ids(now=now)
    # Behind a queue of tasks a pending row is waiting its turn: only the dead worker's rows go again.
    assert outbox_selectors.stranded_email_ids(now=now, broker_idle=False) == [dead_lease.pk]


@pytest.mark.redis
def test_the_sweeper_reads_how_many_tasks_wait_in_the_broker(settings):
    from config.celery import app

    queue_name = f"sweeper-test-{time.monotonic_ns()}"
    app.conf.task_default_queue, default = queue_name, app.conf.task_default_queue
    try:
        assert outbox_selectors.tasks_waiting_in_broker() == 0  # a queue no one declared: nothing waits
        for n in range(3):
            outbox_sending.send_emails_task.apply_async([[n]], queue=queue_name)
        assert outbox_selectors.tasks_waiting_in_broker() == 3
    finally:
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue_name)
        app.conf.task_default_queue = default


def test_email_sent_signal_fires_once_per_delivered_key(sink):
    keys = []

    def record(sender, key, **kwargs):
        keys.append(key)

    outbox_sending.email_sent.connect(record)
    try:
        row = queue(key="ack:7")
        outbox_sending.send_pending([row.pk])
        outbox_sending.send_pending([row.pk])
    finally:
        outbox_sending.email_sent.disconnect(record)
    assert keys == ["ack:7"]


def test_rate_limit_spreads_sending_over_seconds(sink, settings):
    import time

    from django.core.cache import cache

    cache.clear()
    settings.OUTBOX_RATE_PER_SECOND = 5
    rows = [queue(key=f"rate:{n}", to=f"r{n}@example.test") for n in range(11)]
    started = time.monotonic()
    outbox_sending.send_pending([r.pk for r in rows])
    assert sink.count() == 11
    assert time.monotonic() - started >= 1.0  # 11 messages at 5 a second cross at least two second boundaries


def test_bulk_rows_are_written_once_each_with_the_derived_message_id():
    customers = CustomerFactory.create_batch(3)
    written, _, rows = write_bulk(customers)
    assert written == len(rows) == 3
    assert write_bulk(customers)[0] == 0  # the same keys again: nothing new
    assert OutboundEmail.objects.count() == 3
    for row in rows:
        assert row.key == f"{KEY_PREFIX}{row.customer.pk}"
        assert row.message_id == message_id_for(row.key)
        assert (row.to_email, row.to_name, row.batch) == (row.customer.email, row.customer.full_name, BATCH)


def test_each_copy_of_a_bulk_email_is_personal_when_sent(sink):
    formal = CustomerFactory(full_name="Ngozi Okafor", title="Dr", formal_name="Okafor")
    other = CustomerFactory(full_name="Sam Lee")
    _, _, rows = write_bulk([formal, other])
    assert outbox_sending.send_pending([row.pk for row in rows])["sent"] == 2
    by_recipient = {m["To"]: m for m in sink.messages}
    message = by_recipient[f"Ngozi Okafor <{formal.email}>"]
    assert message.get_payload(decode=True).decode().startswith("Dear Dr Okafor,\r\n")
    token = notices_token(message)
    assert customer_selectors.customer_from_notices_token(token) == formal
    assert f"/notices/{token}/" in message.get_payload(decode=True).decode()
    assert other.email not in message.as_string()
    assert by_recipient[f"Sam Lee <{other.email}>"]["Message-ID"] == message_id_for(f"{KEY_PREFIX}{other.pk}")


def test_a_bulk_copy_for_a_deleted_customer_fails_with_the_reason(sink):
    customer = CustomerFactory()
    _, _, [row] = write_bulk([customer])
    customer.delete()
    assert outbox_sending.send_pending([row.pk])["failed"] == 1
    row.refresh_from_db()
    assert row.state == EmailState.FAILED and "deleted" in row.last_error
    assert sink.count() == 0


# Display names real people have, that break "name <address>" pasted together.
HOSTILE_NAMES = [
    "Doe, Jane",
    "Saunders, John",
    'George "Bob" King',
    "O'Brien <the boss>",
    "jane@example.org",
    "Ana: Sales",
    "Smith; Jones",
    "Back\\slash",
    "Ngozi (Nneka) Okafor",
    "山本　英樹",
    "Žofie Nováková, Ing.",
    "محمد, عبد الله",
    "A" * 120 + ", " + "é" * 70,
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_any_display_name_is_delivered_to_that_one_address_and_read_back_as_written(sink, name):
    row = queue(key=f"k:{name}", to="jane.doe@example.test", to_name=name)
    assert outbox_sending.send_pending([row.pk]) == {"sent": 1, "failed": 0, "retry": 0}
    [raw] = sink.raw
    message = email.message_from_bytes(raw, policy=email.policy.default)
    [address] = message["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "jane.doe@example.test")


def test_a_row_that_cannot_be_built_fails_with_the_reason_and_the_rest_of_the_batch_is_sent(sink):
    good = queue(key="good:1", to="good@example.test")
    # Written past queue_email's checks (an old row, a bug elsewhere): a name Django refuses to put in a header.
    bad = OutboundEmail.objects.create(
        key="bad:1",
        to_email="ana@example.test",
        to_name="Ana\nBcc: evil@example.test",
        subject="s",
        body_text="b",
        message_id=message_id_for("bad:1"),
    )
    after = queue(key="good:2", to="after@example.test")
    assert outbox_sending.send_pending([bad.pk, good.pk, after.pk]) == {"sent": 2, "failed": 1, "retry": 0}
    bad.refresh_from_db()
    assert bad.state == EmailState.FAILED and "could not be built" in bad.last_error
    assert sorted(m["To"] for m in sink.messages) == ["after@example.test", "good@example.test"]


def test_a_bulk_email_to_customers_with_hostile_names_reaches_every_one_of_them_correctly_quoted(sink):
    customers = [CustomerFactory(full_name=name) for name in HOSTILE_NAMES]
    _, _, rows = write_bulk(customers)
    assert outbox_sending.send_pending([row.pk for row in rows]) == {"sent": len(customers), "failed": 0, "retry": 0}
    delivered = {}
    for raw in sink.raw:
        [address] = email.message_from_bytes(raw, policy=email.policy.default)["To"].addresses
        delivered[address.addr_spec] = address.display_name
    assert delivered == {c.email: c.full_name for c in customers}


def test_bulk_message_ids_computed_by_the_database_are_the_keyed_ones(settings):
    customer = CustomerFactory()
    _, _, [row] = write_bulk([customer])
    assert row.message_id == message_id_for(row.key)
    # Keyed with the secret: nobody who knows only the key can compute it.
    unkeyed = f"<{hashlib.sha256(row.key.encode()).hexdigest()[:32]}@gemdesk>"
    assert row.message_id != unkeyed
    settings.SECRET_KEY = "another-secret-" + "x" * 50
    assert message_id_for(row.key) != row.message_id
