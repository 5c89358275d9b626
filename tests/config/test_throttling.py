"""The public limits hold when requests arrive together, and Retry-After tells the truth."""

import threading
import time
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory
from rest_framework.test import APIClient

from complaints.intake.throttling import PublicComplaintThrottle
from config.throttling import AtomicRateThrottle

LIMIT = 10  # THROTTLE_PUBLIC_COMPLAINT's default: 10 an hour
HOUR = 3600


COMPLAINTS = "/api/v1/public/complaints/"


def _complaint_from(address: str):
    return RequestFactory().post(COMPLAINTS, REMOTE_ADDR=address)


class SlowLocalMemory(LocMemCache):
    """The local-memory cache with a pause between reading and writing, as a busy process has: under the
    GIL, requests sent together rarely meet between the two steps otherwise, lock or no lock."""

    def get(self, *args, **kwargs):
        value = super().get(*args, **kwargs)
        time.sleep(0.002)
        return value


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), "local memory"])
def throttle_cache(request, monkeypatch):
    """Each rule holds with Redis (production) and with the local-memory cache (development)."""
    if request.param == "local memory":
        # Local-memory caches of one name share their store: a name of its own for each test.
        monkeypatch.setattr(PublicComplaintThrottle, "cache", SlowLocalMemory(uuid.uuid4().hex, {}))
    else:
        assert isinstance(caches["default"], RedisCache)


def test_forty_complaints_at_once_from_one_address_let_exactly_ten_through(throttle_cache):
    request = _complaint_from("10.7.7.7")
    throttles = [PublicComplaintThrottle() for _ in range(40)]
    start = threading.Barrier(len(throttles))
    allowed: list[bool] = []

    def send(throttle: AtomicRateThrottle) -> None:
        start.wait()
        allowed.append(throttle.allow_request(request, None))

    threads = [threading.Thread(target=send, args=(throttle,)) for throttle in throttles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == LIMIT


@pytest.fixture
def clock(monkeypatch, throttle_cache):
    """The throttle's time, moved by the test."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(AtomicRateThrottle, "timer", staticmethod(lambda: now[0]))
    return now


def _allowed(address: str = "10.8.8.8") -> tuple[bool, int]:
    throttle = PublicComplaintThrottle()
    allowed = throttle.allow_request(_complaint_from(address), None)
    return allowed, (0 if allowed else throttle.wait())


def test_a_client_that_waits_as_long_as_retry_after_says_gets_in_and_not_a_second_sooner(clock):
    for _ in range(5):
        assert _allowed() == (True, 0)
    clock[0] += 1800
    for _ in range(5):
        assert _allowed() == (True, 0)
    clock[0] += 600
    refused, wait = _allowed()
    assert (refused, wait) == (False, 1200)  # when the first five are an hour old
    clock[0] += wait - 1
    assert not _allowed()[0]
    clock[0] += 1
    for _ in range(5):
        assert _allowed()[0]
    assert _allowed() == (False, 1800)  # now the second five must age


def test_refused_requests_do_not_count_so_hammering_does_not_lengthen_the_wait(clock):
    for _ in range(LIMIT):
        _allowed()
    _, first_wait = _allowed()
    for _ in range(100):
        clock[0] += 1
        assert not _allowed()[0]
    clock[0] += first_wait - 100
    assert _allowed()[0]


def test_ten_at_the_end_of_one_clock_hour_leave_no_room_at_the_start_of_the_next(clock):
    clock[0] += 3600 - clock[0] % 3600 - 5  # five seconds before the hour
    for _ in range(LIMIT):
        assert _allowed()[0]
    clock[0] += 10
    assert not _allowed()[0]
    clock[0] += HOUR
    assert _allowed()[0]


def test_each_address_has_its_own_count(clock):
    for _ in range(LIMIT):
        _allowed("10.8.8.8")
    assert not _allowed("10.8.8.8")[0]
    assert _allowed("10.8.8.9")[0]


@pytest.mark.django_db
def test_the_api_answers_retry_after_when_the_oldest_complaint_leaves_the_hour(clock):
    api = APIClient()
    body = {"name": "Ceri Jones", "email": "ceri@example.test", "description": "No signal in the evening."}
    for n in range(LIMIT):
        clock[0] += 1800 if n == 5 else 0
        assert api.post(COMPLAINTS, body, format="json", REMOTE_ADDR="10.6.6.6").status_code == 201
    clock[0] += 600
    refused = api.post(COMPLAINTS, body, format="json", REMOTE_ADDR="10.6.6.6")
    assert refused.status_code == 429 and refused["Retry-After"] == "1200"
