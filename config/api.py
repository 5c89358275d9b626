"""API conventions shared by every app: the one error shape and the login lockout answer.

Errors are always {"detail": "...", "errors": {"field": ["reason", ...]}}.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from crm.exceptions import DomainError

logger = logging.getLogger(__name__)


def _field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {
            str(field): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for field, messages in detail.items()
        }
    return {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """Map domain errors, Django validation errors and DRF errors to one JSON shape."""
    if isinstance(exc, DomainError):
        return Response({"detail": exc.detail, "errors": exc.errors}, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = (
            {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": [str(m) for m in exc.messages]}
        )
        return Response({"detail": "Invalid input.", "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        logger.info("API request body over the size limit: %s", context["request"].path)
        limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"
        body = {"detail": f"The request body is too large (at most {limit} bytes).", "errors": {}}
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        return Response({"detail": "Too many fields in the request.", "errors": {}}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: log it with the traceback, answer with a body that says nothing internal.
        logger.exception("Unhandled API error", exc_info=exc)
        return Response({"detail": "Server error.", "errors": {}}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)

    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        if not errors:
            messages = exc.detail if isinstance(exc.detail, list) else [exc.detail]
            errors = {"non_field_errors": [str(m) for m in messages]}
        response.data = {"detail": "Invalid input.", "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
        response.data = {"detail": str(detail), "errors": {}}
    return response


def axes_lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes lockout: JSON 429 for the API, a friendly page for the login form; both with Retry-After."""
    from axes.helpers import get_cool_off
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 900
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": "Too many failed logins. Try again later.", "errors": {}},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    else:
        response = render(request, "registration/locked_out.html", {"minutes": max(1, seconds // 60)}, status=429)
    response["Retry-After"] = str(seconds)
    return response
