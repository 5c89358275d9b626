"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records raw messages and can refuse chosen recipients."""

import asyncio
import socket
import threading
import time
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Records every accepted message. `refuse(address, code, times)` answers that code to that
    recipient (for `times` attempts, or always), e.g. 451 (try later) or 550 (no such mailbox).
    `pipelining = False` makes a server that does not offer PIPELINING (from the next EHLO)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.raw: list[bytes] = []
        self.delay_seconds = 0.0  # a slow server: the wait before answering each message
        self.pipelining = True  # offered in EHLO, as Postfix, Exim and the large mail services do
        self.last_accepted_at = 0.0
        self.attempts: dict[str, int] = {}
        self._refusals: dict[str, list] = {}
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def rcpt(self, address: str) -> str | None:
        """Count an attempt for `address`; the refusal to answer, if any."""
        with self._lock:
            self.attempts[address] = self.attempts.get(address, 0) + 1
            refusal = self._refusals.get(address)
            if refusal and refusal[1] != 0:
                refusal[1] -= 1
                code = refusal[0]
                return f"{code} {'4.2.0 Mailbox busy, try later' if code < 500 else '5.1.1 No such mailbox here'}"
        return None

    def accept(self, raw: bytes) -> None:
        with self._lock:
            self.raw.append(raw)
            self.last_accepted_at = time.time()  # wall clock, to compare with the database's timestamps

    def refuse(self, address: str, code: int, times: int = -1) -> None:
        self._refusals[address] = [code, times]

    def start(self) -> "Sink":
        """Listen on the sink's port: again after stop(), with the messages recorded so far kept (an outage)."""
        # aiosmtpd inspects every attribute of its handler for each connection (properties included),
        # so the hooks live on a small object of their own, not on the Sink with its `messages`.
        # A new controller each time: a stopped one has closed its event loop.
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Message]:
        with self._lock:
            return [message_from_bytes(raw) for raw in self.raw]

    def count(self) -> int:
        with self._lock:
            return len(self.raw)

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]

    def email_settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.sink.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.sink.rcpt(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.sink.delay_seconds:
            await asyncio.sleep(self.sink.delay_seconds)
        self.sink.accept(envelope.original_content or envelope.content)
        return "250 Message accepted"
