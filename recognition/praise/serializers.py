from rest_framework import serializers

from recognition.validation import STORY_MAX_LENGTH


class ComplimentInput(serializers.Serializer):
    about = serializers.CharField(
        max_length=200, help_text="The person's name, or a case reference (then `token` is needed too)."
    )
    story = serializers.CharField(max_length=STORY_MAX_LENGTH, trim_whitespace=False)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    token = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="The case's private status token."
    )


class ComplimentOutput(serializers.Serializer):
    detail = serializers.CharField()
