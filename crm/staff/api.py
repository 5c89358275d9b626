"""API tokens: POST auth/token/ (username and password), POST auth/logout/, POST auth/logout-all/.

Tokens come from django-rest-knox: stored hashed, expiring after TOKEN_TTL_HOURS, one per login
(per device). They end on logout, and for every device when the password changes, the account is
deactivated or the last staff role is removed (crm.staff.signals). Logins are counted by django-axes
(authenticate() with the request) and throttled by the "login" scope.
"""

from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.exceptions import InvalidInput, NotPermitted
from crm.permissions import is_staff_member


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class TokenView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        request=TokenInput,
        responses={
            200: inline_serializer(
                "TokenResponse", {"token": serializers.CharField(), "expiry": serializers.DateTimeField()}
            ),
            403: OpenApiResponse(description="The account holds no staff role."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        credentials = TokenInput(data=request.data)
        credentials.is_valid(raise_exception=True)
        # axes marks the Django request (not DRF's wrapper) when it locks out, so pass that one.
        user = authenticate(request=request._request, **credentials.validated_data)
        if user is None or not user.is_active:
            raise InvalidInput(
                "Unable to log in with these credentials.",
                errors={"non_field_errors": ["Wrong username or password, or the account is inactive."]},
            )
        if not is_staff_member(user):
            raise NotPermitted("Only Gemdesk staff can use the API.")
        instance, token = AuthToken.objects.create(user=user)
        return Response({"token": token, "expiry": instance.expiry}, status=status.HTTP_200_OK)


class LogoutView(KnoxLogoutView):
    """End the token this request was made with."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, format: str | None = None) -> Response:  # noqa: A002 - knox's signature
        return super().post(request, format)


class LogoutAllView(KnoxLogoutAllView):
    """End every token of the caller (all devices)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, format: str | None = None) -> Response:  # noqa: A002 - knox's signature
        return super().post(request, format)
