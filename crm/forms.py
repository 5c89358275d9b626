from datetime import UTC

from django import forms
from django.core.exceptions import ValidationError

from crm.exceptions import Conflict, DomainError, NotPermitted
from crm.models import Channel, KnownTitle


class DomainErrorsMixin:
    """Show a service's refusal on the form: each message at the field it names, the rest at the top.
    A conflict or refusal names a state ("status", "owner"), not something typed: its sentence goes on top."""

    # Service field names that a form calls differently, e.g. {"full_name": "name"}.
    field_aliases: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, Conflict | NotPermitted) or not error.errors:
            self.add_error(None, error.detail)
            return
        for field, messages in error.errors.items():
            target = self.field_aliases.get(field, field)
            for message in messages or [error.detail]:
                self.add_error(target if target in self.fields else None, message)


class UtcDateTimeField(forms.DateTimeField):
    """A date and time in any offset Python reads, turned to UTC before it reaches PostgreSQL, which
    refuses offsets beyond 15:59 (`-22:10` was a 500, found by schemathesis). Without an offset it is
    read in the site's time zone, as DateTimeField does; a time UTC cannot hold is a form error."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class CustomerForm(DomainErrorsMixin, forms.Form):
    """Names as the customer writes them. Domain rules live in crm.validation (via the services)."""

    full_name = forms.CharField(label="Full name, as they write it", max_length=200)
    title = forms.CharField(
        label="Title (only if they chose one)",
        required=False,
        max_length=40,
        help_text=f"For example {', '.join(KnownTitle.values)}, or their own. Leave blank for none.",
    )
    formal_name = forms.CharField(
        label="Name after the title",
        required=False,
        max_length=150,
        help_text="For 'Dear Mrs Thomas' this is 'Thomas'.",
    )
    preferred_name = forms.CharField(label="Name they like to be called", required=False, max_length=100)
    pronouns = forms.CharField(required=False, max_length=40)
    name_pronunciation = forms.CharField(label="How to say their name", required=False, max_length=200)
    email = forms.CharField(
        label="Email", required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    preferred_channel = forms.ChoiceField(label="Preferred channel", choices=Channel.choices, initial=Channel.EMAIL)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NewCustomerForm(CustomerForm):
    not_a_duplicate = forms.BooleanField(
        label="None of the customers above is this person",
        required=False,
    )
