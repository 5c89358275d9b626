from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.staff.serializers import StaffRefOutput
from recognition import permissions
from recognition.models import Comment, Story, StoryKind
from recognition.validation import STORY_MAX_LENGTH


class StoryCommentOutput(serializers.ModelSerializer):
    author = StaffRefOutput()

    class Meta:
        model = Comment
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = fields


class TellerOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="colleague, manager or customer")
    staff = StaffRefOutput(allow_null=True, help_text="Null when a customer told it.")


class StoryOutput(serializers.ModelSerializer):
    about = StaffRefOutput(many=True)
    teller = serializers.SerializerMethodField()
    case: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, allow_null=True
    )
    kudos_given = serializers.SerializerMethodField()
    decline_reason = serializers.SerializerMethodField(help_text="Shown to the teller and to moderators.")

    class Meta:
        model = Story
        fields = [
            "id",
            "about",
            "about_as_given",
            "kind",
            "status",
            "text",
            "case",
            "teller",
            "kudos_count",
            "kudos_given",
            "decline_reason",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields

    @extend_schema_field(TellerOutput)
    def get_teller(self, story: Story) -> dict[str, Any]:
        staff = dict(StaffRefOutput(story.teller).data) if story.teller is not None else None
        return {"kind": story.teller_kind, "staff": staff}

    def get_kudos_given(self, story: Story) -> bool:
        given = getattr(story, "kudos_given", None)
        if given is not None:
            return bool(given)
        return story.kudos.filter(user=self.context["request"].user).exists()

    def get_decline_reason(self, story: Story) -> str | None:
        user = self.context["request"].user
        if story.teller_id == user.pk or permissions.can_moderate(user):
            return story.decline_reason
        return None


class StoryDetailOutput(StoryOutput):
    comments = StoryCommentOutput(many=True)

    class Meta(StoryOutput.Meta):
        fields = [*StoryOutput.Meta.fields, "comments"]
        read_only_fields = fields


class StoryCreateInput(serializers.Serializer):
    about = serializers.ListField(child=serializers.CharField(max_length=150), min_length=1, max_length=50)
    kind = serializers.ChoiceField(choices=StoryKind.choices)
    story = serializers.CharField(max_length=STORY_MAX_LENGTH, trim_whitespace=False)
    case = serializers.CharField(max_length=20, required=False, allow_blank=True, allow_null=True, default=None)


class PublishInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=StoryKind.choices, required=False, allow_blank=True, default="")
    about = serializers.ListField(
        child=serializers.CharField(max_length=150), required=False, default=list, max_length=50
    )


class DeclineInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000)


class StoryCommentInput(serializers.Serializer):
    text = serializers.CharField(max_length=STORY_MAX_LENGTH)
