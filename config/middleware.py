"""Responses that may carry personal data are never stored by browsers or proxies."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class NoStoreForPersonalDataMiddleware:
    """`Cache-Control: no-store, private` on every API response and every page seen by a logged-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store, private"
        return response
