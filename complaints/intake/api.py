"""Public endpoints, no login: POST public/complaints/ (throttled per client address, like the form),
GET public/cases/<token>/ (the status page's JSON twin: the token is the only key, an unknown one a 404)
and the status page's four actions, POST public/cases/<token>/messages|rating|reopen|escalate/, with the
page's rules, limits and answers."""

from typing import Any

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
from complaints.intake.customer_actions import CUSTOMER_ACTIONS
from complaints.intake.next_steps import what_happens_next
from complaints.intake.serializers import (
    PublicActionOutput,
    PublicCaseOutput,
    PublicComplaintInput,
    PublicComplaintOutput,
    PublicMessageInput,
    PublicRatingInput,
    PublicReasonInput,
)
from complaints.intake.throttling import PublicComplaintThrottle, StatusActionAddressThrottle, StatusActionLinkThrottle
from complaints.models import Case
from crm.exceptions import InvalidInput


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PublicComplaintView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicComplaintThrottle]

    @extend_schema(request=PublicComplaintInput, responses={201: PublicComplaintOutput}, auth=[])
    def post(self, request: Request) -> Response:
        data = PublicComplaintInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            case = services.complaint_submit(**data.validated_data)
        except InvalidInput as error:
            # The customer's service checks `full_name`; this API's field is `name`, as on the form.
            error.errors = {"name" if field == "full_name" else field: text for field, text in error.errors.items()}
            raise
        # Never the status link: whoever typed an address may not own it. The link goes to that address.
        body = {"reference": case.reference, "status": case.status, "detail": what_happens_next(data.validated_data)}
        return Response(body, status=status.HTTP_201_CREATED)


def _customer_case(token: str) -> Case:
    try:
        return selectors.case_for_customer(token=token)
    except Case.DoesNotExist:
        raise Http404 from None


def _public_view(case: Case) -> dict[str, Any]:
    view = selectors.customer_view_of(case)
    view["how_to_escalate"] = (
        f"Open {emails.status_url(case)} and choose 'Ask for a manager', or reply to any of our emails asking for one."
    )
    return view


class PublicCaseView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=PublicCaseOutput, auth=[])
    def get(self, request: Request, token: str) -> Response:
        return Response(PublicCaseOutput(_public_view(_customer_case(token))).data)


class PublicCaseActionView(APIView):
    """One of the status page's actions, named by `action` in each subclass."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    action = ""

    def get_throttles(self) -> list[Any]:
        # Per status link and per client address, counted together with the page's forms.
        return [StatusActionLinkThrottle(self.kwargs["token"]), StatusActionAddressThrottle()]

    def act(self, request: Request, token: str) -> Response:
        customer_action = CUSTOMER_ACTIONS[self.action]
        case = _customer_case(token)
        data = customer_action.payload(data=request.data)
        data.is_valid(raise_exception=True)
        detail = customer_action.perform(case, data.validated_data)
        body = {"detail": detail, "case": _public_view(selectors.case_for_customer(token=token))}
        code = status.HTTP_201_CREATED if customer_action.created else status.HTTP_200_OK
        return Response(PublicActionOutput(body).data, status=code)


class PublicMessageView(PublicCaseActionView):
    action = "reply"

    @extend_schema(request=PublicMessageInput, responses={201: PublicActionOutput}, auth=[])
    def post(self, request: Request, token: str) -> Response:
        """The customer writes on their case (a resolved one reopens within CUSTOMER_REOPEN_DAYS)."""
        return self.act(request, token)


class PublicRatingView(PublicCaseActionView):
    action = "rate"

    @extend_schema(request=PublicRatingInput, responses={201: PublicActionOutput}, auth=[])
    def post(self, request: Request, token: str) -> Response:
        """The customer rates their resolved case, once per resolution (again: 409)."""
        return self.act(request, token)


class PublicReopenView(PublicCaseActionView):
    action = "reopen"

    @extend_schema(request=PublicReasonInput, responses={200: PublicActionOutput}, auth=[])
    def post(self, request: Request, token: str) -> Response:
        """The customer reopens their resolved case within CUSTOMER_REOPEN_DAYS; the owner answers."""
        return self.act(request, token)


class PublicEscalateView(PublicCaseActionView):
    action = "escalate"

    @extend_schema(request=PublicReasonInput, responses={200: PublicActionOutput}, auth=[])
    def post(self, request: Request, token: str) -> Response:
        """The customer asks for a manager, who joins the case and promises an answer by a time."""
        return self.act(request, token)
