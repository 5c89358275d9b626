"""RELIABILITY.md 7, the configuration half: Redis hands an unacknowledged task to another worker after
the visibility timeout, so everything that can keep a task or its retry waiting stays below it, and the
three places Celery reads it agree. (The behaviour half: tests/integration/test_outbox_faults.py.)"""

import secrets

from django.conf import settings

from config.celery import app
from tests.config.test_security_settings import manage


def test_retries_and_the_hard_time_limit_stay_below_one_visibility_timeout():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility == app.conf.result_backend_transport_options["visibility_timeout"]
    assert visibility == settings.CELERY_VISIBILITY_TIMEOUT == 3600
    assert settings.OUTBOX_RETRY_BACKOFF_MAX_SECONDS == 600 < visibility
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit == 300 < visibility


def test_a_visibility_timeout_below_the_retry_backoff_is_refused_at_startup():
    result = manage("check", DJANGO_SECRET_KEY=secrets.token_urlsafe(64), CELERY_VISIBILITY_TIMEOUT="300")
    assert result.returncode != 0
    assert "must stay below CELERY_VISIBILITY_TIMEOUT" in result.stderr
