"""Public endpoints, no login: POST public/complaints/ (throttled per client address, like the form) and
GET public/cases/<token>/ (the status page's JSON twin: the token is the only key, an unknown one a 404)."""

from django.http import Http404
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import emails
from complaints.intake import selectors, services
from complaints.intake.next_steps import what_happens_next
from complaints.intake.serializers import PublicCaseOutput, PublicComplaintInput, PublicComplaintOutput
from complaints.intake.throttling import PublicComplaintThrottle
from complaints.models import Case


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PublicComplaintView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicComplaintThrottle]

    @extend_schema(request=PublicComplaintInput, responses={201: PublicComplaintOutput}, auth=[])
    def post(self, request: Request) -> Response:
        data = PublicComplaintInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.complaint_submit(**data.validated_data)
        # Never the status link: whoever typed an address may not own it. The link goes to that address.
        body = {"reference": case.reference, "status": case.status, "detail": what_happens_next(data.validated_data)}
        return Response(body, status=status.HTTP_201_CREATED)


class PublicCaseView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PublicCaseOutput, auth=[])
    def get(self, request: Request, token: str) -> Response:
        try:
            case = selectors.case_for_customer(token=token)
        except Case.DoesNotExist:
            raise Http404 from None
        view = selectors.customer_view_of(case)
        view["how_to_escalate"] = (
            f"Open {emails.status_url(case)} and choose 'Ask for a manager', "
            "or reply to any of our emails asking for one."
        )
        return Response(PublicCaseOutput(view).data)
