"""Measuring helpers for make bench: latency percentiles and query counts per request."""

import http.client
import platform
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from tests.smtp_sink import free_port


@dataclass
class Row:
    what: str
    figures: dict[str, str]
    target: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, what: str, target: str = "", **figures: str) -> None:
        self.rows.append(Row(what, figures, target))
        print(f"  {what}: {figures}", flush=True)

    def markdown(self, *, total_seconds: float) -> str:
        lines = [
            f"Gemdesk benchmarks ({platform.python_version()}, {platform.machine()}, "
            f"PostgreSQL, run took {total_seconds:.0f} s)",
            "",
            "| measurement | p50 | p95 | queries | other | target |",
            "| --- | ---: | ---: | ---: | --- | --- |",
        ]
        for row in self.rows:
            f = dict(row.figures)
            p50, p95, queries = f.pop("p50", ""), f.pop("p95", ""), f.pop("queries", "")
            other = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in f.items())
            lines.append(f"| {row.what} | {p50} | {p95} | {queries} | {other} | {row.target} |")
        return "\n".join(lines) + "\n"


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


class QueryCounter:
    """Counts the SQL statements run while active (execute_wrapper sees every one, log or no log)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure_requests(
    report: Report, what: str, call: Callable[[], object], *, repeat: int = 50, warmup: int = 5, target: str = ""
) -> None:
    """Time `call` (one request) `repeat` times; record p50/p95 in ms and the query count of one call."""
    for _ in range(warmup):
        call()
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        response = call()
    status = getattr(response, "status_code", None)
    if status is not None and status >= 400:
        raise RuntimeError(f"{what}: answered {status}")
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    report.add(
        what,
        target=target,
        p50=f"{statistics.median(samples):.1f} ms",
        p95=f"{percentile(samples, 95):.1f} ms",
        queries=str(counter.count),
    )


@contextmanager
def gunicorn(
    bin_dir: Path, app: str, *, env: dict[str, str], cwd: Path, ready_path: str, quiet: bool = False
) -> Iterator[int]:
    """`app` under gunicorn (2 sync workers) on a free loopback port; yields the port once `ready_path`
    answers. `quiet`: its standard output goes to /dev/null."""
    port = free_port()
    command = [
        str(bin_dir / "gunicorn"),
        app,
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL if quiet else None)
    try:
        deadline = time.monotonic() + 30
        while not _answers(port, ready_path):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn {app} did not answer {ready_path} (exit code {server.poll()})")
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()


# The load both intake rows put on their server: the same for Gemdesk and for the peer, or the ratio means nothing.
LOAD_CLIENTS = 8
LOAD_SECONDS = 20


@dataclass
class Load:
    latencies: list[float]  # ms, one per request answered
    answers: dict[str, int]  # how many of each answer (a status code, or what the client made of it)
    seconds: float  # from the first request sent to the last answer read

    def rate(self, answer: str) -> float:
        """Requests a second that got `answer` (the successful ones: what the server got done)."""
        return self.answers.get(answer, 0) / self.seconds

    def figures(self, answer: str) -> dict[str, str]:
        return {
            "p50": f"{statistics.median(self.latencies):.1f} ms",
            "p95": f"{percentile(self.latencies, 95):.1f} ms",
            "throughput": f"{self.rate(answer):.0f} req/s",
            "answers": ", ".join(f"{label}: {count}" for label, count in sorted(self.answers.items())),
        }


def load(port: int, client: Callable[[http.client.HTTPConnection, int], Callable[[int], str]]) -> Load:
    """LOAD_CLIENTS connections to `port`, each sending for LOAD_SECONDS. `client(connection, n)` readies
    client n (a form's CSRF cookie, say) and returns its `send(k)`, which makes its k-th request, reads the
    answer and names it."""
    latencies: list[float] = []
    answers: dict[str, int] = {}
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + LOAD_SECONDS

    def run(n: int) -> None:
        send = client(http.client.HTTPConnection("127.0.0.1", port, timeout=10), n)
        sent = 0
        while time.monotonic() < stop_at:
            sent_at = time.perf_counter()
            answer = send(sent)
            elapsed = (time.perf_counter() - sent_at) * 1000
            with lock:
                latencies.append(elapsed)
                answers[answer] = answers.get(answer, 0) + 1
            sent += 1

    threads = [threading.Thread(target=run, args=(n,)) for n in range(LOAD_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(latencies, answers, time.monotonic() - started)
