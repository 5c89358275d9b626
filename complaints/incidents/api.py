"""Incidents API: leads and managers declare, change the status and publish (the fan-out runs in Celery);
executives read; everyone of them watches deliveries."""

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from complaints import permissions
from complaints.incidents import selectors, services
from complaints.incidents.serializers import (
    DeliveriesOutput,
    IncidentInput,
    IncidentOutput,
    IncidentStatusInput,
    IncidentUpdateOutput,
    UpdateInput,
)
from complaints.models import Incident
from crm.permissions import acting_staff


class CanSeeIncidents(BasePermission):
    message = "Incidents are for leads, managers and executives."

    def has_permission(self, request: Any, view: Any) -> bool:
        return permissions.can_see_incidents(request.user)


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [CanSeeIncidents]
    serializer_class = IncidentOutput
    queryset = Incident.objects.select_related("declared_by__staff_profile").prefetch_related(
        "services", "updates__written_by__staff_profile"
    )
    filterset_fields = ["status"]

    @extend_schema(request=IncidentInput, responses={201: IncidentOutput})
    def create(self, request: Request) -> Response:
        data = IncidentInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_declare(by=acting_staff(request), **data.validated_data)
        return Response(IncidentOutput(self.get_queryset().get(pk=incident.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IncidentStatusInput, responses={200: IncidentOutput})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change how an open incident is going (investigating, identified, monitoring); 409 once resolved."""
        data = IncidentStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_change_status(
            incident=self.get_object(), by=acting_staff(request), **data.validated_data
        )
        return Response(IncidentOutput(self.get_queryset().get(pk=incident.pk)).data)

    @extend_schema(request=UpdateInput, responses={201: IncidentUpdateOutput})
    @action(detail=True, methods=["post"])
    def updates(self, request: Request, pk: str | None = None) -> Response:
        data = UpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        update = services.incident_publish_update(
            incident=self.get_object(), by=acting_staff(request), **data.validated_data
        )
        return Response(IncidentUpdateOutput(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DeliveriesOutput(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_fields=None, pagination_class=None)
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        incident = self.get_object()
        return Response(selectors.delivery_counts(updates=list(incident.updates.all())))

    def get_object(self) -> Incident:
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (Incident.DoesNotExist, ValueError):
            raise Http404 from None
