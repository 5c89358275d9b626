"""Loaded before Django's settings (pytest `-p`, see pyproject.toml): under pytest-xdist (`make test-fast`
runs on both cores), each worker gets a Redis database of its own, next after the one tests use, because
every test empties the cache (throttle counters, sessions) and must not empty another worker's. The test
database gets its own suffix from pytest-django. Without xdist this does nothing."""

import os

worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … set by xdist before this runs
redis_url = os.environ.get("REDIS_URL", "")
os.environ.setdefault("REDIS_URL_OF_THE_RUN", redis_url)  # what the run was given (tests/config checks)


def redis_url_of_worker(url: str, worker: str) -> str:
    """redis://host:6379/9 for the run is …/10 for worker gw0, …/11 for gw1, and so on."""
    base, _, database = url.rpartition("/")
    return f"{base}/{int(database or 0) + 1 + int(worker[2:])}"


if worker.startswith("gw") and redis_url:
    os.environ["REDIS_URL"] = redis_url_of_worker(os.environ["REDIS_URL_OF_THE_RUN"], worker)
