"""Shared fixtures: one persona per role (healthchecks' hc/test.py style) and API clients.

alice and bob are agents on the same team, led by lena; charlie is an agent on another team;
mona is a manager and erin an executive.
"""

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from config.celery import app as celery_app
from tests import dovecot
from tests.browser import chromium
from tests.crm.factories import StaffFactory
from tests.smtp_sink import Sink

# Tests never lean on eager tasks (which run at once, hiding on-commit ordering): tasks go to the
# broker (Redis, or Celery's in-memory transport without it) and integration tests run real workers.
celery_app.conf.task_always_eager = False

NEEDS_POSTGRES = not settings.USING_POSTGRES
NEEDS_REDIS = not settings.REDIS_URL
NEEDS_DOVECOT = not dovecot.available()
NEEDS_CHROMIUM = chromium.executable() is None
_skipped_for_services: list[str] = []
SKIPPED_FOR = "needs the service"


def pytest_collection_modifyitems(config, items):
    for item in items:
        reasons = []
        if NEEDS_POSTGRES and item.get_closest_marker("postgres"):
            reasons.append("PostgreSQL")
        if NEEDS_REDIS and (item.get_closest_marker("redis") or item.get_closest_marker("integration")):
            reasons.append("Redis")
        if NEEDS_POSTGRES and item.get_closest_marker("integration"):
            reasons.append("PostgreSQL")
        if NEEDS_DOVECOT and item.get_closest_marker("dovecot"):
            reasons.append("Dovecot (apt install dovecot-imapd)")
        if NEEDS_CHROMIUM and item.get_closest_marker("browser"):
            reasons.append("Chromium (apt install chromium)")
        if reasons:
            item.add_marker(pytest.mark.skip(reason=f"{SKIPPED_FOR} {' and '.join(sorted(set(reasons)))}"))


def pytest_runtest_logreport(report):
    """Counted from the reports, which reach the main process under pytest-xdist too."""
    if report.when == "setup" and report.skipped and f"Skipped: {SKIPPED_FOR} " in str(report.longrepr):
        _skipped_for_services.append(report.nodeid)


def pytest_unconfigure(config):
    """After pytest's own summary, so it is the last line a reader sees."""
    if _skipped_for_services:
        print(
            f"\n\033[1;31m!!! {len(_skipped_for_services)} TESTS SKIPPED: "
            "PostgreSQL, Redis, Dovecot or Chromium not there "
            f"(database: {settings.DATABASES['default']['ENGINE']}, "
            f"REDIS_URL {'set' if settings.REDIS_URL else 'unset'}). "
            "Start them and run `make test` again for the full suite.\033[0m"
        )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle counters and cached sessions live in the cache (Redis): every test starts without them."""
    cache.clear()


@pytest.fixture
def lena(db):
    return StaffFactory(username="lena", role="lead", team_name="Team North", leads_team=True)


@pytest.fixture
def alice(db, lena):
    return StaffFactory(username="alice", role="agent", team_name="Team North")


@pytest.fixture
def bob(db, lena):
    return StaffFactory(username="bob", role="agent", team_name="Team North")


@pytest.fixture
def charlie(db):
    return StaffFactory(username="charlie", role="agent", team_name="Team South")


@pytest.fixture
def mona(db):
    return StaffFactory(username="mona", role="manager", team_name="Management")


@pytest.fixture
def erin(db):
    return StaffFactory(username="erin", role="executive", team_name="Board")


@pytest.fixture
def api():
    """An anonymous API client; call .force_authenticate(user) or use api_as."""
    return APIClient()


@pytest.fixture
def as_user():
    """as_user(alice) -> a page Client logged in as alice (a fresh client per call, so personas never share one)."""

    def login(user):
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def api_as():
    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def sink(settings):
    """A real SMTP server on 127.0.0.1 that Django sends to (no retry backoff, so retries can be driven)."""
    server = Sink().start()
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    settings.OUTBOX_RETRY_BACKOFF_SECONDS = 0
    yield server
    server.stop()
