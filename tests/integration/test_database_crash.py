"""RELIABILITY.md 24: PostgreSQL's postmaster killed with SIGKILL during a burst of public complaints, then
started again (crash recovery), with gunicorn and the Celery worker left running throughout.

A cluster of the test's own (tests/postgres_cluster.py) serves gunicorn (2 sync workers) and one Celery
worker, both with the production connection settings (CONN_MAX_AGE=60, CONN_HEALTH_CHECKS). Complaints
go in at RATE a second for BURST_SECONDS, each from its own address; the postmaster is killed
KILL_AFTER seconds in and started again DOWN_SECONDS later.

Pass: every 201 has its case (the returned reference, the address that was sent) and its
acknowledgement outbox row, and the sink receives that acknowledgement; while PostgreSQL is down
/healthz answers 503 and complaints get a 5xx in the JSON error shape (or a refused connection), never
a 201; within RECOVERY_LIMIT seconds of PostgreSQL being back complaints are answered 201 again and
nothing fails after that. A second crash with nothing in flight leaves gunicorn's workers holding dead
persistent connections: the first complaints after it are answered 201 all the same. Throughout, gunicorn's
master and its two workers and the Celery worker are the processes started before the first crash.

Figures: about 400 complaints, about 100 of them during the outage; 35-50 s on 2 cores, of which 20 s
are the burst and about 11 s creating and migrating the cluster.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import getaddresses

import pytest
from django.conf import settings

from tests import postgres_cluster
from tests.integration.conftest import CUSTOMER_ADDRESS, ROOT, gunicorn_serving, wait_until
from tests.postgres_cluster import PostgresCluster

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.postgres]

RATE = 20  # complaints a second: what 2 gunicorn workers answer promptly on 2 cores
BURST_SECONDS = 20
KILL_AFTER = 5
DOWN_SECONDS = 5
RECOVERY_LIMIT = 30
ACKNOWLEDGEMENT_LIMIT = 30  # seconds after the burst for the last acknowledgement to reach the sink
API = "/api/v1/public/complaints/"


def app_env(cluster: PostgresCluster, redis_url: str) -> dict:
    """For manage.py and gunicorn: the cluster, the test's Redis, production's connection settings."""
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "REDIS_URL": redis_url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_CONN_MAX_AGE": "60",  # production's: persistent connections must survive the crash
    }
    env.pop("DJANGO_TEST_DATABASE_NAME", None)
    return env


@pytest.fixture
def cluster():
    if not postgres_cluster.available():
        pytest.skip(f"PostgreSQL 15 binaries (initdb, postgres) not found in {postgres_cluster.BIN}")
    cluster = PostgresCluster()
    try:
        cluster.create()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def gunicorn(cluster, own_redis, tmp_path):
    """gunicorn on the cluster, migrated first; its log at info level records every worker it boots."""
    env = app_env(cluster, own_redis.url)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    # The burst comes from one address: lift the public complaint throttle here only.
    env["THROTTLE_PUBLIC_COMPLAINT"] = "1000000/min"
    with gunicorn_serving(env, workers=2, log_path=tmp_path / "gunicorn.log") as server:
        yield server


@dataclass
class Answer:
    email: str
    sent_at: float
    answered_at: float
    status: int | None  # None: no HTTP answer (the connection failed)
    body: dict | str


def complain(port: int, number: int) -> Answer:
    email = f"crash{number}@example.test"
    body = json.dumps({"name": "Ceri Jones", "email": email, "description": "My broadband keeps dropping."})
    sent_at = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", API, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        status, text = response.status, response.read().decode()
        try:
            answer: dict | str = json.loads(text)
        except ValueError:
            answer = text
        return Answer(email, sent_at, time.monotonic(), status, answer)
    except OSError as error:
        return Answer(email, sent_at, time.monotonic(), None, repr(error))
    finally:
        connection.close()


class Burst:
    """RATE complaints a second on a fixed schedule however slowly they are answered (an open loop, as
    customers are), from a thread of its own until stopped."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.answers: list[Answer] = []
        self.started = 0.0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def start(self) -> None:
        self.started = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        """Stop sending and wait for the last answers."""
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        with ThreadPoolExecutor(max_workers=16) as pool:
            number = 0
            while not self._stopping.is_set():
                pool.submit(lambda n: self.answers.append(complain(self.port, n)), number)
                number += 1
                time.sleep(max(0.0, self.started + number / RATE - time.monotonic()))


def stored_cases(cluster: PostgresCluster) -> list[tuple[str, str, str | None]]:
    """(reference, the customer's address, the state of its acknowledgement row or None) of every case."""
    with cluster.connect() as connection, connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.reference, customer.email, ack.state FROM complaints_case c
               JOIN crm_customer customer ON customer.id = c.customer_id
               LEFT JOIN crm_outboundemail ack ON ack.key = 'case:' || c.id || ':acknowledgement'"""
        )
        rows = cursor.fetchall()
    connection.close()
    return rows


def acknowledged_addresses(sink) -> dict[str, set[str]]:
    """address -> the Message-IDs it received (a repeat after the crash reuses its Message-ID)."""
    received: dict[str, set[str]] = {}
    for message in sink.messages:
        for _, address in getaddresses([message["To"]]):
            received.setdefault(address, set()).add(message["Message-ID"])
    return received


def test_postgres_killed_mid_burst_loses_no_accepted_complaint_and_the_app_recovers_by_itself(
    cluster, gunicorn, own_redis, sink, start_worker
):
    worker = start_worker(
        redis_url=own_redis.url,
        sink=sink,
        concurrency=2,
        extra_env={"DATABASE_URL": cluster.url, "DJANGO_CONN_MAX_AGE": "60"},
    )
    wait_until(gunicorn.healthy, timeout=30, what="gunicorn to answer /healthz")

    burst = Burst(gunicorn.port)
    burst.start()
    time.sleep(KILL_AFTER)
    cluster.kill()
    down_at = time.monotonic()
    health_while_down = []
    while time.monotonic() < down_at + DOWN_SECONDS:
        health_while_down.append(gunicorn.get("/healthz"))
        time.sleep(0.25)
    restart_at = time.monotonic()
    cluster.start()
    back_at = time.monotonic()
    wait_until(
        lambda: any(a.status == 201 and a.sent_at >= back_at for a in burst.answers),
        timeout=RECOVERY_LIMIT,
        what="a complaint answered 201 after PostgreSQL came back",
    )
    time.sleep(max(0.0, burst.started + BURST_SECONDS - time.monotonic()))
    burst.stop()
    burst_ended = time.monotonic()

    answers = burst.answers
    created = [a for a in answers if a.status == 201]
    during_outage = [a for a in answers if a.sent_at >= down_at and a.answered_at <= restart_at]
    recovered = min((a for a in created if a.sent_at >= back_at), key=lambda a: a.sent_at)
    stored = stored_cases(cluster)
    address_of = {reference: address for reference, address, _ in stored}
    acknowledgement_of = {reference: state for reference, _, state in stored}
    print(
        f"\n{len(answers)} complaints in {burst_ended - burst.started:.1f} s: {len(created)} answered 201, "
        f"{len(during_outage)} sent during the {back_at - down_at:.1f} s outage "
        f"(statuses {sorted({a.status for a in during_outage}, key=str)}; /healthz asked "
        f"{len(health_while_down)} times), 201 again {recovered.answered_at - back_at:.2f} s after PostgreSQL "
        f"was back; {len(stored)} cases stored"
    )

    # The crash was real: a postmaster killed mid-burst, crash recovery on the restart, an outage seen.
    assert cluster.recovered_from_crash()
    assert len(during_outage) >= RATE * (DOWN_SECONDS - 1)  # the burst went on through it
    # Every 201 is durable: its case, for the address that was sent, with its acknowledgement queued.
    missing = [a.body for a in created if address_of.get(a.body["reference"]) != a.email]
    assert not missing, f"{len(missing)} complaints answered 201 but not stored, e.g. {missing[:3]}"
    unqueued = [a.body["reference"] for a in created if acknowledgement_of[a.body["reference"]] is None]
    assert not unqueued, f"{len(unqueued)} cases without an acknowledgement row, e.g. {unqueued[:3]}"
    # While the database is down: /healthz says so at once, and complaints fail loudly in the API's shape.
    assert health_while_down and all(
        status == 503 and body["checks"]["database"] == "unavailable" for status, body in health_while_down
    ), health_while_down
    not_refused = [
        (a.status, a.body)
        for a in during_outage
        if a.status is not None and not (a.status >= 500 and set(a.body) == {"detail", "errors"})
    ]
    assert not not_refused, f"answers while PostgreSQL was down: {not_refused[:5]}"
    # Recovered by itself (within RECOVERY_LIMIT: the wait above) and for good, by the same processes.
    failed_after_recovery = [(a.status, a.body) for a in answers if a.sent_at >= recovered.sent_at and a.status != 201]
    assert not failed_after_recovery, failed_after_recovery[:5]
    # Every acknowledgement is sent, once: a repeat (sent, then the crash before it was marked sent)
    # would carry the same Message-ID.
    wait_until(
        lambda: {a.email for a in created} <= acknowledged_addresses(sink).keys(),
        timeout=ACKNOWLEDGEMENT_LIMIT,
        interval=1,
        what="an acknowledgement in the sink for every complaint answered 201",
    )
    print(f"acknowledgements of every 201 in the sink {time.monotonic() - burst_ended:.1f} s after the burst")
    received = acknowledged_addresses(sink)
    repeated = {a.email: received[a.email] for a in created if len(received[a.email]) > 1}
    assert not repeated, f"acknowledgements sent more than once with different Message-IDs: {repeated}"

    # Once more with nothing in flight: gunicorn's workers keep their connections (CONN_MAX_AGE) across
    # this crash and must check them before use (CONN_HEALTH_CHECKS), else the next requests fail.
    cluster.kill()
    cluster.start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        after_idle_crash = list(pool.map(lambda n: complain(gunicorn.port, n), range(10_000, 10_008)))
    assert all(a.status == 201 for a in after_idle_crash), [(a.status, a.body) for a in after_idle_crash]
    # All of it recovered by the processes that were running before the first crash.
    assert gunicorn.get("/healthz")[0] == 200
    assert gunicorn.process.poll() is None and worker.process.poll() is None
    assert gunicorn.booted_workers() == 2, gunicorn.log()[-3000:]
    # The outage's errors are logged without the customers' addresses (RELIABILITY.md 22).
    assert not CUSTOMER_ADDRESS.search(gunicorn.log())
