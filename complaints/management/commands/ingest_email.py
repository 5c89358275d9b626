"""python manage.py ingest_email < message.eml
python manage.py ingest_email --maildir /var/mail/complaints
python manage.py ingest_email --imap          (reads IMAP_URL once; beat polls it when it is set)

One raw RFC 822 message on standard input (so a mail server can pipe to it), or every message
in a Maildir. Whatever a message is, it is stored with its fate (a case, a reply, an ignored
auto-reply, a refusal with its reason), one line says which, and the exit status is 0. Only a
message that could not be stored (the database is down) exits 75, EX_TEMPFAIL: the mail server
keeps it and tries again. In a Maildir, handled messages move to ".Processed" (refusals to
".Rejected"); a message that could not be stored stays where it is for the next run.
"""

import mailbox
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from complaints.mail.imap import MailboxUnavailable, mailbox_poll
from complaints.mail.services import NotStored, describe, email_store
from complaints.models import RejectedEmail

PROCESSED_FOLDER = "Processed"
REJECTED_FOLDER = "Rejected"
TRY_AGAIN_LATER = 75  # sysexits.h EX_TEMPFAIL: Postfix and others keep the message and retry


class Command(BaseCommand):
    help = "Turn incoming email into cases: one message on standard input, or a whole Maildir."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--maildir", help="process every message in this Maildir")
        parser.add_argument("--imap", action="store_true", help="read the mailbox of IMAP_URL once")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["imap"]:
                self.ingest_imap()
            elif options["maildir"]:
                self.ingest_maildir(options["maildir"])
            else:
                self.stdout.write(describe(email_store(sys.stdin.buffer.read())))
        except NotStored as error:
            raise CommandError(f"not stored, try again later: {error}", returncode=TRY_AGAIN_LATER) from error

    def ingest_imap(self) -> None:
        if not settings.IMAP_URL:
            raise CommandError("Set IMAP_URL (imaps://user:password@host:993/INBOX) to read a mailbox.")
        try:
            counts = mailbox_poll()
        except MailboxUnavailable as error:
            raise CommandError(
                f"IMAP: {error}; nothing was lost, try again later", returncode=TRY_AGAIN_LATER
            ) from error
        if counts is None:
            self.stdout.write("Another poller is reading the mailbox now.")
            return
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no messages"
        self.stdout.write(f"IMAP: {summary}.")

    def ingest_maildir(self, path: str) -> None:
        try:
            box = mailbox.Maildir(path, factory=None, create=False)
        except (OSError, mailbox.Error) as error:
            raise CommandError(f"{path} is not a Maildir: {error}") from error
        folders = {name: self.folder(box, name) for name in (PROCESSED_FOLDER, REJECTED_FOLDER)}
        counts: dict[str, int] = {}
        for key in list(box.iterkeys()):
            raw = box.get_bytes(key)
            result = email_store(raw)  # NotStored ends the run: this and later messages wait for the next
            line = describe(result)
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
