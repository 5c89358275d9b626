"""Helpers for complaints' tests: case URLs, and what an escaped script looks like."""

from django.urls import reverse

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def case_url(case, action: str | None = None) -> str:
    if action:
        return reverse("complaints:case-action", args=[case.reference, action])
    return reverse("complaints:case-detail", args=[case.reference])


def take_url(case) -> str:
    return reverse("complaints:take", args=[case.reference])
