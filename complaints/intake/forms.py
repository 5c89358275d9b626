"""The public complaint form and the customer's forms on their status page."""

from typing import Any

from django import forms

from complaints.intake.services import CONTACT_REQUIRED
from crm.forms import DomainErrorsMixin, HoneypotField
from crm.models import Service


class ComplaintForm(DomainErrorsMixin, forms.Form):
    """The public complaint form: plain words, nothing required that we can do without."""

    field_aliases = {"full_name": "name"}

    name = forms.CharField(label="Your name, as you write it", max_length=200)
    title = forms.CharField(
        label="How should we address you? A title (optional, e.g. Ms, Dr, Mx; leave empty for none)",
        required=False,
        max_length=40,
    )
    formal_name = forms.CharField(
        label="The name that goes with your title (e.g. Thomas, for “Dear Ms Thomas”)",
        required=False,
        max_length=150,
    )
    email = forms.CharField(
        label="Email", required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    description = forms.CharField(label="What happened?", widget=forms.Textarea(attrs={"rows": 8}), max_length=10_000)
    outcome_wanted = forms.CharField(
        label="What would put it right for you? (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5_000,
    )
    order_reference = forms.CharField(label="Order or account number (optional)", required=False, max_length=100)
    service: "forms.ModelChoiceField[Service]" = forms.ModelChoiceField(
        label="Which service is it about? (optional)",
        required=False,
        queryset=Service.objects.all(),
        to_field_name="slug",
        empty_label="Not sure / other",
    )
    # Honeypot: hidden from people, screen readers and the keyboard; bots fill it in.
    website = HoneypotField()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("email") and not cleaned.get("phone") and "email" not in self.errors:
            self.add_error("email", CONTACT_REQUIRED)
        return cleaned


class CustomerReplyForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(label="Your message", widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000)


# The rating's options, each said in words ("4 (good)", read out as such, not a bare "4").
RATING_WORDS = {5: "excellent", 4: "good", 3: "all right", 2: "poor", 1: "very poor"}


class RatingForm(DomainErrorsMixin, forms.Form):
    # A group of radios: drawn as a fieldset whose legend is the question (templates/_field.html).
    score = forms.TypedChoiceField(
        label="How did we do? (5 is best)",
        coerce=int,
        choices=[(n, f"{n} ({RATING_WORDS[n]})") for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything to add? (optional)", required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CustomerReasonForm(DomainErrorsMixin, forms.Form):
    reason = forms.CharField(label="Tell us why", widget=forms.Textarea(attrs={"rows": 3}), max_length=5_000)
