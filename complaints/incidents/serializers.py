from rest_framework import serializers

from complaints.models import OPEN_INCIDENT_STATUSES, Incident, IncidentUpdate, Severity
from crm.models import Service
from crm.staff.serializers import StaffRefOutput


class IncidentUpdateOutput(serializers.ModelSerializer):
    written_by = StaffRefOutput()

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


class IncidentOutput(serializers.ModelSerializer):
    services: "serializers.SlugRelatedField[Service]" = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    declared_by = StaffRefOutput()
    updates = IncidentUpdateOutput(many=True)

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


class IncidentInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20_000)
    services = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all(), many=True)
    regions = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list, max_length=100
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.HIGH)


class UpdateInput(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20_000)
    next_update_by = serializers.DateTimeField(required=False, allow_null=True, default=None)
    is_resolution = serializers.BooleanField(required=False, default=False)
    expected_recipients = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="Optional: the number of customers you expect to tell (say the last update's recipients). "
        "When it is no longer right nothing is sent: 409 with the current number in errors.expected_recipients, "
        "to confirm by sending again with it. Without it the update is sent to whoever is affected now.",
    )


class IncidentStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=OPEN_INCIDENT_STATUSES,
        help_text="How an open incident is going, shown on the public status page. Resolve it with a "
        "resolution update (POST incidents/{id}/updates/ with is_resolution), which tells customers.",
    )


class FailureOutput(serializers.Serializer):
    to_email = serializers.EmailField()
    last_error = serializers.CharField()
    attempts = serializers.IntegerField()


class DeliveriesOutput(serializers.Serializer):
    update = serializers.IntegerField()  # type: ignore[assignment]  # the key clients read, not Serializer.update
    recipients = serializers.IntegerField()
    fanned_out = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    failures = FailureOutput(many=True)
