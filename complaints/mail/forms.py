from django import forms

from crm.forms import DomainErrorsMixin


class RejectedToCaseForm(DomainErrorsMixin, forms.Form):
    """A refused message made into the case it should have been; staff check who sent it."""

    field_aliases = {"full_name": "name"}

    email = forms.CharField(label="The customer's email address (check it against the message)", max_length=254)
    name = forms.CharField(label="Their name, as they write it", max_length=200)
    subject = forms.CharField(max_length=200, required=False, help_text="Blank: the first line of the text.")
    description = forms.CharField(label="What they wrote", widget=forms.Textarea(attrs={"rows": 10}), max_length=10_000)
