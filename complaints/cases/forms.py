"""Forms of the case page and of logging a call. They check shapes; the rules are the services'."""

import copy
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from complaints import permissions
from complaints.cases.services import NO_CONTACT_REASON_REQUIRED
from complaints.models import AGENT_LOGGED_CHANNELS, Case, CaseChannel, Category, EscalationLevel, RootCause, Severity
from complaints.validation import HANDOVER_REASON_MIN_LENGTH
from crm.customers.forms import CustomerForm
from crm.exceptions import InvalidInput
from crm.forms import DomainErrorsMixin, StaffSelect
from crm.models import Customer, Role
from crm.permissions import StaffUser
from crm.staff.selectors import active_in_roles, staff_choices
from crm.validation import clean_customer_fields


def _optional(field: forms.Field) -> forms.Field:
    field = copy.deepcopy(field)
    field.required = False
    return field


class NoteForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(
        label="Internal note (never shown to the customer)", widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000
    )


class MessageForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(
        label="Message to the customer (emailed)",
        help_text="The email begins with the greeting shown above your words and ends with the signature below them.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
    )
    await_reply = forms.BooleanField(label="Wait for their reply", required=False)


def _people(field: forms.Field, people: QuerySet[StaffUser], *, leave_out: int | None = None) -> None:
    """Offer staff by the names they go by (never a username typed in), leaving out e.g. the owner."""
    if leave_out is not None:
        people = people.exclude(pk=leave_out)
    cast(forms.ChoiceField, field).choices = [("", "choose"), *staff_choices(people)]


class CaseForm(DomainErrorsMixin, forms.Form):
    """An action form that may depend on the case (whom to offer); `case` is None for a blank form."""

    def __init__(self, *args: Any, case: Case | None = None, user: StaffUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case, self.user = case, user


class EscalateForm(CaseForm):
    level = forms.ChoiceField(
        label="Escalate to", choices=[("", "a named person")] + EscalationLevel.choices, required=False
    )
    to = forms.ChoiceField(label="Or this person", required=False, widget=StaffSelect)
    reason = forms.CharField(label="Reason", max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seniors = active_in_roles([Role.LEAD, Role.MANAGER, Role.EXECUTIVE])
        _people(self.fields["to"], seniors, leave_out=self.case.owner_id if self.case else None)


class HandoverForm(CaseForm):
    to = forms.ChoiceField(label="Hand over to", widget=StaffSelect)
    reason = forms.CharField(
        label=f"Reason (at least {HANDOVER_REASON_MIN_LENGTH} characters; the customer is told)",
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.case.owner_id if self.case else None
        _people(self.fields["to"], active_in_roles(permissions.TAKE_ROLES), leave_out=owner)


class AssignForm(CaseForm):
    """Leads offer the members of the teams they lead; managers every agent and lead."""

    to = forms.ChoiceField(label="Assign to", widget=StaffSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.user is not None:
            _people(self.fields["to"], permissions.assignable_to(self.user))
        else:
            cast(forms.ChoiceField, self.fields["to"]).choices = [("", "choose")]


class ResolveForm(DomainErrorsMixin, forms.Form):
    resolution_summary = forms.CharField(
        label="What we did", widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000
    )
    root_cause = forms.ChoiceField(label="Root cause", choices=[("", "choose")] + RootCause.choices)


class ReopenForm(DomainErrorsMixin, forms.Form):
    reason = forms.CharField(label="Why reopen", max_length=2_000)


# The new-customer fields of LogContactForm, passed to crm.customers.services.customer_create as they are.
NEW_CUSTOMER_FIELDS = ("full_name", "title", "formal_name", "preferred_name", "name_pronunciation", "email", "phone")
LOGGED_CASE_FIELDS = ("channel", "subject", "description", "outcome_wanted", "category", "severity")


class LogContactForm(DomainErrorsMixin, forms.Form):
    """One form: find or create the customer, and open a case owned by me.

    `customer` is chosen with radio buttons the page draws from the customers it found (never a list of
    every customer), so the field itself is a plain number checked here."""

    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # The customer's fields as crm's customer form declares them (labels and lengths live there), all
    # optional: a customer found above needs none of them.
    full_name = _optional(CustomerForm.base_fields["full_name"])
    title = _optional(CustomerForm.base_fields["title"])
    formal_name = _optional(CustomerForm.base_fields["formal_name"])
    preferred_name = _optional(CustomerForm.base_fields["preferred_name"])
    name_pronunciation = _optional(CustomerForm.base_fields["name_pronunciation"])
    email = _optional(CustomerForm.base_fields["email"])
    phone = _optional(CustomerForm.base_fields["phone"])
    not_a_duplicate = forms.BooleanField(label="None of the customers found is this person", required=False)
    no_contact_reason = forms.CharField(
        label="No email and no phone: why? (e.g. they would not give one; they will come back in person)",
        required=False,
        max_length=500,
    )
    channel = forms.ChoiceField(
        label="How they reached us",
        choices=[(c.value, c.label) for c in CaseChannel if c in AGENT_LOGGED_CHANNELS],
        initial=CaseChannel.PHONE,
    )
    subject = forms.CharField(max_length=200)
    description = forms.CharField(
        label="What the customer told us", widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000
    )
    outcome_wanted = forms.CharField(
        label="What they want", required=False, max_length=5_000, widget=forms.Textarea(attrs={"rows": 2})
    )
    category: "forms.ModelChoiceField[Category]" = forms.ModelChoiceField(
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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("customer") or "customer" in self.errors:
            return cleaned
        if not cleaned.get("full_name"):
            self.add_error("full_name", "Choose a customer found above, or give the new customer's name.")
        no_contact = not cleaned.get("email") and not cleaned.get("phone") and not {"email", "phone"} & set(self.errors)
        if no_contact and not cleaned.get("no_contact_reason", "").strip():
            self.add_error("no_contact_reason", NO_CONTACT_REASON_REQUIRED)
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

    def contact_fields(self) -> dict[str, Any]:
        """What case_log_contact takes besides the case: the customer found, or the new one's details."""
        return {
            "customer": self.cleaned_data["customer"],
            "new_customer": self.new_customer(),
            "no_contact_reason": self.cleaned_data["no_contact_reason"],
        }

    def case_fields(self) -> dict:
        return {field: self.cleaned_data[field] for field in LOGGED_CASE_FIELDS} | {
            "acknowledged_by_phone": self.cleaned_data["acknowledged_by_phone"]
        }
