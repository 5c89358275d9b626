"""Responses that may carry personal data are never stored by browsers or proxies."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


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


class RefuseNulInQueryMiddleware:
    """400 for a query string holding a NUL character. PostgreSQL refuses NUL in text, so any view that
    filtered by such a parameter would answer 500 (forms and serializers already refuse NUL in bodies)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            if request.path.startswith("/api/"):
                body = {"detail": "The query string holds a NUL character.", "errors": {}}
                return JsonResponse(body, status=400)
            return HttpResponseBadRequest("The address holds a NUL character.", content_type="text/plain")
        return self.get_response(request)
