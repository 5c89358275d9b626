"""Measuring helpers for make bench: latency percentiles and query counts per request."""

import http.client
import platform
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", ready_path)
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)
