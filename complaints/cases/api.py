"""Cases API: parse, call one service or selector, render. Cases are addressed by reference.

A case outside the caller's scope answers 404 (complaints.permissions.visible_cases); domain errors
map to 400/403/409 in config.api.exception_handler. The promise endpoints come from promises.api.
"""

from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import permissions
from complaints.cases import selectors, services
from complaints.cases.filters import CaseFilter
from complaints.cases.serializers import (
    AssignInput,
    CaseCreateInput,
    CaseDetailOutput,
    CaseListOutput,
    CaseUpdateInput,
    EscalateInput,
    EventOutput,
    HandoverInput,
    MessageInput,
    ReasonInput,
    ResolveInput,
    TextInput,
)
from complaints.models import Case
from complaints.promises.api import PromiseActions
from complaints.resolution import services as resolution
from config.pagination import CappedCountPagination
from crm.permissions import IsStaffMember, acting_staff
from crm.spreadsheets import csv_download


class CaseViewSet(PromiseActions, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsStaffMember]
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]+"
    filterset_class = CaseFilter
    serializer_class = CaseListOutput
    # Counting every case the caller sees grew with the table (12 to 35 ms of a first page at 100,000 cases):
    # the count stops at 1,000 and `count_capped` says when there are more, as on the customers list.
    pagination_class = CappedCountPagination

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return selectors.case_list(user=acting_staff(self.request))

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        description="The list with the same search and filters as a CSV file (leads and up).",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> StreamingHttpResponse:
        permissions.require_export_cases(acting_staff(request))
        cases = self.filter_queryset(self.get_queryset())
        return csv_download("cases.csv", selectors.CASE_EXPORT_HEADER, selectors.case_export_rows(cases))

    def _case(self) -> Case:
        try:
            return selectors.case_detail(user=acting_staff(self.request), reference=self.kwargs["reference"])
        except Case.DoesNotExist:
            raise Http404 from None

    def _render(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        """The case as it is after the caller's action, even when the action took it out of their sight
        (handed to another team under CASE_VISIBILITY=team): they just acted on it."""
        fresh = selectors.case_detail(user=acting_staff(self.request), reference=case.reference or "", scoped=False)
        return Response(CaseDetailOutput(fresh).data, status=code)

    def _case_to_take(self) -> Case:
        """Any case by reference, whoever's scope it is in: a case taken a moment ago by another team must
        answer 409 naming its owner, not 404 (the service decides)."""
        try:
            return selectors.case_detail(
                user=acting_staff(self.request), reference=self.kwargs["reference"], scoped=False
            )
        except Case.DoesNotExist:
            raise Http404 from None

    @extend_schema(request=CaseCreateInput, responses={201: CaseDetailOutput})
    def create(self, request: Request) -> Response:
        data = CaseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_create(by=acting_staff(request), **data.validated_data)
        return self._render(case, status.HTTP_201_CREATED)

    @extend_schema(responses=CaseDetailOutput)
    def retrieve(self, request: Request, reference: str | None = None) -> Response:
        return Response(CaseDetailOutput(self._case()).data)

    @extend_schema(request=CaseUpdateInput, responses=CaseDetailOutput)
    def partial_update(self, request: Request, reference: str | None = None) -> Response:
        data = CaseUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        case = services.case_update(case=self._case(), by=acting_staff(request), **data.validated_data)
        return self._render(case)

    @extend_schema(request=None, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def take(self, request: Request, reference: str | None = None) -> Response:
        return self._render(services.case_take(case=self._case_to_take(), agent=acting_staff(request)))

    @extend_schema(request=AssignInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, reference: str | None = None) -> Response:
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_assign(case=self._case_to_take(), by=acting_staff(request), **data.validated_data)
        return self._render(case)

    @extend_schema(request=HandoverInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def handover(self, request: Request, reference: str | None = None) -> Response:
        data = HandoverInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(services.case_handover(case=self._case(), by=acting_staff(request), **data.validated_data))

    @extend_schema(request=EscalateInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, reference: str | None = None) -> Response:
        data = EscalateInput(data=request.data)
        data.is_valid(raise_exception=True)
        collaborator = services.case_escalate(case=self._case(), by=acting_staff(request), **data.validated_data)
        return self._render(collaborator.case)

    @extend_schema(request=TextInput, responses={201: EventOutput})
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, reference: str | None = None) -> Response:
        data = TextInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.case_add_note(case=self._case(), by=acting_staff(request), **data.validated_data)
        return Response(EventOutput(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MessageInput, responses={201: EventOutput})
    @action(detail=True, methods=["post"])
    def messages(self, request: Request, reference: str | None = None) -> Response:
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.case_send_message(case=self._case(), by=acting_staff(request), **data.validated_data)
        return Response(EventOutput(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ResolveInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, reference: str | None = None) -> Response:
        data = ResolveInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(resolution.case_resolve(case=self._case(), by=acting_staff(request), **data.validated_data))

    @extend_schema(request=ReasonInput, responses=CaseDetailOutput)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, reference: str | None = None) -> Response:
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(resolution.case_reopen(case=self._case(), by=acting_staff(request), **data.validated_data))

    @extend_schema(
        parameters=[OpenApiParameter("order", str, enum=["oldest", "newest"], required=False)],
        responses=EventOutput(many=True),
        filters=False,
    )
    # One case's events, counted in full: every page of a long history stays reachable.
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=PageNumberPagination)
    def timeline(self, request: Request, reference: str | None = None) -> Response:
        events = selectors.case_timeline(case=self._case(), newest_first=request.query_params.get("order") == "newest")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(EventOutput(page, many=True).data)
