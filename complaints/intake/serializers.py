from rest_framework import serializers

from complaints.validation import CUSTOMER_TEXT_MAX_LENGTH
from crm.models import Service


class PublicComplaintInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False)
    title = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=CUSTOMER_TEXT_MAX_LENGTH, allow_blank=True, trim_whitespace=False)
    outcome_wanted = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")
    order_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), required=False, allow_null=True, default=None
    )


class PublicComplaintOutput(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    detail = serializers.CharField(help_text="What happens next. The private status link is only ever emailed.")


class PublicMessageOutput(serializers.Serializer):
    sender = serializers.CharField(source="from", help_text="'you' or 'us'")
    at = serializers.DateTimeField()
    text = serializers.CharField()


class PublicPromiseOutput(serializers.Serializer):
    text = serializers.CharField()
    due_at = serializers.DateTimeField()


class PublicCaseOutput(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    subject = serializers.CharField()
    description = serializers.CharField(help_text="What the customer wrote when they complained.")
    opened_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    owner_first_name = serializers.CharField()
    promises = PublicPromiseOutput(many=True)
    messages = PublicMessageOutput(many=True)
    how_to_escalate = serializers.CharField()
