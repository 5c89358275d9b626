"""Cases API: parse, call one service or selector, render. Cases are addressed by reference.

A case outside the caller's scope answers 404 (complaints.permissions.visible_cases);
domain errors map to 400/403/409 in config.api.exception_handler.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from complaints import selectors, services
from complaints.api import serializers as s
from complaints.api.filters import CaseFilter
from complaints.models import Case, Promise
from crm.permissions import IsStaffMember


class CaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsStaffMember]
    lookup_field = "reference"
    lookup_value_regex = r"[A-Za-z0-9-]+"
    filterset_class = CaseFilter
    serializer_class = s.CaseListSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return selectors.case_list(user=self.request.user)

    def _case(self) -> Case:
        try:
            return selectors.case_detail(user=self.request.user, reference=self.kwargs["reference"])
        except Case.DoesNotExist:
            raise Http404 from None

    def _render(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.case_detail(user=self.request.user, reference=case.reference)
        return Response(s.CaseDetailSerializer(fresh).data, status=code)

    @extend_schema(request=s.CaseCreateSerializer, responses={201: s.CaseDetailSerializer})
    def create(self, request):
        data = s.CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_create(by=request.user, **data.validated_data)
        return self._render(case, status.HTTP_201_CREATED)

    @extend_schema(responses=s.CaseDetailSerializer)
    def retrieve(self, request, reference=None):
        return Response(s.CaseDetailSerializer(self._case()).data)

    @extend_schema(request=s.CaseUpdateSerializer, responses=s.CaseDetailSerializer)
    def partial_update(self, request, reference=None):
        data = s.CaseUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        case = services.case_update(case=self._case(), by=request.user, **data.validated_data)
        return self._render(case)

    @extend_schema(request=None, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, reference=None):
        return self._render(services.case_take(case=self._case(), agent=request.user))

    @extend_schema(request=s.HandoverSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def handover(self, request, reference=None):
        data = s.HandoverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(services.case_handover(case=self._case(), by=request.user, **data.validated_data))

    @extend_schema(request=s.EscalateSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, reference=None):
        data = s.EscalateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        collaborator = services.case_escalate(case=self._case(), by=request.user, **data.validated_data)
        return self._render(collaborator.case)

    @extend_schema(request=s.TextSerializer, responses={201: s.EventSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, reference=None):
        data = s.TextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.case_add_note(case=self._case(), by=request.user, **data.validated_data)
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MessageSerializer, responses={201: s.EventSerializer})
    @action(detail=True, methods=["post"])
    def messages(self, request, reference=None):
        data = s.MessageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.case_message_customer(case=self._case(), by=request.user, **data.validated_data)
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PromiseCreateSerializer, responses={201: s.PromiseSerializer})
    @action(detail=True, methods=["post"])
    def promises(self, request, reference=None):
        data = s.PromiseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        promise = services.promise_make(case=self._case(), by=request.user, **data.validated_data)
        return Response(s.PromiseSerializer(promise).data, status=status.HTTP_201_CREATED)

    def _promise(self, promise_id: int) -> Promise:
        return get_object_or_404(
            Promise.objects.select_related("made_by__staff_profile"), pk=promise_id, case=self._case()
        )

    @extend_schema(request=None, responses=s.PromiseSerializer)
    @action(detail=True, methods=["post"], url_path=r"promises/(?P<promise_id>\d+)/keep")
    def keep_promise(self, request, reference=None, promise_id=None):
        promise = services.promise_keep(promise=self._promise(promise_id), by=request.user)
        return Response(s.PromiseSerializer(promise).data)

    @extend_schema(request=s.RescheduleSerializer, responses=s.PromiseSerializer)
    @action(detail=True, methods=["post"], url_path=r"promises/(?P<promise_id>\d+)/reschedule")
    def reschedule_promise(self, request, reference=None, promise_id=None):
        data = s.RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        successor = services.promise_reschedule(
            promise=self._promise(promise_id), by=request.user, **data.validated_data
        )
        return Response(s.PromiseSerializer(successor).data)

    @extend_schema(request=s.ResolveSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, reference=None):
        data = s.ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(services.case_resolve(case=self._case(), by=request.user, **data.validated_data))

    @extend_schema(request=s.ReasonSerializer, responses=s.CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, reference=None):
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._render(services.case_reopen(case=self._case(), by=request.user, **data.validated_data))

    @extend_schema(
        parameters=[OpenApiParameter("order", str, enum=["oldest", "newest"], required=False)],
        responses=s.EventSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def timeline(self, request, reference=None):
        events = selectors.case_timeline(case=self._case(), newest_first=request.query_params.get("order") == "newest")
        page = self.paginate_queryset(events)
        return self.get_paginated_response(s.EventSerializer(page, many=True).data)
