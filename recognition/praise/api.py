"""POST public/compliments/ (no login; throttled per client address like the form)."""

from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from recognition.praise import services
from recognition.praise.serializers import ComplimentInput, ComplimentOutput
from recognition.praise.throttling import PublicComplimentThrottle


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PublicComplimentView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicComplimentThrottle]

    @extend_schema(request=ComplimentInput, responses={201: ComplimentOutput}, auth=[])
    def post(self, request: Request) -> Response:
        data = ComplimentInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.compliment_submit(**data.validated_data)
        detail = "Thank you. We will pass your words on to the people you mean."
        return Response({"detail": detail}, status=status.HTTP_201_CREATED)
