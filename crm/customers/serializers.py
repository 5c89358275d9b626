from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import ContactChannel, Customer
from crm.names import salutation
from crm.staff.serializers import StaffRefOutput
from crm.validation import EDITABLE_FIELDS


@extend_schema_field({"oneOf": [{"type": "string", "format": "email"}, {"type": "string", "maxLength": 0}]})
class EmailOrBlankField(serializers.EmailField):
    """An email address, or "" when there is none (drf-spectacular would document every value as an address)."""


class CustomerOutput(serializers.ModelSerializer):
    email = EmailOrBlankField(read_only=True)
    salutation = serializers.SerializerMethodField()
    name_confirmed_by = StaffRefOutput(allow_null=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            *EDITABLE_FIELDS,
            "salutation",
            "name_confirmed_at",
            "name_confirmed_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_salutation(self, customer: Customer) -> str:
        return salutation(customer)


class CustomerInput(serializers.Serializer):
    """What a client may set. The domain rules (titles, email, phone, control characters) live in
    crm.validation and answer 400 with the field; this layer only checks types."""

    full_name = serializers.CharField(allow_blank=True, trim_whitespace=False)
    preferred_name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    title = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    formal_name = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    pronouns = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    name_pronunciation = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    email = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    phone = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    address_line1 = serializers.CharField(required=False, allow_blank=True)
    address_line2 = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    postcode = serializers.CharField(required=False, allow_blank=True)
    country = serializers.CharField(required=False, allow_blank=True)
    language = serializers.CharField(required=False, allow_blank=True)
    preferred_channel = serializers.ChoiceField(choices=ContactChannel.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class SimilarQueryInput(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    email = serializers.CharField(required=False, allow_blank=True, default="", max_length=254)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class EraseInput(serializers.Serializer):
    reason = serializers.CharField(help_text="Why (their request, how and when it came): at least 10 characters.")
