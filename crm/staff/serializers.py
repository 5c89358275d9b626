from rest_framework import serializers

from crm.names import staff_display_name
from crm.permissions import StaffUser


class StaffRefOutput(serializers.Serializer):
    """How a staff member appears in API output: {username, display_name}."""

    username = serializers.CharField()
    display_name = serializers.SerializerMethodField()

    def get_display_name(self, user: StaffUser) -> str:
        return staff_display_name(user)
