"""A real IMAP server for the tests: Debian's Dovecot, started in a temporary folder on loopback ports with
one mailbox user and a self-signed certificate the tests trust (IMAP_CA_FILE). Never the machine's own."""

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from subprocess import DEVNULL
from urllib.parse import quote

from tests.smtp_sink import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "complaints@example.test", "imap-test-password"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
log_path = {base}/dovecot.log
ssl = yes
ssl_cert = <{base}/cert.pem
ssl_key = <{base}/key.pem
first_valid_uid = 0
default_internal_user = {internal}
default_login_user = {login}
auth_mechanisms = plain login
disable_plaintext_auth = no
mail_location = maildir:{base}/home/%u/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {starttls_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={base}/home/%u
}}
"""


def available() -> bool:
    return Path(DOVECOT).exists()


class Dovecot:
    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="gemdesk-dovecot-"))
        self.tls_port, self.starttls_port = free_port(), free_port()
        self.cafile = str(self.base / "cert.pem")

    def start(self) -> "Dovecot":
        base = self.base
        (base / "run").mkdir()
        (base / "home").mkdir()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(base / "key.pem"), "-out", self.cafile],
            check=True, capture_output=True,
        )  # fmt: skip
        (base / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        root = os.geteuid() == 0
        me = pwd.getpwuid(os.geteuid()).pw_name
        mail_user = "dovecot" if root else me
        (base / "dovecot.conf").write_text(
            CONFIG.format(
                base=base,
                internal="dovecot" if root else me,
                login="dovenull" if root else me,
                mail_user=mail_user,
                mail_group=mail_user if not root else "dovecot",
                tls_port=self.tls_port,
                starttls_port=self.starttls_port,
            )
        )
        os.chmod(base, 0o755)  # noqa: S103 - Dovecot's mail user reaches the mailboxes inside
        if root:
            shutil.chown(base / "home", "dovecot", "dovecot")
        # No pipes: the daemon keeps what it inherits open, and run() would wait for it forever.
        subprocess.run([DOVECOT, "-c", str(base / "dovecot.conf")], check=True, stdout=DEVNULL, stderr=DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.tls_port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not start: {(base / 'dovecot.log').read_text()}")

    def stop(self) -> None:
        subprocess.run([DOVECOT, "-c", str(self.base / "dovecot.conf"), "stop"], stdout=DEVNULL, stderr=DEVNULL)
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, *, password: str = PASSWORD, starttls: bool = False, folder: str = "INBOX") -> str:
        scheme, port = ("imap+starttls", self.starttls_port) if starttls else ("imaps", self.tls_port)
        return f"{scheme}://{quote(USER, safe='')}:{quote(password, safe='')}@127.0.0.1:{port}/{folder}"

    def client(self) -> imaplib.IMAP4_SSL:
        client = imaplib.IMAP4_SSL(
            "127.0.0.1", self.tls_port, ssl_context=ssl.create_default_context(cafile=self.cafile)
        )
        client.login(USER, PASSWORD)
        return client

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        for raw in messages:
            status, data = client.append(folder, None, None, raw)
            assert status == "OK", data
        client.logout()

    def uids(self, folder: str) -> list[str]:
        """What is in a folder now (empty when the folder does not exist)."""
        client = self.client()
        try:
            status, _ = client.select(f'"{folder}"', readonly=True)
            if status != "OK":
                return []
            return client.uid("SEARCH", "ALL")[1][0].decode().split()
        finally:
            client.logout()

    def flags(self, folder: str) -> list[bytes]:
        client = self.client()
        client.select(f'"{folder}"', readonly=True)
        flags = [item for item in client.uid("FETCH", "1:*", "(FLAGS)")[1] if item]
        client.logout()
        return flags

    def set_uidvalidity(self, value: int, folder: str = "INBOX") -> None:
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        subprocess.run(
            [doveadm, "-c", str(self.base / "dovecot.conf"), "mailbox", "update", "-u", USER,
             "--uid-validity", str(value), folder],
            check=True, capture_output=True,
        )  # fmt: skip
