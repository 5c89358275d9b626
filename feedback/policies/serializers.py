from rest_framework import serializers

from complaints.models import Category
from crm.staff.serializers import StaffRefOutput
from feedback.models import Policy


class PolicyOutput(serializers.ModelSerializer):
    manager = StaffRefOutput()
    categories: "serializers.SlugRelatedField[Category]" = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    suggestions_count = serializers.IntegerField(read_only=True, default=None)
    waiting_count = serializers.IntegerField(read_only=True, default=None, help_text="Waiting for a decision.")

    class Meta:
        model = Policy
        fields = [
            "id",
            "name",
            "description",
            "manager",
            "categories",
            "root_causes",
            "active",
            "suggestions_count",
            "waiting_count",
        ]
        read_only_fields = fields
