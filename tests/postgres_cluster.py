"""A PostgreSQL cluster of the test's own: `initdb` in a temporary folder, one database, listening on
127.0.0.1 at a free port with trust authentication. Never the machine's server. Durability stays at the
defaults (fsync, synchronous_commit and full_page_writes on): a crash test with them off proves nothing.

`kill()` is a crash (SIGKILL to the postmaster); `start()` again runs crash recovery.

The postmaster is this process's child rather than daemonised by `pg_ctl start`, so the test reaps it
the moment it is killed: a daemon is reaped by PID 1, which on our VMs takes a second or more, and until
then its zombie holds the PID and a new postmaster refuses to start ("lock file postmaster.pid already
exists").
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

from tests.smtp_sink import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def available() -> bool:
    return (BIN / "initdb").exists() and (BIN / "postgres").exists()


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (this kernel has no /proc/<pid>/task/<pid>/children)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            after_name = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        if int(after_name[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead backend's zombie, left for PID 1 to reap, holds nothing)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


class PostgresCluster:
    def __init__(self, database: str = "gemdesk") -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="gemdesk-postgres-"))
        self.data = self.folder / "data"
        self.log_path = self.folder / "postgres.log"
        self.port = free_port()
        self.database = database
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{database}"
        self.process: subprocess.Popen | None = None
        # PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
        self._as_owner: dict = {"cwd": self.folder}
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self._as_owner |= {"user": "postgres", "group": "postgres", "extra_groups": []}

    def create(self) -> "PostgresCluster":
        """initdb, start, and create the database."""
        subprocess.run(
            [BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"],
            check=True,
            capture_output=True,
            **self._as_owner,
        )
        self.start()
        admin = self.connect("postgres")
        admin.autocommit = True  # CREATE DATABASE cannot run in a transaction
        admin.cursor().execute(f'CREATE DATABASE "{self.database}"')
        admin.close()
        return self

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.process = subprocess.Popen(
            [BIN / "postgres", "-D", self.data, "-c", f"port={self.port}", "-c", "listen_addresses=127.0.0.1",
             "-c", f"unix_socket_directories={self.folder}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._as_owner,
        )  # fmt: skip
        _wait(self.answers, timeout=30, what=f"PostgreSQL to accept connections (log: {self.log_path})")

    def answers(self) -> bool:
        try:
            self.connect("postgres").close()
            return True
        except psycopg2.OperationalError:
            return False

    def connect(self, database: str | None = None):
        return psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=database or self.database, connect_timeout=2
        )

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would, and wait until its backends have noticed and exited
        (a new postmaster will not start while any of them holds the shared memory)."""
        backends = _children(self.postmaster_pid())
        self.process.kill()
        self.process.wait(timeout=10)
        _wait(lambda: not any(_running(pid) for pid in backends), timeout=30, what="the old backends to exit")

    def recovered_from_crash(self) -> bool:
        return "automatic recovery in progress" in self.log_path.read_text(errors="replace")

    def remove(self) -> None:
        """Fast shutdown (SIGINT), or SIGKILL if that hangs; then the folder goes."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
