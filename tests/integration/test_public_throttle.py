"""RELIABILITY.md 16: the public complaint limit holds across gunicorn's workers when the requests come at once.

gunicorn with 4 sync workers on the test database and the test's Redis (the cache every worker shares),
the limit at its default of 10 an hour. 40 complaints from one address are sent together.

Pass: exactly 10 are answered 201 and 30 are answered 429 with Retry-After, and 10 cases exist.
"""

import http.client
import json
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings

from complaints.models import Case
from tests.integration.conftest import database_url, gunicorn_serving, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

WORKERS = 4
SENT = 40
LIMIT = 10  # THROTTLE_PUBLIC_COMPLAINT's default


@pytest.fixture
def gunicorn(shared_redis_url, tmp_path):
    env = {
        "PATH": str(Path(sys.executable).parent),
        "DATABASE_URL": database_url(),
        "REDIS_URL": shared_redis_url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }
    with gunicorn_serving(env, workers=WORKERS, log_path=tmp_path / "gunicorn.log") as server:
        wait_until(server.healthy, timeout=30, what="gunicorn to answer /healthz")
        wait_until(lambda: server.booted_workers() == WORKERS, timeout=30, what=f"{WORKERS} gunicorn workers")
        yield server.port


def test_forty_complaints_sent_at_once_from_one_address_let_exactly_ten_through(gunicorn):
    start = threading.Barrier(SENT)
    answers: list[tuple[int, str | None]] = []

    def complain(number: int) -> None:
        body = json.dumps(
            {"name": "Ceri Jones", "email": f"flood{number}@example.test", "description": "My broadband drops."}
        )
        connection = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=30)
        start.wait()
        connection.request("POST", "/api/v1/public/complaints/", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Retry-After")))

    threads = [threading.Thread(target=complain, args=(number,)) for number in range(SENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * LIMIT + [429] * (SENT - LIMIT)
    # The limit is 10 an hour: the first of the ten leaves the window within the hour.
    assert all(0 < int(wait) <= 3600 for status, wait in answers if status == 429)
    assert Case.objects.count() == LIMIT
