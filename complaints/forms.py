"""Forms for the agent pages. They check shapes; the rules live in complaints.services."""

from django import forms
from django.contrib.auth import get_user_model

from complaints.models import AGENT_LOGGED_CHANNELS, Category, Channel, EscalationLevel, RootCause, Severity
from crm.models import Role

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class DomainErrorsMixin:
    def add_domain_errors(self, errors: dict[str, list[str]], detail: str) -> None:
        placed = False
        for field, messages in errors.items():
            for message in messages:
                if field in self.fields:
                    self.add_error(field, message)
                    placed = True
        if not placed:
            self.add_error(None, detail)


class NoteForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(
        label="Internal note (never shown to the customer)", widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000
    )


class MessageForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(
        label="Message to the customer (emailed)", widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000
    )
    await_reply = forms.BooleanField(label="Wait for their reply", required=False)


class PromiseForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(label="What we promise", max_length=500)
    due_at = forms.DateTimeField(label="By when", widget=DATETIME_INPUT)


class KeepForm(DomainErrorsMixin, forms.Form):
    promise = forms.IntegerField(widget=forms.HiddenInput)


class RescheduleForm(DomainErrorsMixin, forms.Form):
    promise = forms.IntegerField(widget=forms.HiddenInput)
    due_at = forms.DateTimeField(label="New date", widget=DATETIME_INPUT)
    reason = forms.CharField(label="Why (the customer is told at once)", max_length=2_000)


class EscalateForm(DomainErrorsMixin, forms.Form):
    level = forms.ChoiceField(
        label="Escalate to", choices=[("", "a named person")] + EscalationLevel.choices, required=False
    )
    to = forms.CharField(label="Person (username)", required=False, max_length=150)
    reason = forms.CharField(label="Reason", max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}))


def _owners():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[Role.AGENT, Role.LEAD])
        .select_related("staff_profile")
        .order_by("username")
        .distinct()
    )


class HandoverForm(DomainErrorsMixin, forms.Form):
    to = forms.ChoiceField(label="Hand over to")
    reason = forms.CharField(
        label="Reason (at least 15 characters; the customer is told)",
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [("", "choose")] + [
            (u.username, getattr(getattr(u, "staff_profile", None), "display_name", "") or u.username)
            for u in _owners()
        ]


class ResolveForm(DomainErrorsMixin, forms.Form):
    resolution_summary = forms.CharField(
        label="What we did", widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000
    )
    root_cause = forms.ChoiceField(label="Root cause", choices=[("", "choose")] + RootCause.choices)


class ReopenForm(DomainErrorsMixin, forms.Form):
    reason = forms.CharField(label="Why reopen", max_length=2_000)


class LogContactForm(DomainErrorsMixin, forms.Form):
    """One form: find or create the customer, and open a case owned by me."""

    customer = forms.IntegerField(label="Existing customer number", required=False)
    full_name = forms.CharField(label="New customer: full name, as they write it", required=False, max_length=200)
    title = forms.CharField(label="Their title, only if they chose one", required=False, max_length=40)
    email = forms.CharField(label="Email", required=False, max_length=254)
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    channel = forms.ChoiceField(
        choices=[(c.value, c.label) for c in Channel if c in AGENT_LOGGED_CHANNELS], initial=Channel.PHONE
    )
    subject = forms.CharField(max_length=200)
    description = forms.CharField(
        label="What the customer told us", widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000
    )
    outcome_wanted = forms.CharField(label="What they want", required=False, max_length=5_000)
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(active=True), required=False, to_field_name="slug"
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.NORMAL)
    not_a_duplicate = forms.BooleanField(label="None of the similar customers shown is this person", required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("customer") and not (cleaned.get("full_name") or "").strip():
            self.add_error("full_name", "Pick an existing customer or give the new customer's name.")
        return cleaned
