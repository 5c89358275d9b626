"""Sections other apps add to the customer page. crm cannot import them (dependencies point one way:
crm <- complaints <- ...), so they register here when Django starts: complaints adds the customer's
cases and the incidents that affected them."""

from collections.abc import Callable

from django.http import HttpRequest

from crm.models import Customer

# Given the request and the customer, the section's HTML (already rendered, escaped by its template).
CustomerSection = Callable[[HttpRequest, Customer], str]

_sections: list[CustomerSection] = []


def register(section: CustomerSection) -> None:
    if section not in _sections:
        _sections.append(section)


def render_sections(request: HttpRequest, customer: Customer) -> list[str]:
    return [section(request, customer) for section in _sections]
