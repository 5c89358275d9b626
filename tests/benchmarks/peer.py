"""The peer of issue 16: django-helpdesk 2.6.1's public ticket form, loaded as sections.intake loads Gemdesk's.

The peer is a project of its own (peer_helpdesk/) in a virtualenv of its own (bench-results/peer-venv, from
peer_helpdesk/requirements.txt), so its pins never meet ours, on a database of its own (gemdesk_bench_peer,
seeded once). Run alone (one round) with `.venv/bin/python -m tests.benchmarks.peer`.
"""

import http.client
import os
import re
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks.harness import LOAD_CLIENTS, LOAD_SECONDS, Load, Report, gunicorn, load

PROJECT_DIR = Path(__file__).resolve().parent  # holds the peer_helpdesk package
REQUIREMENTS = PROJECT_DIR / "peer_helpdesk" / "requirements.txt"
VENV = PROJECT_DIR.parents[1] / "bench-results" / "peer-venv"
PEER_TICKETS = 10_000
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _venv() -> Path:
    """The peer's virtualenv, made (or brought up to date) when requirements.txt differs from what it holds."""
    wanted = REQUIREMENTS.read_text()
    installed = VENV / "requirements.txt"
    if not installed.exists() or installed.read_text() != wanted:
        print("  peer: installing django-helpdesk into bench-results/peer-venv", flush=True)
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)], check=True)
        installed.write_text(wanted)
    return VENV / "bin"


def _env() -> dict[str, str]:
    from django.conf import settings

    db = settings.DATABASES["default"]  # the same PostgreSQL server as Gemdesk's benchmark database
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "peer_helpdesk.settings",
        "PEER_DB_HOST": str(db["HOST"]),
        "PEER_DB_PORT": str(db["PORT"]),
        "PEER_DB_USER": str(db["USER"]),
        "PEER_DB_PASSWORD": str(db["PASSWORD"] or ""),
    }


def _client(connection: http.client.HTTPConnection, n: int) -> Callable[[int], str]:
    """As a browser: the form once (CSRF cookie and token), then one POST per ticket, each a new sender."""
    connection.request("GET", "/tickets/submit/")
    form = connection.getresponse()
    cookie = form.getheader("Set-Cookie", "").split(";", 1)[0]
    token = CSRF_INPUT.search(form.read().decode())
    if not cookie.startswith("csrftoken=") or token is None:
        raise RuntimeError(f"peer: the public form gave no CSRF cookie or token (answer {form.status})")

    def send(sent: int) -> str:
        body = {
            "csrfmiddlewaretoken": token[1],
            "title": "Broadband keeps dropping",
            "body": "My broadband keeps dropping in the evening.",
            "submitter_email": f"peer{n}-{sent}@example.test",
        }
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        connection.request("POST", "/tickets/submit/", urllib.parse.urlencode(body), headers)
        response = connection.getresponse()
        response.read()
        # Success is the redirect to the new ticket; a 200 is the form again, with errors.
        location = response.getheader("Location", "")
        if response.status == 302 and not location.startswith("/view/?ticket="):
            return f"302 to {location}"
        return str(response.status)

    return send


class Peer:
    """django-helpdesk's public form, installed once, loaded as often as the intake's rounds ask."""

    what = (
        f"django-helpdesk 2.6.1 public ticket form via gunicorn (2 workers, {LOAD_CLIENTS} clients, {LOAD_SECONDS} s; "
        f"{PEER_TICKETS:,} tickets)"
    )
    success = "302"

    def __init__(self) -> None:
        self.bin_dir = _venv()
        self.env = _env()

    def _bench(self, *args: str) -> str:
        command = [str(self.bin_dir / "python"), "-m", "peer_helpdesk.bench", *args]
        done = subprocess.run(command, env=self.env, cwd=PROJECT_DIR, check=True, stdout=subprocess.PIPE, text=True)
        return done.stdout

    def load(self) -> Load:
        """One round: back to the same PEER_TICKETS tickets, then the intake's load on the public form."""
        self._bench("prepare", str(PEER_TICKETS))
        # stdout is where the console backend writes each new-ticket email: /dev/null, not the terminal.
        with gunicorn(
            self.bin_dir, "peer_helpdesk.wsgi", env=self.env, cwd=PROJECT_DIR, ready_path="/tickets/submit/", quiet=True
        ) as server:
            return load(server, _client)

    def sql_per_ticket(self) -> str:
        """The statements one submission runs, counted on the database a round prepared (the next round's
        preparing deletes the tickets counting submits)."""
        return self._bench("count-sql").strip()


if __name__ == "__main__":
    from tests.benchmarks.run import configure_environment

    configure_environment()
    import django

    django.setup()
    report = Report()
    started = time.monotonic()
    peer = Peer()
    report.add(peer.what, **peer.load().figures(peer.success), sql_per_ticket=peer.sql_per_ticket())
    print(report.markdown(total_seconds=time.monotonic() - started))
