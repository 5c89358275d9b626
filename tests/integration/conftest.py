"""Real processes for integration tests: Celery workers (with beat), gunicorn and a Redis of our own.

Workers read the test database (the committed rows of `transactional_db` tests), send to the
in-process SMTP sink, and are killed with their whole process group when a test ends.
"""

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from config.celery import app as celery_app
from tests.smtp_sink import Sink, free_port

ROOT = Path(__file__).resolve().parents[2]


def wait_until(
    condition, *, timeout: float, interval: float = 0.2, what: str = "condition", state: Callable[[], str] | None = None
):
    """Poll `condition` until it holds; on timeout, fail naming `what`, with `state()` read at that moment
    (what the test was waiting on, as it stood)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}" + (f"; {state()}" if state else ""))


def database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# Processes in a test worker's pool.
WORKER_CONCURRENCY = 4


class Worker:
    """`celery worker --beat` as a child process group, with the outbox tuned for quick tests."""

    def __init__(
        self, *, redis_url: str, sink: Sink, concurrency: int = WORKER_CONCURRENCY, extra_env: dict | None = None
    ):
        self.folder = Path(tempfile.mkdtemp(prefix="gemdesk-worker-"))
        self.log_path = self.folder / "worker.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_CONN_MAX_AGE": "0",
            "OUTBOX_SWEEP_SECONDS": "2",
            "OUTBOX_STALE_PENDING_SECONDS": "3",
            "OUTBOX_RETRY_BACKOFF_SECONDS": "1",
            "OUTBOX_LEASE_SECONDS": "10",
            "LOG_LEVEL": "INFO",
            **(extra_env or {}),
        }
        self.env.pop("DJANGO_TEST_DATABASE_NAME", None)
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def start(self) -> "Worker":
        command = [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "config",
            "worker",
            "--beat",
            "--schedule",
            str(self.folder / "beat-schedule"),
            "--pool",
            "prefork",
            "--concurrency",
            str(self.concurrency),
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ]
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_until(lambda: b"ready." in self.log_path.read_bytes(), timeout=60, what="the worker to be ready")
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: the main process and every child, mid-task."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        """For a failed test: every warning and error line of the whole run (what went wrong, however long ago),
        then the end of the log."""
        text = self.log_path.read_text(errors="replace")
        trouble = [line for line in text.splitlines() if re.search(r": (WARNING|ERROR|CRITICAL)/", line)]
        return "\n".join(trouble[-200:]) + "\n--- end of the log ---\n" + text[-3000:]


@dataclass
class Gunicorn:
    """gunicorn serving config.wsgi with sync workers on a loopback port; its log, at info level, records
    every worker it boots."""

    process: subprocess.Popen
    port: int
    log_path: Path

    def get(self, path: str) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def healthy(self) -> bool:
        try:
            return self.get("/healthz")[0] == 200
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def booted_workers(self) -> int:
        return self.log().count("Booting worker with pid")


@contextmanager
def gunicorn_serving(env: dict, *, workers: int, log_path: Path) -> Iterator[Gunicorn]:
    """gunicorn with `env` as its whole environment, stopped with its workers when the block ends."""
    port = free_port()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [Path(sys.executable).parent / "gunicorn", "config.wsgi", "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "--log-level", "info"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        yield Gunicorn(process, port, log_path)
    finally:
        process.terminate()
        process.wait(timeout=30)


class OwnRedis:
    """A redis-server of the test's own, without persistence, that can be restarted."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "OwnRedis":
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=10, what="redis-server")
        return self

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def use_broker(url: str) -> None:
    """Point this process's Celery app (which publishes on commit) at `url`."""
    celery_app.conf.broker_url = url
    kombu_pools.reset()  # kombu caches connection and producer pools per broker, process-wide
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def sink():
    server = Sink().start()
    yield server
    server.stop()


@pytest.fixture
def shared_redis_url():
    """The shared Redis (REDIS_URL of the test run), emptied of stale messages first."""
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    use_broker(settings.REDIS_URL)
    yield settings.REDIS_URL
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture
def own_redis():
    server = OwnRedis().start()
    use_broker(server.url)
    yield server
    use_broker(settings.REDIS_URL)
    server.stop()


CUSTOMER_ADDRESS = re.compile(r"[\w.+-]+@example\.(test|org|com)")


@pytest.fixture
def start_worker(request):
    workers: list[Worker] = []

    def start(**kwargs) -> Worker:
        worker = Worker(**kwargs).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            print(f"--- worker log ---\n{worker.log()}")
        worker.stop()
    connection.close()
    # The customers' addresses in these tests are canaries: no worker may log one, tracebacks included.
    leaked = [str(w.log_path) for w in workers if CUSTOMER_ADDRESS.search(w.log_path.read_text(errors="replace"))]
    assert not leaked, f"customer email addresses in worker logs: {leaked}"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
