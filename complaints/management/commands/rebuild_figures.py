"""Derive every case's figures again from its events: after an upgrade, after staff moved between teams (a
case's team is its owner's when its facts were derived), or to check that nothing drifted."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from complaints.figures.services import facts_rebuild


class Command(BaseCommand):
    help = "Rebuild the figures' rollup (one row of facts per case) from the case events."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        rebuilt = facts_rebuild()
        self.stdout.write(
            f"Derived the facts of {rebuilt} cases from their events in {time.monotonic() - started:.1f} s."
        )
