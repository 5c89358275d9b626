"""Forms for running incidents, and for linking a case to one."""

from django import forms
from django.http import QueryDict

from complaints.models import OPEN_INCIDENT_STATUSES, Incident, Severity
from complaints.validation import HEADER_CONTROL_CHARACTERS
from crm.forms import DATETIME_INPUT, DomainErrorsMixin, UtcDateTimeField
from crm.models import Service


class IncidentForm(DomainErrorsMixin, forms.Form):
    title = forms.CharField(max_length=200, label="Title customers will understand")
    description = forms.CharField(
        required=False, label="Internal notes (never sent)", widget=forms.Textarea(attrs={"rows": 3})
    )
    # One checkbox per service (the page draws them in a fieldset with a search box, static/js/filter-list.js).
    services: "forms.ModelMultipleChoiceField[Service]" = forms.ModelMultipleChoiceField(
        queryset=Service.objects.all(),
        to_field_name="slug",
        label="Affected services",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one affected service."},
    )
    regions = forms.CharField(required=False, max_length=500, label="Affected regions, comma separated (blank: all)")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.HIGH)

    def clean_regions(self) -> list[str]:
        return [r.strip() for r in self.cleaned_data["regions"].split(",") if r.strip()]


class IncidentUpdateForm(DomainErrorsMixin, forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        label="What customers are told (their salutation is added)",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
    )
    next_update_by = UtcDateTimeField(required=False, label="We will write again by", widget=DATETIME_INPUT)
    is_resolution = forms.BooleanField(required=False, label="This is the resolution (closes the incident)")

    def clean_subject(self) -> str:
        # The service refuses it too; refused here, the confirmation never offers to send it.
        subject: str = self.cleaned_data["subject"]
        if HEADER_CONTROL_CHARACTERS.search(subject):
            raise forms.ValidationError("Give a one-line subject.")
        return subject


def confirmed_recipients(data: QueryDict) -> int | None:
    """The number of customers the person saw on the confirmation (`confirm_recipients`), or None when
    they have not confirmed (missing or not a number): then the page asks, it never sends blind."""
    value = data.get("confirm_recipients", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


class IncidentStatusForm(DomainErrorsMixin, forms.Form):
    """How an open incident is going; resolving is the resolution update, not this."""

    status = forms.ChoiceField(
        choices=OPEN_INCIDENT_STATUSES,
        label="Status",
    )


class LinkIncidentForm(DomainErrorsMixin, forms.Form):
    incident: "forms.ModelChoiceField[Incident]" = forms.ModelChoiceField(
        queryset=Incident.objects.open().order_by("-started_at"), required=False, empty_label="No incident"
    )
