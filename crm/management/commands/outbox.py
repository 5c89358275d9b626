"""python manage.py outbox                       rows by state, the oldest pending, the latest failures
python manage.py outbox --retry-failed        send every failed row again (a fresh round of attempts)
python manage.py outbox --retry-failed --key-prefix incident-update:17:   only those

What an operator asks when mail seems stuck: is anything waiting, since when, and what did the mail server
say to what failed. Retrying keeps each row's key, so a retried email still goes at most once.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from crm.outbox.selectors import outbox_summary
from crm.outbox.services import outbox_retry_failed


class Command(BaseCommand):
    help = "The outbox: rows by state, the oldest pending, failed rows with their errors; --retry-failed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--retry-failed", action="store_true", help="give failed rows another round")
        parser.add_argument("--key-prefix", default="", help="only rows whose key starts with this")
        parser.add_argument("--batch", default="", help="only rows of this batch (e.g. incident-update:17)")
        parser.add_argument("--failed", type=int, default=20, help="how many failed rows to list (default 20)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["retry_failed"]:
            retried = outbox_retry_failed(batch=options["batch"], key_prefix=options["key_prefix"])
            self.stdout.write(f"{retried} failed emails queued to be sent again.")
            return
        summary = outbox_summary(failed_shown=options["failed"], key_prefix=options["key_prefix"])
        self.stdout.write(", ".join(f"{state} {n}" for state, n in summary.by_state.items()))
        if summary.oldest_pending_at is None:
            self.stdout.write("Nothing is waiting to be sent.")
        else:
            waited = (timezone.now() - summary.oldest_pending_at).total_seconds()
            self.stdout.write(f"The oldest pending email was written {waited:.0f} s ago.")
        for row in summary.failed:
            self.stdout.write(f"failed after {row.attempts} attempts: {row.key}: {row.last_error}")
