"""Sections an app adds to a page of an app it depends on, the other way round from imports: crm cannot
import complaints, nor complaints feedback (dependencies point one way: crm <- complaints <- feedback), so
the app that knows more registers its section when Django starts. complaints adds the customer's cases and
incidents to the customer page; feedback adds "suggest a change from this case" to the case page."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

# Given the request and the page's object, the section's HTML (rendered by its template, so escaped there).
Section = Callable[[HttpRequest, Any], str]

_sections: dict[str, list[Section]] = {}


def register(page: str, section: Section) -> None:
    """`page`: "customer", "case", "status" (the customer's status page) or "dashboard" (the figures; the
    object is the figures' filter)."""
    listed = _sections.setdefault(page, [])
    if section not in listed:
        listed.append(section)


def render_sections(page: str, request: HttpRequest, obj: Any) -> list[str]:
    return [section(request, obj) for section in _sections.get(page, [])]
