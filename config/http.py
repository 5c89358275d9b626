"""Request types for views: what django-htmx and our login decorator add to Django's request."""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class StaffRequest(HtmxHttpRequest):
    """A request past crm.permissions.staff_required: a logged-in staff member."""

    user: User


def is_api(request: HttpRequest) -> bool:
    """A request to the JSON API (/api/...): answered in the API's error shape, never with a page or a redirect."""
    return request.path.startswith("/api/")
