"""GET policies/ and policies/{id}/: what suggestions can be about (managers change them on their pages)."""

from django.db.models import QuerySet
from rest_framework import viewsets

from crm.permissions import IsStaffMember
from feedback.models import Policy
from feedback.policies import selectors
from feedback.policies.serializers import PolicyOutput


class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsStaffMember]
    serializer_class = PolicyOutput
    filterset_class = None

    def get_queryset(self) -> QuerySet[Policy]:
        return selectors.policy_list()
