"""Running services as if on the day things happened: what every app's demo data (seed_demo) shares."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock


@contextmanager
def on(moment: datetime) -> Iterator[None]:
    """Run services as if it were `moment` (their clock is django.utils.timezone.now)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
