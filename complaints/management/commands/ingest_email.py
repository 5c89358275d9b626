"""python manage.py ingest_email < message.eml
python manage.py ingest_email --maildir /var/mail/complaints

One raw RFC 822 message on standard input (so a mail server can pipe to it), or every message
in a Maildir. Whatever a message is, it is stored with its fate (a case, a reply, an ignored
auto-reply, a refusal with its reason), one line says which, and the exit status is 0. Only a
message that could not be stored (the database is down) exits 75, EX_TEMPFAIL: the mail server
keeps it and tries again. In a Maildir, handled messages move to ".Processed" (refusals to
".Rejected"); a message that could not be stored stays where it is for the next run.
"""

import logging
import mailbox
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from complaints.mail.services import email_ingest, email_keep_rejected
from complaints.models import InboundEmail, RejectedEmail

logger = logging.getLogger(__name__)

PROCESSED_FOLDER = "Processed"
REJECTED_FOLDER = "Rejected"
TRY_AGAIN_LATER = 75  # sysexits.h EX_TEMPFAIL: Postfix and others keep the message and retry


class NotStored(Exception):
    """The message could not be stored; the mail server (or the next run) must try again."""


class Command(BaseCommand):
    help = "Turn incoming email into cases: one message on standard input, or a whole Maildir."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--maildir", help="process every message in this Maildir")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["maildir"]:
                self.ingest_maildir(options["maildir"])
            else:
                self.stdout.write(self.describe(self.ingest(sys.stdin.buffer.read())))
        except NotStored as error:
            raise CommandError(f"not stored, try again later: {error}", returncode=TRY_AGAIN_LATER) from error

    def ingest(self, raw: bytes) -> InboundEmail | RejectedEmail:
        """Store one message, whatever it holds. Raises NotStored only when the database cannot take it."""
        try:
            return email_ingest(raw)
        except DatabaseError as error:
            raise NotStored(f"database: {type(error).__name__}") from error
        except Exception as error:  # noqa: BLE001 - a message that trips a bug is kept for staff, never lost
            logger.exception("ingest_email: could not process a message; keeping it as rejected")
            return self.keep_as_rejected(raw, f"could not be processed ({type(error).__name__}: {error})")

    def keep_as_rejected(self, raw: bytes, reason: str) -> RejectedEmail:
        try:
            return email_keep_rejected(raw, reason=reason)
        except DatabaseError as error:
            raise NotStored(f"database: {type(error).__name__}") from error

    def describe(self, result: InboundEmail | RejectedEmail) -> str:
        if isinstance(result, RejectedEmail):
            return f"rejected: {result.reason}"
        where = f" {result.case.reference}" if result.case is not None else ""
        return f"{result.outcome}{where}{': ' + result.reason if result.reason else ''}"

    def ingest_maildir(self, path: str) -> None:
        try:
            box = mailbox.Maildir(path, factory=None, create=False)
        except (OSError, mailbox.Error) as error:
            raise CommandError(f"{path} is not a Maildir: {error}") from error
        folders = {name: self.folder(box, name) for name in (PROCESSED_FOLDER, REJECTED_FOLDER)}
        counts: dict[str, int] = {}
        for key in list(box.iterkeys()):
            raw = box.get_bytes(key)
            result = self.ingest(raw)  # NotStored ends the run: this and later messages wait for the next
            line = self.describe(result)
            self.stdout.write(line)
            outcome = line.split(":")[0].split(" ")[0]
            counts[outcome] = counts.get(outcome, 0) + 1
            # Moved only after the database has it: a crash here means it is read again, and its
            # identity makes the second reading a duplicate, not a second case.
            folders[REJECTED_FOLDER if isinstance(result, RejectedEmail) else PROCESSED_FOLDER].add(raw)
            box.remove(key)
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no messages"
        self.stdout.write(f"Maildir {path}: {summary}.")

    @staticmethod
    def folder(box: mailbox.Maildir, name: str) -> mailbox.Maildir:
        return box.get_folder(name) if name in box.list_folders() else box.add_folder(name)
