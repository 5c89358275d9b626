"""Case API shapes: outputs (what a client reads) and inputs (what it may send), kept apart."""

from django.db.models import QuerySet
from rest_framework import serializers

from complaints.models import Case, CaseChannel, CaseEvent, Category, Collaborator, EscalationLevel, RootCause, Severity
from complaints.promises.serializers import PromiseOutput
from crm.models import Customer
from crm.names import salutation, staff_display_name
from crm.staff.serializers import StaffRefOutput


class CustomerRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    salutation = serializers.SerializerMethodField()

    def get_salutation(self, customer: Customer) -> str:
        return salutation(customer)


class CollaboratorOutput(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    display_name = serializers.SerializerMethodField()
    level = serializers.CharField()
    reason = serializers.CharField()
    added_at = serializers.DateTimeField()

    def get_display_name(self, link: Collaborator) -> str:
        return staff_display_name(link.user)


class CaseListOutput(serializers.ModelSerializer):
    customer = CustomerRefOutput()
    owner = StaffRefOutput(allow_null=True)
    category: "serializers.SlugRelatedField[Category]" = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True
    )
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


class CaseDetailOutput(CaseListOutput):
    collaborators = CollaboratorOutput(source="collaborator_links", many=True)
    promises = PromiseOutput(many=True)

    class Meta(CaseListOutput.Meta):
        # Never the customer's status link: it acts as the customer (rates the case, reopens it, writes as
        # them), so it only ever goes by email to them.
        fields = [
            *CaseListOutput.Meta.fields,
            "description",
            "outcome_wanted",
            "collaborators",
            "promises",
            "acknowledged_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "root_cause",
            "resolution_summary",
            "resolved_on_first_contact",
            "intake_match",
        ]
        read_only_fields = fields


class EventOutput(serializers.ModelSerializer):
    actor = StaffRefOutput(allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "actor_kind", "actor", "created_at", "data"]
        read_only_fields = fields


# --- Input ----------------------------------------------------------------------------------------------------


def _active_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True)


class CaseCreateInput(serializers.Serializer):
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all())
    channel = serializers.ChoiceField(choices=CaseChannel.choices)
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=20_000, trim_whitespace=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=_active_categories(), required=False, allow_null=True
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, default=Severity.NORMAL)
    outcome_wanted = serializers.CharField(max_length=5_000, required=False, allow_blank=True, default="")


class CaseUpdateInput(serializers.Serializer):
    subject = serializers.CharField(max_length=200, required=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=_active_categories(), required=False, allow_null=True
    )
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    outcome_wanted = serializers.CharField(max_length=5_000, required=False, allow_blank=True)


class AssignInput(serializers.Serializer):
    to = serializers.CharField(max_length=150, help_text="The username of the agent or lead who will own the case.")


class HandoverInput(serializers.Serializer):
    to = serializers.CharField(max_length=150)
    reason = serializers.CharField(max_length=2_000)


class EscalateInput(serializers.Serializer):
    """A level (lead, manager, executive) or a person in `to`: the service says which is missing."""

    level = serializers.ChoiceField(choices=EscalationLevel.choices, required=False)
    to = serializers.CharField(max_length=150, required=False)
    reason = serializers.CharField(max_length=2_000)


class TextInput(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, trim_whitespace=False)


class MessageInput(TextInput):
    await_reply = serializers.BooleanField(required=False, default=False)


class ResolveInput(serializers.Serializer):
    resolution_summary = serializers.CharField(max_length=20_000)
    root_cause = serializers.ChoiceField(choices=RootCause.choices)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2_000)
