"""API conventions shared by every app: the one error shape, its place in the OpenAPI schema, the login
lockout answer, and input serializers that copy their fields cheaply.

Errors are always {"detail": "...", "errors": {"field": ["reason", ...]}}.
"""

import copy
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.http import is_api
from crm.exceptions import DomainError

logger = logging.getLogger(__name__)

# What a client is told to wait after the database failed to answer (a restart takes seconds).
DATABASE_RETRY_AFTER_SECONDS = 5


# Fields that bind other fields to themselves when made: a copy of one needs copies of those too.
HOLDS_FIELDS = (serializers.BaseSerializer, serializers.ListField, serializers.DictField, serializers.ManyRelatedField)


class CheaplyCopiedInput(serializers.Serializer):
    """An input serializer whose plain fields are copied shallowly for each request it reads.

    DRF deep-copies every declared field for each serializer it makes, building each again from its
    arguments: 0.2 of the 3.3 ms a public complaint costs in process. A plain field is only bound to the new
    serializer (its name and parent set on the copy) and then read, so a shallow copy is enough. A field
    holding others (a nested serializer, a list of values) is deep-copied as before."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: copy.deepcopy(field) if isinstance(field, HOLDS_FIELDS) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }


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
    if isinstance(exc, DatabaseOperationalError | DatabaseInterfaceError):
        # The database is restarting, failing over or out of connections: a moment's wait, not a bug.
        logger.warning("API: the database is unavailable (%s)", type(exc).__name__)
        body = {"detail": "The service is briefly unavailable. Please try again in a moment.", "errors": {}}
        headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)

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


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["detail", "errors"],
}
ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` maps each field to what is wrong with it.",
    "401": "No credentials, or a token that has expired or ended.",
    "403": "Logged in, but this role may not do this.",
    "404": "No such object, or none the caller may see.",
    "409": "The object's current state does not allow this.",
    "413": "The request body is over the size limit.",
    "415": "The request body is not JSON, form data or multipart.",
    "429": "Too many requests: `Retry-After` says how many seconds to wait.",
}
UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def _error_codes(method: str, operation: dict[str, Any]) -> set[str]:
    """The error answers an operation can give, from what it takes: every one may be throttled (429); a login
    can be missing or lack the role (401, 403); input can be invalid (400); a path names an object that may
    not be there or not be the caller's (404), as may a page number; acting on an object may meet a state
    that forbids it (409); a body may be too large or of a type no parser reads (413, 415)."""
    parameters = operation.get("parameters", [])
    path_parameters = any(parameter["in"] == "path" for parameter in parameters)
    query_parameters = {parameter["name"] for parameter in parameters if parameter["in"] == "query"}
    has_body = "requestBody" in operation
    codes = {"429"}
    if operation.get("security"):
        codes |= {"401", "403"}
    if has_body or query_parameters:
        codes.add("400")
    if path_parameters or "page" in query_parameters:
        codes.add("404")
    if path_parameters and method in UNSAFE_METHODS:
        codes.add("409")
    if has_body:
        codes |= {"413", "415"}
    return codes


def document_api_conventions(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook. Each operation's error answers, in the one shape (component `Error`);
    a view may document more codes with a description only (extend_schema), and they get the shape here too.
    An optional query parameter given empty is read as not given (django-filter, forms, pagination), except a
    list, whose every value must be one of its choices."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result["paths"].values():
        for method, operation in path_item.items():
            for parameter in operation.get("parameters", []):
                if (
                    parameter["in"] == "query"
                    and not parameter.get("required")
                    and parameter["schema"].get("type") != "array"
                ):
                    parameter["allowEmptyValue"] = True
            responses = operation["responses"]
            for code in sorted(_error_codes(method, operation)):
                responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
            for code, response in responses.items():
                if code.startswith("4"):
                    response.setdefault("content", error_content)
    return result


def axes_lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """django-axes lockout: JSON 429 for the API, a friendly page for the login form; both with Retry-After."""
    from axes.helpers import get_cool_off
    from django.shortcuts import render

    cool_off = get_cool_off(request)
    seconds = int(cool_off.total_seconds()) if cool_off else 900
    response: HttpResponse
    if is_api(request):
        response = JsonResponse(
            {"detail": "Too many failed logins. Try again later.", "errors": {}},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    else:
        response = render(request, "registration/locked_out.html", {"minutes": max(1, seconds // 60)}, status=429)
    response["Retry-After"] = str(seconds)
    return response
