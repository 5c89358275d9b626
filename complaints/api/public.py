"""Public endpoints: no login. Complaints are throttled per client address; the status link's
token is the only key to a case, and an unknown token is a plain 404."""

from django.conf import settings
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import selectors, services
from complaints.intake_messages import what_happens_next
from complaints.models import Case
from complaints.throttling import PublicComplaintThrottle
from crm.models import Service


class PublicComplaintSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False)
    title = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=settings.PUBLIC_TEXT_MAX_LENGTH, allow_blank=True, trim_whitespace=False
    )
    outcome_wanted = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")
    order_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), required=False, allow_null=True, default=None
    )


class PublicComplaintResponseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    detail = serializers.CharField(help_text="What happens next. The private status link is only ever emailed.")


def status_url(case: Case) -> str:
    return f"{settings.GEMDESK_BASE_URL}/status/{case.public_token}/"


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PublicComplaintView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicComplaintThrottle]

    @extend_schema(request=PublicComplaintSerializer, responses={201: PublicComplaintResponseSerializer}, auth=[])
    def post(self, request):
        data = PublicComplaintSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.complaint_submit(**data.validated_data)
        # Never the status link: whoever typed an address may not own it. The link goes to that address.
        body = {"reference": case.reference, "status": case.status, "detail": what_happens_next(data.validated_data)}
        return Response(body, status=status.HTTP_201_CREATED)


class PublicMessageSerializer(serializers.Serializer):
    sender = serializers.CharField(source="from", help_text="'you' or 'us'")
    at = serializers.DateTimeField()
    text = serializers.CharField()


class PublicPromiseSerializer(serializers.Serializer):
    text = serializers.CharField()
    due_at = serializers.DateTimeField()


class PublicCaseSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    subject = serializers.CharField()
    opened_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    owner_first_name = serializers.CharField()
    promises = PublicPromiseSerializer(many=True)
    messages = PublicMessageSerializer(many=True)
    how_to_escalate = serializers.CharField()


class PublicCaseView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PublicCaseSerializer, auth=[])
    def get(self, request, token: str):
        try:
            case = selectors.case_for_customer(token=token)
        except Case.DoesNotExist:
            raise Http404 from None
        view = selectors.customer_view_of(case)
        view.pop("description")
        view["how_to_escalate"] = (
            f"Open {status_url(case)} and choose 'Ask for a manager', or reply to any of our emails asking for one."
        )
        return Response(PublicCaseSerializer(view).data)
