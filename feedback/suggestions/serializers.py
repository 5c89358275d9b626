from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import Case
from crm.staff.serializers import StaffRefOutput
from feedback import permissions
from feedback.models import Comment, Policy, Suggestion
from feedback.suggestions.services import DECISIONS
from feedback.validation import COMMENT_MAX_LENGTH, SUGGESTION_TEXT_MAX_LENGTH


class PolicyRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SuggestionListOutput(serializers.ModelSerializer):
    policy = PolicyRefOutput(allow_null=True)
    author = serializers.SerializerMethodField(help_text="Null when the author chose to appear as 'a colleague'.")
    status_label = serializers.CharField(source="get_status_display")
    deciding_manager = StaffRefOutput(allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "subject",
            "policy",
            "status",
            "status_label",
            "author",
            "endorsement_count",
            "case_count",
            "deciding_manager",
            "submitted_at",
            "decision_due_at",
            "overdue",
            "implemented_on",
            "merged_into",
        ]
        read_only_fields = fields

    @extend_schema_field(StaffRefOutput(allow_null=True))
    def get_author(self, suggestion: Suggestion) -> dict[str, Any] | None:
        if not permissions.can_see_author(self.context["request"].user, suggestion):
            return None
        return dict(StaffRefOutput(suggestion.author).data)

    def get_overdue(self, suggestion: Suggestion) -> bool:
        return suggestion.is_overdue()


class SuggestionCommentOutput(serializers.ModelSerializer):
    author = StaffRefOutput()

    class Meta:
        model = Comment
        fields = ["id", "author", "text", "created_at", "moved_from"]
        read_only_fields = fields


class SuggestionDetailOutput(SuggestionListOutput):
    cases: "serializers.SlugRelatedField[Case]" = serializers.SlugRelatedField(
        slug_field="reference", many=True, read_only=True
    )
    comments = SuggestionCommentOutput(many=True)
    decided_by = StaffRefOutput(allow_null=True)
    show_name = serializers.SerializerMethodField(help_text="Only for the author and managers; null otherwise.")

    class Meta(SuggestionListOutput.Meta):
        fields = [
            *SuggestionListOutput.Meta.fields,
            "problem",
            "proposal",
            "expected_benefit",
            "cases",
            "decision",
            "decided_by",
            "decided_at",
            "comments",
            "show_name",
        ]
        read_only_fields = fields

    def get_show_name(self, suggestion: Suggestion) -> bool | None:
        user = self.context["request"].user
        return suggestion.show_name if user.pk == suggestion.author_id or permissions.can_decide(user) else None


def _text(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=SUGGESTION_TEXT_MAX_LENGTH, **kwargs)


class SuggestionCreateInput(serializers.Serializer):
    policy = serializers.PrimaryKeyRelatedField(
        queryset=Policy.objects.all(), required=False, allow_null=True, default=None
    )
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    problem = _text()
    proposal = _text()
    expected_benefit = _text()
    cases = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, default=list, max_length=100
    )
    show_name = serializers.BooleanField(required=False, default=True)


class SuggestionUpdateInput(serializers.Serializer):
    subject = serializers.CharField(max_length=200, required=False)
    problem = _text(required=False)
    proposal = _text(required=False)
    expected_benefit = _text(required=False)
    show_name = serializers.BooleanField(required=False)


class SuggestionCommentInput(serializers.Serializer):
    text = serializers.CharField(max_length=COMMENT_MAX_LENGTH)


class DecideInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=list(DECISIONS))
    decision = serializers.CharField(
        max_length=SUGGESTION_TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class ImplementedInput(serializers.Serializer):
    on = serializers.DateField(help_text="The day the change went live (not in the future, not before acceptance).")


class MergeInput(serializers.Serializer):
    into = serializers.IntegerField(min_value=1)


class LinkCaseInput(serializers.Serializer):
    reference = serializers.CharField(max_length=20)
