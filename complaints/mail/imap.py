"""Email in from the mailbox a team already has: IMAP polling (`IMAP_URL`), by beat every
`IMAP_POLL_SECONDS` or `manage.py ingest_email --imap`.

Each message is stored exactly as through standard input (complaints.mail.services.email_store: its case or
event in one transaction), then flagged \\Seen and moved to IMAP_DONE_FOLDER, or IMAP_REJECTED_FOLDER when it
was refused. A poller that dies between the two leaves the message in the inbox: the next poll reads it
again and its identity makes it a duplicate, moved without a second case. One poller at a time (a
PostgreSQL advisory lock, held by the session, so a dead poller's lock goes with its connection). Messages
are fetched one at a time, so memory stays flat whatever the backlog.

Failures (connection, TLS, login, a dropped connection, the database down) end the poll with one log line
that names the server and the user, never the password; beat waits longer after each failure in a row
(IMAP_RETRY_SECONDS doubling, at most IMAP_RETRY_MAX_SECONDS) and nothing is lost: what was not stored
and moved is still in the inbox.
"""

import contextlib
import imaplib
import logging
import re
import ssl
from collections import Counter
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from complaints.mail.services import NotStored, email_store
from complaints.models import RejectedEmail

logger = logging.getLogger(__name__)

LOCK_KEY = 7_460_311_001  # pg_try_advisory_lock: one poller at a time, across every process and host
UIDVALIDITY_KEY = "imap:uidvalidity"
FAILURES_KEY = "imap:failures"
RETRY_AT_KEY = "imap:retry-at"
TIMEOUT_SECONDS = 60


class MailboxUnavailable(Exception):
    """The mailbox could not be read now (its message names the server, never the password)."""


@dataclass(frozen=True)
class MailboxAddress:
    host: str
    port: int
    user: str
    password: str
    folder: str
    starttls: bool

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox_address(url: str) -> MailboxAddress:
    """imaps://user:password@host:993/INBOX or imap+starttls://user:password@host:143/INBOX (user and
    password percent-encoded: `complaints%40example.com`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("imaps", "imap+starttls") or not parts.hostname or parts.username is None:
        raise MailboxUnavailable(
            "IMAP_URL must look like imaps://user:password@host:993/INBOX or imap+starttls://user:password@host:143/INBOX"
        )
    starttls = parts.scheme == "imap+starttls"
    return MailboxAddress(
        host=parts.hostname,
        port=parts.port or (143 if starttls else 993),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        starttls=starttls,
    )


def _tls_context() -> ssl.SSLContext:
    if not settings.IMAP_TLS_VERIFY:
        logger.warning("IMAP: the server's certificate is not checked (IMAP_TLS_VERIFY=false)")
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=settings.IMAP_CA_FILE or None)


def _connect(address: MailboxAddress) -> imaplib.IMAP4:
    try:
        if address.starttls:
            client = imaplib.IMAP4(address.host, address.port, timeout=TIMEOUT_SECONDS)
            client.starttls(ssl_context=_tls_context())
        else:
            client = imaplib.IMAP4_SSL(address.host, address.port, ssl_context=_tls_context(), timeout=TIMEOUT_SECONDS)
    except ssl.SSLCertVerificationError as error:
        raise MailboxUnavailable(
            f"the TLS certificate of {address.host}:{address.port} did not verify ({error.verify_message}); "
            "set IMAP_CA_FILE to the certificate that signs it"
        ) from error
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxUnavailable(f"cannot reach {address.host}:{address.port} ({error})") from error
    try:
        client.login(address.user, address.password)
    except imaplib.IMAP4.error as error:
        raise MailboxUnavailable(f"login refused for {address.user} at {address.host}:{address.port}") from error
    # What the server offers once logged in (MOVE, UIDPLUS) is more than it announced before.
    client.capabilities = tuple(_ok(client.capability(), "capabilities")[-1].decode().upper().split())
    return client


def _ok(reply: tuple[str, list], what: str) -> list:
    status, data = reply
    if status != "OK":
        raise MailboxUnavailable(f"{what}: {data!r}")
    return data


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _server_folder(client: imaplib.IMAP4, folder: str) -> str:
    """A folder setting ("Gemdesk/Processed") in the server's own hierarchy separator ("." on Dovecot's
    default Maildir, "/" on Gmail and Microsoft 365)."""
    listed = _ok(client.list('""', '""'), "asking the hierarchy separator")
    match = re.search(rb'\) "(.)"', listed[0] or b"") if listed else None
    separator = match.group(1).decode() if match else "/"
    return folder.replace("/", separator)


def _ensure_folder(client: imaplib.IMAP4, folder: str) -> None:
    status, listed = client.list('""', _quoted(folder))
    if status == "OK" and any(item for item in listed if item):
        return
    _ok(client.create(_quoted(folder)), f"creating {folder}")


def _move(client: imaplib.IMAP4, uid: str, folder: str) -> None:
    """Flag the message read and move it out of the inbox."""
    _ok(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"), "flagging")
    if "MOVE" in client.capabilities:  # RFC 6851; otherwise copy, delete, expunge
        _ok(client.uid("MOVE", uid, _quoted(folder)), f"moving to {folder}")
        return
    _ok(client.uid("COPY", uid, _quoted(folder)), f"copying to {folder}")
    _ok(client.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "deleting")
    _ok(client.expunge(), "expunging")


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    """The message's bytes, without setting \\Seen (None if it went meanwhile: another client moved it)."""
    for part in _ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), "fetching"):
        if isinstance(part, tuple):
            return bytes(part[1])
    return None


def _check_uidvalidity(client: imaplib.IMAP4, address: MailboxAddress) -> None:
    """The server renumbered the mailbox: nothing is lost (what is in the inbox is read; what was stored
    is recognised), but an operator should know."""
    values = client.response("UIDVALIDITY")[1]
    current = values[0].decode() if values and values[0] else ""
    key = f"{UIDVALIDITY_KEY}:{address}"
    previous = cache.get(key)
    if previous and current and previous != current:
        logger.warning(
            "IMAP: UIDVALIDITY of %s changed from %s to %s: the server renumbered the mailbox; every message "
            "in it is read again and those already stored are recognised as duplicates",
            address.folder,
            previous,
            current,
        )
    cache.set(key, current, None)


def _read_mailbox(address: MailboxAddress) -> Counter[str]:
    counts: Counter[str] = Counter()
    client = _connect(address)
    try:
        _ok(client.select(_quoted(address.folder)), f"opening {address.folder}")
        _check_uidvalidity(client, address)
        done = _server_folder(client, settings.IMAP_DONE_FOLDER)
        rejected_folder = _server_folder(client, settings.IMAP_REJECTED_FOLDER)
        for folder in (done, rejected_folder):
            _ensure_folder(client, folder)
        uids = _ok(client.uid("SEARCH", "ALL"), "listing")[0].decode().split()
        for uid in uids:
            raw = _fetch(client, uid)
            if raw is None:
                continue
            result = email_store(raw)  # NotStored ends the poll: this message and the later ones wait
            if isinstance(result, RejectedEmail):
                _move(client, uid, rejected_folder)
                counts["rejected"] += 1
            else:
                _move(client, uid, done)
                counts[str(result.outcome)] += 1
    except (imaplib.IMAP4.abort, OSError) as error:  # TimeoutError is an OSError
        raise MailboxUnavailable(f"the connection to {address.host}:{address.port} dropped ({error})") from error
    except imaplib.IMAP4.error as error:
        raise MailboxUnavailable(f"{address.host}:{address.port} answered an error ({error})") from error
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return counts


def _locked() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: one process, the demo
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _unlock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def mailbox_poll(url: str | None = None) -> Counter[str] | None:
    """Read the mailbox once: what became of each message (outcome: count), or None when another poller
    is reading it now. Raises MailboxUnavailable (and NotStored) with a sentence for the log."""
    address = mailbox_address(url or settings.IMAP_URL)
    if not _locked():
        logger.info("IMAP: another poller is reading %s; this one stands aside", address.host)
        return None
    try:
        counts = _read_mailbox(address)
    finally:
        _unlock()
    if counts:
        logger.info("IMAP: %s", ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))
    return counts


def mailbox_poll_when_due() -> Counter[str] | None:
    """Beat's poll: skipped while waiting after failures in a row (IMAP_RETRY_SECONDS, doubling each time,
    at most IMAP_RETRY_MAX_SECONDS); one log line per failure, no crash loop."""
    now = timezone.now().timestamp()
    if now < cache.get(RETRY_AT_KEY, 0):
        return None
    try:
        counts = mailbox_poll()
    except (MailboxUnavailable, NotStored) as error:
        failures = cache.get(FAILURES_KEY, 0) + 1
        wait = min(settings.IMAP_RETRY_SECONDS * 2 ** (failures - 1), settings.IMAP_RETRY_MAX_SECONDS)
        cache.set_many({FAILURES_KEY: failures, RETRY_AT_KEY: now + wait}, None)
        logger.error("IMAP: %s; trying again in %d s (failure %d in a row)", error, wait, failures)
        return None
    cache.delete_many([FAILURES_KEY, RETRY_AT_KEY])
    return counts
