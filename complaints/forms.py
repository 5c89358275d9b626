"""Forms for the agent pages. They check shapes; the rules live in complaints.services."""

from django import forms
from django.contrib.auth import get_user_model

from complaints.models import AGENT_LOGGED_CHANNELS, Category, Channel, EscalationLevel, RootCause, Severity
from crm.exceptions import InvalidInput
from crm.forms import DomainErrorsMixin, UtcDateTimeField
from crm.models import Customer, Role
from crm.validation import clean_customer_fields

# Read in the site's TIME_ZONE (the current time zone) by DateTimeField, so "17:00" means 17:00 here.
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


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
    due_at = UtcDateTimeField(label="By when", widget=DATETIME_INPUT)


class KeepForm(DomainErrorsMixin, forms.Form):
    promise = forms.IntegerField(widget=forms.HiddenInput)


class RescheduleForm(DomainErrorsMixin, forms.Form):
    promise = forms.IntegerField(widget=forms.HiddenInput)
    due_at = UtcDateTimeField(label="New date", widget=DATETIME_INPUT)
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


# The new-customer fields of LogContactForm, passed to crm.services.customer_create as they are.
NEW_CUSTOMER_FIELDS = ("full_name", "title", "formal_name", "preferred_name", "name_pronunciation", "email", "phone")
LOGGED_CASE_FIELDS = ("channel", "subject", "description", "outcome_wanted", "category", "severity")


class LogContactForm(DomainErrorsMixin, forms.Form):
    """One form: find or create the customer, and open a case owned by me.

    `customer` is chosen with radio buttons the page draws from the customers it found (never a list of
    every customer), so the field itself is a plain number checked here."""

    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    full_name = forms.CharField(label="Full name, as they write it", required=False, max_length=200)
    title = forms.CharField(
        label="Title, only if they chose one", required=False, max_length=40, help_text="Never guessed from the name."
    )
    formal_name = forms.CharField(
        label="Name after the title", required=False, max_length=150, help_text="For “Dear Mrs Thomas” this is Thomas."
    )
    preferred_name = forms.CharField(label="Name they like to be called", required=False, max_length=100)
    name_pronunciation = forms.CharField(label="How to say their name", required=False, max_length=200)
    email = forms.CharField(
        label="Email", required=False, max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    not_a_duplicate = forms.BooleanField(label="None of the customers found is this person", required=False)
    channel = forms.ChoiceField(
        label="How they reached us",
        choices=[(c.value, c.label) for c in Channel if c in AGENT_LOGGED_CHANNELS],
        initial=Channel.PHONE,
    )
    subject = forms.CharField(max_length=200)
    description = forms.CharField(
        label="What the customer told us", widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000
    )
    outcome_wanted = forms.CharField(
        label="What they want", required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(active=True), required=False, to_field_name="slug"
    )
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.NORMAL)
    acknowledged_by_phone = forms.BooleanField(
        label="I acknowledged the complaint on the phone (the email still goes out if they have an address)",
        required=False,
    )

    def clean_customer(self) -> Customer | None:
        pk = self.cleaned_data["customer"]
        if pk is None:
            return None
        customer = Customer.objects.filter(pk=pk).first()
        if customer is None:
            raise forms.ValidationError("That customer no longer exists: search again.")
        return customer

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("customer") or "customer" in self.errors:
            return cleaned
        if not cleaned.get("full_name"):
            self.add_error("full_name", "Choose a customer found above, or give the new customer's name.")
        # The customer rules of crm.validation, here too, so every problem is named in one answer
        # (customer_create checks them again inside the transaction).
        typed = {field: cleaned[field] for field in NEW_CUSTOMER_FIELDS if field in cleaned and field != "full_name"}
        try:
            clean_customer_fields(typed)
        except InvalidInput as error:
            for field, messages in error.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned

    def new_customer(self) -> dict[str, str] | None:
        if self.cleaned_data["customer"] is not None:
            return None
        return {field: self.cleaned_data[field] for field in NEW_CUSTOMER_FIELDS}

    def case_fields(self) -> dict:
        return {field: self.cleaned_data[field] for field in LOGGED_CASE_FIELDS} | {
            "acknowledged_by_phone": self.cleaned_data["acknowledged_by_phone"]
        }


class ComplaintForm(DomainErrorsMixin, forms.Form):
    """The public complaint form: plain words, nothing required that we can do without."""

    field_aliases = {"full_name": "name"}

    name = forms.CharField(label="Your name, as you write it", max_length=200)
    title = forms.CharField(
        label="How should we address you? (optional, e.g. Ms, Dr, Mx)", required=False, max_length=40
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
    service = forms.ModelChoiceField(
        label="Which service is it about? (optional)",
        required=False,
        queryset=None,
        to_field_name="slug",
        empty_label="Not sure / other",
    )
    # Honeypot: hidden from people by CSS; bots fill it in.
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        from crm.models import Service

        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.all()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("email") and not cleaned.get("phone") and "email" not in self.errors:
            self.add_error("email", "Give an email address or a phone number, so we can answer you.")
        return cleaned


class CustomerReplyForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(label="Your message", widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000)


class RatingForm(DomainErrorsMixin, forms.Form):
    score = forms.TypedChoiceField(
        label="How did we do? (5 is best)",
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything to add? (optional)", required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CustomerReasonForm(DomainErrorsMixin, forms.Form):
    reason = forms.CharField(label="Tell us why", widget=forms.Textarea(attrs={"rows": 3}), max_length=5_000)


class IncidentForm(DomainErrorsMixin, forms.Form):
    title = forms.CharField(max_length=200, label="Title customers will understand")
    description = forms.CharField(
        required=False, label="Internal notes (never sent)", widget=forms.Textarea(attrs={"rows": 3})
    )
    services = forms.ModelMultipleChoiceField(queryset=None, to_field_name="slug", label="Affected services")
    regions = forms.CharField(required=False, max_length=500, label="Affected regions, comma separated (blank: all)")
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.HIGH)

    def __init__(self, *args, **kwargs):
        from crm.models import Service

        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.all()

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
    incident = forms.ModelChoiceField(queryset=None, required=False, empty_label="No incident")

    def __init__(self, *args, **kwargs):
        from complaints.models import Incident, IncidentStatus

        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = Incident.objects.exclude(status=IncidentStatus.RESOLVED)


class RejectedToCaseForm(DomainErrorsMixin, forms.Form):
    """A refused message made into the case it should have been; staff check who sent it."""

    field_aliases = {"full_name": "name"}

    email = forms.CharField(label="The customer's email address (check it against the message)", max_length=254)
    name = forms.CharField(label="Their name, as they write it", max_length=200)
    subject = forms.CharField(max_length=200, required=False, help_text="Blank: the first line of the text.")
    description = forms.CharField(label="What they wrote", widget=forms.Textarea(attrs={"rows": 10}), max_length=10_000)
