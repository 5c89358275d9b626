"""make test-fast runs on both cores: each xdist worker must have a Redis database and a test database of
its own, since every test empties the cache and the database (a shared one made tests fail at random)."""

import os

import pytest
from django.conf import settings
from django.db import connection

from tests.xdist_worker import redis_url_of_worker


@pytest.mark.django_db
def test_each_worker_has_its_own_redis_and_test_database():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    given = os.environ["REDIS_URL_OF_THE_RUN"]
    expected = redis_url_of_worker(given, worker) if worker and given else given
    redis_url = settings.REDIS_URL
    assert redis_url == expected
    if worker and connection.vendor == "postgresql":
        assert connection.settings_dict["NAME"].endswith(f"_{worker}")


def test_worker_databases_follow_the_runs_own():
    assert redis_url_of_worker("redis://127.0.0.1:6379/9", "gw0") == "redis://127.0.0.1:6379/10"
    assert redis_url_of_worker("redis://127.0.0.1:6379/9", "gw1") == "redis://127.0.0.1:6379/11"
