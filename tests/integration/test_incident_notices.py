"""Incident notices through real workers and a real SMTP server: every affected customer gets
each update exactly once, addressed to them alone, in order, whatever fails on the way."""

import email
import email.policy
import time
from collections import Counter

import pytest
from django.utils import timezone

from complaints.emails import incident_update_batch
from complaints.incidents import services as incident_services
from crm.models import Customer, EmailState, OutboundEmail, Subscription
from tests.complaints.incidents.factories import subscribers
from tests.crm.factories import ServiceFactory, StaffFactory
from tests.integration.conftest import wait_until
from tests.integration.outbox_helpers import REPEAT_BOUND, queued_tasks

pytestmark = [pytest.mark.integration, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setup():
    lead = StaffFactory(username="lena", role="lead")
    broadband = ServiceFactory(slug="broadband", name="Broadband")
    incident = incident_services.incident_declare(by=lead, title="Broadband outage", services=[broadband])
    return lead, broadband, incident


def publish(incident, lead, subject="Broadband outage", body="Engineers are on site."):
    return incident_services.incident_publish_update(incident=incident, by=lead, subject=subject, body=body)


def settled(update) -> bool:
    update.refresh_from_db()
    return (
        update.fanned_out_at is not None
        and not OutboundEmail.objects.filter(
            batch=incident_update_batch(update), state__in=[EmailState.PENDING, EmailState.SENDING]
        ).exists()
    )


def progress(update, broker_url: str) -> str:
    """Where an update's delivery stands, for a test that timed out waiting for it: the fan-out, its rows by
    state (and how many leases ran out), and the tasks the broker holds."""
    update.refresh_from_db()
    rows = OutboundEmail.objects.filter(batch=incident_update_batch(update))
    by_state = Counter(rows.values_list("state", flat=True))
    expired = rows.filter(state=EmailState.SENDING, lease_until__lt=timezone.now()).count()
    tasks = queued_tasks(broker_url, {"crm.tasks.send_emails", "crm.tasks.sweep_outbox"})
    return (
        f"fanned out: {update.fanned_out_at is not None}; rows {dict(by_state)}, {expired} leases run out; "
        f"{tasks} send or sweep tasks in the broker"
    )


def test_five_thousand_customers_get_exactly_one_message_each(sink, shared_redis_url, start_worker, setup):
    lead, broadband, incident = setup
    customers = subscribers(5000, service=broadband)
    subscribers(50, service=ServiceFactory(slug="tv", name="TV"), prefix="unaffected")
    start_worker(redis_url=shared_redis_url, sink=sink)
    started = time.monotonic()
    update = publish(incident, lead)
    assert time.monotonic() - started < 0.2  # publishing hands the work to Celery
    wait_until(lambda: settled(update), timeout=150, what="5,000 notices")
    assert publish(incident, lead).pk == update.pk  # a double click publishes nothing new
    time.sleep(3)
    messages = sink.messages
    assert len(messages) == 5000
    assert sorted(m["To"] for m in messages) == sorted(f"{c.full_name} <{c.email}>" for c in customers)
    assert all(m["Cc"] is None and m["Bcc"] is None for m in messages)
    assert len({m["Message-ID"] for m in messages}) == 5000
    assert not any("unaffected" in m["To"] for m in messages)


def test_temporary_and_permanent_refusals(sink, shared_redis_url, start_worker, setup):
    lead, broadband, incident = setup
    customers = subscribers(300, service=broadband)
    for customer in customers[::10]:
        sink.refuse(customer.email, 451, times=1)
    sink.refuse(customers[1].email, 550)
    start_worker(redis_url=shared_redis_url, sink=sink)
    update = publish(incident, lead)
    wait_until(lambda: settled(update), timeout=90, what="all notices settled")
    assert sink.count() == 299 and len(set(sink.message_ids())) == 299
    failed = OutboundEmail.objects.get(batch=incident_update_batch(update), state=EmailState.FAILED)
    assert failed.to_email == customers[1].email and failed.last_error.startswith("550")


def test_a_second_update_while_the_first_is_sending_arrives_after_it(sink, shared_redis_url, start_worker, setup):
    lead, broadband, incident = setup
    subscribers(1000, service=broadband)
    start_worker(redis_url=shared_redis_url, sink=sink)
    first = publish(incident, lead, subject="First update")
    wait_until(lambda: sink.count() >= 100, timeout=60, what="the first update to start going out")
    second = publish(incident, lead, subject="Second update", body="Half repaired.")
    wait_until(lambda: settled(first) and settled(second), timeout=150, what="both updates")
    time.sleep(2)
    messages = sink.messages
    assert Counter(m["Subject"] for m in messages) == {"First update": 1000, "Second update": 1000}
    order: dict[str, list[str]] = {}
    for message in messages:  # the sink keeps arrival order
        order.setdefault(message["To"], []).append(message["Subject"])
    assert all(subjects == ["First update", "Second update"] for subjects in order.values())


def test_worker_killed_mid_send_every_customer_still_gets_it_once(sink, own_redis, start_worker, setup):
    lead, broadband, incident = setup
    subscribers(2000, service=broadband)
    worker = start_worker(redis_url=own_redis.url, sink=sink)
    update = publish(incident, lead)
    wait_until(lambda: sink.count() >= 500, timeout=60, what="500 notices before the kill")
    worker.kill()
    assert sink.count() < 2000
    start_worker(redis_url=own_redis.url, sink=sink)
    wait_until(
        lambda: settled(update),
        timeout=150,
        what="every notice after the restart",
        state=lambda: progress(update, own_redis.url),
    )
    time.sleep(2)
    ids = sink.message_ids()
    assert len(set(ids)) == 2000
    # Only messages accepted and not yet marked sent at the kill repeat, with the same Message-ID.
    assert len(ids) - 2000 <= REPEAT_BOUND


def test_redis_restarted_mid_send_completes_by_the_sweeper(sink, own_redis, start_worker, setup):
    lead, broadband, incident = setup
    subscribers(1000, service=broadband)
    start_worker(redis_url=own_redis.url, sink=sink)
    update = publish(incident, lead)
    wait_until(lambda: sink.count() >= 200, timeout=60, what="200 notices before the restart")
    own_redis.stop()
    time.sleep(1)
    own_redis.start()
    back = time.monotonic()
    wait_until(
        lambda: settled(update),
        timeout=180,
        what="every notice after Redis returned",
        state=lambda: progress(update, own_redis.url),
    )
    assert time.monotonic() - back < 180
    time.sleep(2)
    ids = sink.message_ids()
    assert len(set(ids)) == 1000 and len(ids) - 1000 <= REPEAT_BOUND


def test_hostile_names_are_delivered_quoted_and_one_unsendable_row_holds_back_no_one(
    sink, shared_redis_url, start_worker, setup
):
    """Customers' names from real input: commas, quotes, angle brackets, '@', ':' and ';' in the display
    name. Each gets their notice, quoted; one row that cannot become an email at all (a line break in a
    name written past the checks) fails alone, with its reason, and the next update still goes out."""
    lead, broadband, incident = setup
    names = ["Doe, Jane", 'George "Bob" King', "O'Brien <boss>", "a@b.example", "Ana: Sales", "Smith; Jones"]
    customers = Customer.objects.bulk_create(
        Customer(full_name=name, email=f"hostile{n}@example.test") for n, name in enumerate(names)
    )
    # Written past the checks: a line break in a name, an address no mail system reads. The second makes
    # Django's error (and so the worker's logged traceback) quote the address: the canary must be masked.
    unsendable = [
        Customer.objects.create(full_name="Eve\nBcc: x@evil.test", email="eve@example.test"),
        Customer.objects.create(full_name="Mallory", email="mallory.canary@example.test>"),
    ]
    plain = subscribers(200, service=broadband)
    Subscription.objects.bulk_create(
        Subscription(customer=c, service=broadband, region="north") for c in [*customers, *unsendable]
    )
    start_worker(redis_url=shared_redis_url, sink=sink)
    first = publish(incident, lead, subject="First update")
    wait_until(lambda: settled(first), timeout=90, what="the first update")
    second = publish(incident, lead, subject="Second update", body="Repaired.")
    wait_until(lambda: settled(second), timeout=90, what="the second update, not held back")
    time.sleep(2)

    delivered = Counter()
    for raw in sink.raw:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        [address] = message["To"].addresses
        delivered[(address.addr_spec, address.display_name, message["Subject"])] += 1
    expected = {(c.email, c.full_name) for c in [*customers, *plain]}
    for subject in ("First update", "Second update"):
        assert {(a, n) for a, n, s in delivered if s == subject} == expected
    assert set(delivered.values()) == {1}
    failed = OutboundEmail.objects.filter(customer__in=unsendable)
    assert [row.state for row in failed] == [EmailState.FAILED] * 4
    assert all("could not be built" in row.last_error for row in failed)
    # The worker logged each failure with its traceback; start_worker's canary check then fails the test
    # if "mallory.canary@example.test", quoted in the traceback, reached the log unmasked.
