"""Responses that may carry personal data are never stored by browsers or proxies; a query string with NUL is
refused; each staff member's pages show times in their own time zone."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone

from config.http import is_api
from crm.times import zone_of


class NoStoreForPersonalDataMiddleware:
    """`Cache-Control: no-store, private` on every API response and every page seen by a logged-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if is_api(request) or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store, private"
        return response


class RefuseNulInQueryMiddleware:
    """400 for a query string holding a NUL character. PostgreSQL refuses NUL in text, so any view that
    filtered by such a parameter would answer 500 (forms and serializers already refuse NUL in bodies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            if is_api(request):
                body = {"detail": "The query string holds a NUL character.", "errors": {}}
                return JsonResponse(body, status=400)
            return HttpResponseBadRequest("The address holds a NUL character.", content_type="text/plain")
        return self.get_response(request)


class StaffTimeZoneMiddleware:
    """Pages seen by a signed-in staff member show times in their zone (`StaffProfile.time_zone`, blank for
    TIME_ZONE); forms read the times they type there too. The API stays in the site's zone whoever calls it
    (ISO 8601 with an offset, the same for a token as for a session), and public pages say so themselves
    (crm.times.in_site_time_zone). Overridden for this request only, never left active for the next."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # The API first: asking whether the user is signed in reads their session.
        if is_api(request) or user is None or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(zone_of(user)):
            return self.get_response(request)
