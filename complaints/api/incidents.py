"""Incidents API (leads and up): declare, publish updates (the fan-out runs in Celery), watch deliveries."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from complaints import selectors, services
from complaints.models import Incident, IncidentUpdate, Severity
from crm.api.serializers import StaffRefSerializer
from crm.models import Role, Service
from crm.permissions import roles_of

INCIDENT_ROLES = {Role.LEAD, Role.MANAGER, Role.EXECUTIVE}


class IsLeadOrAbove(BasePermission):
    message = "Incidents are for leads, managers and executives."

    def has_permission(self, request, view) -> bool:
        return bool(roles_of(request.user) & INCIDENT_ROLES)


class IncidentUpdateSerializer(serializers.ModelSerializer):
    written_by = StaffRefSerializer()

    class Meta:
        model = IncidentUpdate
        fields = [
            "id",
            "subject",
            "body",
            "next_update_by",
            "is_resolution",
            "written_by",
            "published_at",
            "fanned_out_at",
            "recipients",
        ]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    services = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    declared_by = StaffRefSerializer()
    updates = IncidentUpdateSerializer(many=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "description",
            "services",
            "regions",
            "severity",
            "status",
            "started_at",
            "resolved_at",
            "declared_by",
            "updates",
        ]
        read_only_fields = fields


class IncidentCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)
    services = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all(), many=True)
    regions = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list, max_length=100
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.HIGH)


class UpdateCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20_000)
    next_update_by = serializers.DateTimeField(required=False, allow_null=True, default=None)
    is_resolution = serializers.BooleanField(required=False, default=False)


class FailureSerializer(serializers.Serializer):
    to_email = serializers.EmailField()
    last_error = serializers.CharField()
    attempts = serializers.IntegerField()


class DeliveriesSerializer(serializers.Serializer):
    update = serializers.IntegerField()
    recipients = serializers.IntegerField()
    fanned_out = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    failures = FailureSerializer(many=True)


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsLeadOrAbove]
    serializer_class = IncidentSerializer
    queryset = Incident.objects.select_related("declared_by__staff_profile").prefetch_related(
        "services", "updates__written_by__staff_profile"
    )
    filterset_fields = ["status"]

    @extend_schema(request=IncidentCreateSerializer, responses={201: IncidentSerializer})
    def create(self, request):
        data = IncidentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_declare(by=request.user, **data.validated_data)
        return Response(
            IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=UpdateCreateSerializer, responses={201: IncidentUpdateSerializer})
    @action(detail=True, methods=["post"])
    def updates(self, request, pk=None):
        data = UpdateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        update = services.incident_publish_update(incident=self.get_object(), by=request.user, **data.validated_data)
        return Response(IncidentUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DeliveriesSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_fields=None, pagination_class=None)
    def deliveries(self, request, pk=None):
        incident = self.get_object()
        return Response([selectors.delivery_counts(update=update) for update in incident.updates.all()])

    def get_object(self):
        try:
            return self.get_queryset().get(pk=int(self.kwargs["pk"]))
        except (Incident.DoesNotExist, ValueError):
            raise Http404 from None
