import logging
import secrets
import sys

from config.logging import mask
from tests.config.test_security_settings import manage


def test_log_messages_mask_emails_and_phone_numbers(caplog):
    logger = logging.getLogger("gemdesk.canary")
    [handler] = [h for h in logging.getLogger().handlers if h.name == "console"]
    with caplog.at_level(logging.INFO, logger="gemdesk.canary"):
        record = logger.makeRecord(
            "gemdesk.canary",
            logging.INFO,
            __file__,
            1,
            "customer %s called from %s",
            ("canary.bird@example.com", "+44 7700 900123"),
            None,
        )
        for log_filter in handler.filters:
            log_filter.filter(record)
    assert record.getMessage() == "customer [email] called from [phone]"


def test_mask_keeps_ordinary_text():
    assert mask("case GD-000123 resolved in 2 hours") == "case GD-000123 resolved in 2 hours"


def test_mask_catches_phone_numbers_in_their_usual_forms():
    for number in ("+44 7700 900123", "07700900123", "+1 (555) 010-9999", "tel:+442079460000."):
        assert "[phone]" in mask(f"called {number}"), number


def test_mask_keeps_task_ids_durations_and_timestamps():
    line = "Task crm.tasks.send_emails[10cda450-c1df-4ed5-910d-d1234567890c] succeeded in 0.0123456789s"
    assert mask(line) == line
    stamp = "Cleaned up attempts older than 2026-11-25 20:37:40.272855+00:00"
    assert mask(stamp) == stamp


def _masked_output(record: logging.LogRecord) -> str:
    [handler] = [h for h in logging.getLogger().handlers if h.name == "console"]
    for log_filter in handler.filters:
        log_filter.filter(record)
    return logging.Formatter().format(record)


def test_a_traceback_in_the_log_masks_the_addresses_in_the_exception():
    try:
        raise ValueError('Invalid address "Doe, Jane <canary.jane@example.com>"')
    except ValueError:
        record = logging.getLogger("gemdesk.canary").makeRecord(
            "gemdesk.canary", logging.ERROR, __file__, 1, "send failed", (), sys.exc_info()
        )
    text = _masked_output(record)
    assert "Traceback" in text and "ValueError" in text
    assert "canary.jane@example.com" not in text and "[email]" in text


def test_private_link_tokens_are_masked_like_addresses():
    line = "Conflict: /status/YwxV3Oeb4ImEgfI3JGe1/reopen/ and /notices/NA:1tT:abc/ and /api/v1/public/cases/XyZ/"
    assert mask(line) == "Conflict: /status/[token]/reopen/ and /notices/[token]/ and /api/v1/public/cases/[token]/"


def _refused_complaint_log(**env: str) -> str:
    """The console log of a fresh process, with production settings, that answers one public complaint with an
    empty body (a 400)."""
    post = "from django.test import Client; print(Client().post('/api/v1/public/complaints/', {}, 'application/json'))"
    production = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
    }
    result = manage("shell", "-c", post, REDIS_URL="", **production, **env)
    assert "status_code=400" in result.stdout, result.stdout + result.stderr
    return result.stderr


def test_log_level_holds_for_djangos_own_loggers():
    """Django logs a refused request as a warning ("Bad Request: ...") on its `django` logger, which passes it
    up to the console: printed at LOG_LEVEL=INFO, and not at LOG_LEVEL=ERROR."""
    assert "Bad Request: /api/v1/public/complaints/" in _refused_complaint_log(LOG_LEVEL="INFO")
    assert "Bad Request" not in _refused_complaint_log(LOG_LEVEL="ERROR")
