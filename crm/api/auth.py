"""POST /api/v1/auth/token/: username and password for a DRF token.

Counted by django-axes (authenticate() with the request) and throttled by the "login" scope.
"""

from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.exceptions import InvalidInput


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


@method_decorator(sensitive_post_parameters("password"), name="dispatch")
class TokenView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        credentials = TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # axes marks the Django request (not DRF's wrapper) when it locks out, so pass that one.
        user = authenticate(request=request._request, **credentials.validated_data)
        if user is None or not user.is_active:
            raise InvalidInput(
                "Unable to log in with these credentials.",
                errors={"non_field_errors": ["Wrong username or password, or the account is inactive."]},
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)
