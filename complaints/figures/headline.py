"""The headline figures as people read them (the dashboard's cards and the weekly digest): their labels,
shares in percent, times in hours, and the change on the previous period."""

from dataclasses import dataclass
from typing import Any

# The figures the dashboard shows first and the digest sends, with their labels.
HEADLINE = [
    ("complaints", "Complaints"),
    ("resolved", "Resolved"),
    ("first_reply_median_hours", "Median time to our first reply"),
    ("resolve_median_hours", "Median time to resolve"),
    ("first_contact_resolution_share", "Share resolved on first contact"),
    ("handovers_per_100_cases", "Handovers per 100 cases"),
    ("promises_broken", "Promises broken"),
    ("average_rating", "Average rating (1 to 5)"),
]


def shown(key: str, value: float | None) -> str:
    """A figure as people read it: shares in percent, times in hours, "–" when nothing was measured."""
    if value is None:
        return "–"
    if key.endswith("_share"):
        return f"{value * 100:.0f} %"
    if key.endswith("_hours"):
        return f"{value} h"
    return f"{value}"


@dataclass
class HeadlineFigure:
    key: str
    label: str
    value: float | None
    previous: float | None

    @property
    def shown(self) -> str:
        return shown(self.key, self.value)

    @property
    def previous_shown(self) -> str:
        return shown(self.key, self.previous)

    @property
    def change_percent(self) -> float | None:
        if self.value is None or not self.previous:
            return None
        return round((self.value - self.previous) / self.previous * 100, 1)


def headline(current: dict[str, Any], previous: dict[str, Any]) -> list[HeadlineFigure]:
    return [HeadlineFigure(key, label, current[key], previous[key]) for key, label in HEADLINE]
