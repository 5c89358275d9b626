from rest_framework import serializers

from complaints.validation import CUSTOMER_TEXT_MAX_LENGTH
from config.api import CheaplyCopiedInput
from crm.models import Service


class PublicComplaintInput(CheaplyCopiedInput):
    name = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False)
    title = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    formal_name = serializers.CharField(
        max_length=150,
        required=False,
        allow_blank=True,
        default="",
        help_text="The name that goes with the title ('Thomas' for 'Dear Ms Thomas'). A title without it is "
        "kept on the case for staff to confirm with the customer.",
    )
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
    late = serializers.BooleanField(help_text="Due and not yet kept: we are late on it.")


class PublicRatingOutput(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField(allow_blank=True)


class PublicResolutionOutput(serializers.Serializer):
    summary = serializers.CharField()
    resolved_at = serializers.DateTimeField()
    resolved_by_first_name = serializers.CharField(allow_blank=True)
    reopen_until = serializers.DateTimeField(
        allow_null=True, help_text="Until when the customer may reopen the case themselves (null: closed for good)."
    )
    rating = PublicRatingOutput(allow_null=True)


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
    resolution = PublicResolutionOutput(allow_null=True, help_text="Set while the case is resolved or closed.")
    messages = PublicMessageOutput(many=True)
    how_to_escalate = serializers.CharField()


# The status page's actions as JSON: the same rules and limits as the page's forms.


class PublicMessageInput(CheaplyCopiedInput):
    text = serializers.CharField(max_length=CUSTOMER_TEXT_MAX_LENGTH, trim_whitespace=False)


class PublicRatingInput(CheaplyCopiedInput):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="5 is best.")
    comment = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class PublicReasonInput(CheaplyCopiedInput):
    reason = serializers.CharField(max_length=5_000, trim_whitespace=False)


class PublicActionOutput(serializers.Serializer):
    detail = serializers.CharField(help_text="What happens next, as the status page says it.")
    case = PublicCaseOutput()
