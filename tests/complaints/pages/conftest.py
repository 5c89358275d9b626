"""Helpers for the page tests: a logged-in client per persona, case URLs, and what an escaped script looks like."""

import pytest
from django.test import Client
from django.urls import reverse

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def as_user():
    """as_user(alice) -> a Client logged in as alice (a fresh client per call, so personas never share one)."""

    def login(user):
        client = Client()
        client.force_login(user)
        return client

    return login


def case_url(case, action: str | None = None) -> str:
    if action:
        return reverse("complaints:case-action", args=[case.reference, action])
    return reverse("complaints:case-detail", args=[case.reference])


def take_url(case) -> str:
    return reverse("complaints:take", args=[case.reference])
