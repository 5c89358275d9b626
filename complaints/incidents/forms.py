"""Forms for running incidents, and for linking a case to one."""

from django import forms

from complaints.models import Incident, Severity
from crm.forms import DATETIME_INPUT, DomainErrorsMixin, UtcDateTimeField
from crm.models import Service


class IncidentForm(DomainErrorsMixin, forms.Form):
    title = forms.CharField(max_length=200, label="Title customers will understand")
    description = forms.CharField(
        required=False, label="Internal notes (never sent)", widget=forms.Textarea(attrs={"rows": 3})
    )
    services: "forms.ModelMultipleChoiceField[Service]" = forms.ModelMultipleChoiceField(
        queryset=Service.objects.all(), to_field_name="slug", label="Affected services"
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


class LinkIncidentForm(DomainErrorsMixin, forms.Form):
    incident: "forms.ModelChoiceField[Incident]" = forms.ModelChoiceField(
        queryset=Incident.objects.open().order_by("-started_at"), required=False, empty_label="No incident"
    )
