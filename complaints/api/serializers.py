from django.conf import settings
from rest_framework import serializers

from complaints.models import Case, CaseEvent, Category, Channel, EscalationLevel, Promise, RootCause, Severity
from crm.api.serializers import StaffRefSerializer
from crm.models import Customer
from crm.names import salutation, staff_display_name


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    salutation = serializers.SerializerMethodField()

    def get_salutation(self, customer) -> str:
        return salutation(customer)


class PromiseSerializer(serializers.ModelSerializer):
    made_by = StaffRefSerializer()

    class Meta:
        model = Promise
        fields = [
            "id",
            "text",
            "due_at",
            "status",
            "made_at",
            "made_by",
            "warn_at",
            "settled_at",
            "replaces",
            "reschedule_reason",
        ]
        read_only_fields = fields


class CollaboratorSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    display_name = serializers.SerializerMethodField()
    level = serializers.CharField()
    reason = serializers.CharField()
    added_at = serializers.DateTimeField()

    def get_display_name(self, link) -> str:
        return staff_display_name(link.user)


class CaseListSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    owner = StaffRefSerializer(allow_null=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    next_promise_due_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "reference",
            "customer",
            "channel",
            "subject",
            "category",
            "severity",
            "status",
            "owner",
            "opened_at",
            "next_promise_due_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(serializers.ModelSerializer):
    customer = CustomerRefSerializer()
    owner = StaffRefSerializer(allow_null=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    collaborators = CollaboratorSerializer(source="collaborator_links", many=True)
    promises = PromiseSerializer(many=True)
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "reference",
            "customer",
            "channel",
            "subject",
            "description",
            "outcome_wanted",
            "category",
            "severity",
            "status",
            "owner",
            "collaborators",
            "promises",
            "opened_at",
            "acknowledged_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "root_cause",
            "resolution_summary",
            "resolved_on_first_contact",
            "intake_match",
            "status_url",
        ]
        read_only_fields = fields

    def get_status_url(self, case) -> str:
        return f"{settings.GEMDESK_BASE_URL}/status/{case.public_token}/"


class EventSerializer(serializers.ModelSerializer):
    actor = StaffRefSerializer(allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "actor_kind", "actor", "created_at", "data"]
        read_only_fields = fields


# --- Input -----------------------------------------------------------------------------


class CaseCreateSerializer(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    channel = serializers.ChoiceField(choices=Channel.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000, trim_whitespace=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.filter(active=True), required=False, allow_null=True
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.NORMAL)
    outcome_wanted = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class CaseUpdateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200, required=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.filter(active=True), required=False, allow_null=True
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    outcome_wanted = serializers.CharField(max_length=5_000, required=False, allow_blank=True)


class HandoverSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=150)
    reason = serializers.CharField(max_length=2_000)


class EscalateSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=EscalationLevel.choices, required=False)
    to = serializers.CharField(max_length=150, required=False)
    reason = serializers.CharField(max_length=2_000)

    def validate(self, attrs):
        if not attrs.get("level") and not attrs.get("to"):
            raise serializers.ValidationError(
                {"level": ["Give a level (lead, manager, executive) or a person in 'to'."]}
            )
        return attrs


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, trim_whitespace=False)


class MessageSerializer(TextSerializer):
    await_reply = serializers.BooleanField(required=False, default=False)


class PromiseCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    due_at = serializers.DateTimeField()


class RescheduleSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=2_000)


class ResolveSerializer(serializers.Serializer):
    resolution_summary = serializers.CharField(max_length=20_000)
    root_cause = serializers.ChoiceField(choices=RootCause.choices)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000)
