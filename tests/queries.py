"""Counting a request's queries, for the tests that pin a page's cost however many rows it shows."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries(call) -> int:
    """How many queries `call()` made; its response must be a 200."""
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured.captured_queries)
