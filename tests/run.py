"""`make test`: find PostgreSQL and Redis, set the environment, run pytest.

DATABASE_URL and REDIS_URL win when set. Otherwise PostgreSQL on 127.0.0.1:5432 and
Redis on 127.0.0.1:6379 are used if they answer, else SQLite and Celery's in-memory transport
(tasks are never run eagerly in tests), with the tests that need them skipped
(tests/conftest.py says so loudly at the end).
With CI=true a missing PostgreSQL, Redis or Dovecot is an error, not a skip.
"""

import os
import secrets
import shutil
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def dovecot_installed() -> bool:
    return Path(shutil.which("dovecot") or "/usr/sbin/dovecot").exists()


def main() -> int:
    sys.path.insert(0, str(ROOT))  # the project importable here (tests.browser.chromium, pytest's plugins)
    from tests.browser import chromium

    # Set to an empty value (REDIS_URL=) to run without that service even when it answers.
    if "DATABASE_URL" not in os.environ and answers("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/gemdesk"
    if "REDIS_URL" not in os.environ and answers("127.0.0.1", 6379):
        # Database 9 of the shared Redis: tests never touch what a dev server keeps in 0.
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/9"

    if os.environ.get("CI", "").lower() == "true":
        missing = [
            name
            for name, ok in (
                ("PostgreSQL", os.environ.get("DATABASE_URL", "").startswith("postgres")),
                ("Redis", bool(os.environ.get("REDIS_URL"))),
                ("Dovecot", dovecot_installed()),
                ("Chromium", chromium.executable() is not None),
            )
            if not ok
        ]
        if missing:
            print(f"CI=true but {' and '.join(missing)} not reachable: refusing to skip tests.", file=sys.stderr)
            return 2

    # Production-like settings (DEBUG off, secure cookies) minus the HTTPS redirect the test client cannot follow.
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_MANIFEST_STATIC", "false")  # no collectstatic before tests
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # One test database per run, so runs side by side on one server never clobber each other.
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ.setdefault("DJANGO_TEST_DATABASE_NAME", f"test_gemdesk_{os.getpid()}")

    # The project importable in xdist's workers too, before pytest reads its plugins (tests.xdist_worker is one).
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))

    import pytest

    os.chdir(ROOT)
    code = pytest.main(sys.argv[1:])
    # `make test` runs two passes selected by marker; a narrowed run (PYTEST_ARGS) may leave one empty.
    if code == pytest.ExitCode.NO_TESTS_COLLECTED and "-m" in sys.argv:
        return pytest.ExitCode.OK
    return code


if __name__ == "__main__":
    sys.exit(main())
