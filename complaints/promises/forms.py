"""The promise forms shown on the case page."""

from django import forms

from crm.forms import DATETIME_INPUT, DomainErrorsMixin, UtcDateTimeField


class PromiseForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(label="What we promise", max_length=500)
    due_at = UtcDateTimeField(label="By when", widget=DATETIME_INPUT)
    tell_customer = forms.BooleanField(
        label="Email the customer what we promise and by when", required=False, initial=True
    )


class KeepForm(DomainErrorsMixin, forms.Form):
    promise = forms.IntegerField(widget=forms.HiddenInput)


class RescheduleForm(DomainErrorsMixin, forms.Form):
    promise = forms.IntegerField(widget=forms.HiddenInput)
    due_at = UtcDateTimeField(label="New date", widget=DATETIME_INPUT)
    reason = forms.CharField(label="Why (the customer is told at once)", max_length=2_000)


class SettleForm(DomainErrorsMixin, forms.Form):
    """Withdraw or break a promise: the customer is told the reason."""

    promise = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Why (the customer is told at once)", max_length=2_000)
