"""Measuring helpers for make bench: latency percentiles and query counts per request."""

import http.client
import os
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


@dataclass
class Served:
    port: int
    pid: int  # gunicorn's master; its workers are its children


@contextmanager
def gunicorn(
    bin_dir: Path, app: str, *, env: dict[str, str], cwd: Path, ready_path: str, quiet: bool = False
) -> Iterator[Served]:
    """`app` under gunicorn (2 sync workers) on a free loopback port, served once `ready_path` answers.
    `quiet`: its standard output goes to /dev/null."""
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
        yield Served(port, server.pid)
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
    cpu: dict[str, float]  # CPU seconds each party spent meanwhile (cpu_by_party)

    def rate(self, answer: str) -> float:
        """Requests a second that got `answer` (the successful ones: what the server got done)."""
        return self.answers.get(answer, 0) / self.seconds

    def figures(self, answer: str) -> dict[str, str]:
        return {
            "p50": f"{statistics.median(self.latencies):.1f} ms",
            "p95": f"{percentile(self.latencies, 95):.1f} ms",
            "throughput": f"{self.rate(answer):.0f} req/s",
            "answers": ", ".join(f"{label}: {count}" for label, count in sorted(self.answers.items())),
            "cpu_per_request": ", ".join(
                f"{party} {seconds / len(self.latencies) * 1000:.2f} ms" for party, seconds in self.cpu.items()
            ),
            "cpu_busy": f"{sum(self.cpu.values()) / (self.seconds * (os.cpu_count() or 1)):.0%}",
        }

    def server_cpu_ms(self) -> float:
        """CPU per answered request of the serving side: everyone but the load's own client."""
        serving = sum(seconds for party, seconds in self.cpu.items() if party != LOAD_GENERATOR)
        return serving / len(self.latencies) * 1000


LOAD_GENERATOR = "load generator"


def cpu_by_party(server: Served) -> dict[str, float]:
    """CPU seconds so far of everyone a load keeps busy on this machine: gunicorn and its workers,
    PostgreSQL, Redis, and this process (the load's own client threads)."""
    return {
        "gunicorn": cpu_seconds(tree_pids(server.pid)),
        "PostgreSQL": cpu_seconds(pids_named("postgres")),
        "Redis": cpu_seconds(pids_named("redis-server")),
        LOAD_GENERATOR: time.process_time(),
    }


def load(server: Served, client: Callable[[http.client.HTTPConnection, int], Callable[[int], str]]) -> Load:
    """LOAD_CLIENTS connections to `server`, each sending for LOAD_SECONDS. `client(connection, n)` readies
    client n (a form's CSRF cookie, say) and returns its `send(k)`, which makes its k-th request, reads the
    answer and names it. The CPU each party spends meanwhile is measured: where a request's cost lies."""
    latencies: list[float] = []
    answers: dict[str, int] = {}
    lock = threading.Lock()
    cpu_before = cpu_by_party(server)
    started = time.monotonic()
    stop_at = started + LOAD_SECONDS

    def run(n: int) -> None:
        send = client(http.client.HTTPConnection("127.0.0.1", server.port, timeout=10), n)
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
    seconds = time.monotonic() - started
    cpu = {party: spent - cpu_before[party] for party, spent in cpu_by_party(server).items()}
    return Load(latencies, answers, seconds, cpu)


def tree_pids(pid: int) -> list[int]:
    """A process and its children."""
    try:
        return [pid, *(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]
    except OSError:
        return []


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (a worker pool), from /proc."""
    total = 0
    for p in tree_pids(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes, with their finished children's (from /proc/<pid>/stat)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def pids_named(name: str) -> list[int]:
    """Every process on this machine with this command name ("postgres": the backends and the server's
    own helpers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids
