from django import forms

from crm.forms import DomainErrorsMixin, HoneypotField
from recognition.validation import STORY_MAX_LENGTH


class ComplimentForm(DomainErrorsMixin, forms.Form):
    """The public compliment form: who, what they did, and (if they like) who the customer is."""

    about = forms.CharField(label="Who would you like to thank? (their name)", max_length=200)
    story = forms.CharField(
        label="What did they do?", widget=forms.Textarea(attrs={"rows": 6}), max_length=STORY_MAX_LENGTH
    )
    name = forms.CharField(label="Your name (optional)", required=False, max_length=200)
    email = forms.CharField(
        label="Your email (optional: we will tell you when we have passed it on)",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Honeypot: hidden from people, screen readers and the keyboard; bots fill it in.
    website = HoneypotField()
