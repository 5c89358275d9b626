from rest_framework import serializers

from complaints.models import Promise
from crm.staff.serializers import StaffRefOutput


class PromiseOutput(serializers.ModelSerializer):
    made_by = StaffRefOutput()

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
            "kind",
            "overdue_at",
            "replaces",
            "reason",
        ]
        read_only_fields = fields


class PromiseInput(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    due_at = serializers.DateTimeField()
    tell_customer = serializers.BooleanField(
        required=False, default=True, help_text="Email the customer what and when."
    )


class SettleInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000, help_text="The customer is told.")


class RescheduleInput(serializers.Serializer):
    due_at = serializers.DateTimeField()
    reason = serializers.CharField(max_length=2_000)
