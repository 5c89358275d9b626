from django import forms

from crm.forms import DomainErrorsMixin
from crm.models import ContactChannel
from crm.names import KnownTitle


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
    preferred_channel = forms.ChoiceField(
        label="Preferred channel", choices=ContactChannel.choices, initial=ContactChannel.EMAIL
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class NewCustomerForm(CustomerForm):
    not_a_duplicate = forms.BooleanField(
        label="None of the customers above is this person",
        required=False,
    )
