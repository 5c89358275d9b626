"""python manage.py ingest_email < message.eml
python manage.py ingest_email --maildir /var/mail/complaints

One raw RFC 822 message on standard input (so a mail server can pipe to it), or every message
in a Maildir, each moved to the Maildir's ".Processed" folder once handled. A reply becomes a
message on its case; anything else opens a case; a malformed message is kept with its reason.
"""

import mailbox
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from complaints.models import InboundEmail, RejectedEmail
from complaints.services import email_ingest

PROCESSED_FOLDER = "Processed"


class Command(BaseCommand):
    help = "Turn incoming email into cases: one message on standard input, or a whole Maildir."

    def add_arguments(self, parser):
        parser.add_argument("--maildir", help="process every message in this Maildir")

    def handle(self, *args, **options):
        if options["maildir"]:
            self.ingest_maildir(options["maildir"])
        else:
            raw = sys.stdin.buffer.read()
            self.stdout.write(self.describe(self.ingest(raw)))

    def ingest(self, raw: bytes):
        try:
            return email_ingest(raw)
        except IntegrityError:
            # The same Message-ID arrived twice at the same moment; the other copy was recorded.
            return None

    def describe(self, result) -> str:
        if result is None:
            return "duplicate: already received"
        if isinstance(result, RejectedEmail):
            return f"rejected: {result.reason}"
        assert isinstance(result, InboundEmail)
        where = f" {result.case.reference}" if result.case_id else ""
        return f"{result.outcome}{where}{': ' + result.reason if result.reason else ''}"

    def ingest_maildir(self, path: str) -> None:
        try:
            box = mailbox.Maildir(path, factory=None, create=False)
        except (OSError, mailbox.Error) as error:
            raise CommandError(f"{path} is not a Maildir: {error}") from error
        processed = (
            box.add_folder(PROCESSED_FOLDER)
            if PROCESSED_FOLDER not in box.list_folders()
            else box.get_folder(PROCESSED_FOLDER)
        )
        counts: dict[str, int] = {}
        for key in list(box.iterkeys()):
            raw = box.get_bytes(key)
            outcome = self.describe(self.ingest(raw)).split(":")[0].split(" ")[0]
            counts[outcome] = counts.get(outcome, 0) + 1
            # Moved only after the database has it: a crash here means it is read again, and
            # the Message-ID makes the second reading a duplicate, not a second case.
            processed.add(raw)
            box.remove(key)
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "no messages"
        self.stdout.write(f"Maildir {path}: {summary}.")
