"""Forms of the suggestion pages. They check shapes; the rules are the services'."""

import re
from typing import Any

from django import forms

from crm.forms import DomainErrorsMixin
from feedback.models import Policy, SuggestionStatus
from feedback.suggestions.services import DECISIONS
from feedback.validation import COMMENT_MAX_LENGTH, SUGGESTION_TEXT_MAX_LENGTH

REFERENCE_SEPARATORS = re.compile(r"[\s,;]+")


def _text(label: str, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"rows": rows}), max_length=SUGGESTION_TEXT_MAX_LENGTH
    )


class SuggestionForm(DomainErrorsMixin, forms.Form):
    policy: "forms.ModelChoiceField[Policy]" = forms.ModelChoiceField(
        label="Which policy or system is it about?",
        queryset=Policy.objects.filter(active=True),
        required=False,
        empty_label="Other (say what below)",
    )
    subject = forms.CharField(label="In a line (required for 'other')", required=False, max_length=200)
    problem = _text("What goes wrong for customers, and how often")
    proposal = _text("What you propose instead")
    expected_benefit = _text("What it would change (fewer complaints, time saved, …)", rows=3)
    cases = forms.CharField(
        label="Cases that show the problem (references, e.g. GD-000123 GD-000456)", required=False, max_length=2_000
    )
    show_name = forms.BooleanField(
        label="Show my name to colleagues (untick to appear as 'a colleague'; managers deciding still see it)",
        required=False,
        initial=True,
    )

    def clean_cases(self) -> list[str]:
        return [r for r in REFERENCE_SEPARATORS.split(self.cleaned_data["cases"]) if r]


class EditForm(DomainErrorsMixin, forms.Form):
    subject = forms.CharField(label="In a line", max_length=200)
    problem = _text("What goes wrong for customers, and how often")
    proposal = _text("What you propose instead")
    expected_benefit = _text("What it would change", rows=3)
    show_name = forms.BooleanField(label="Show my name to colleagues", required=False)


class CommentForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=COMMENT_MAX_LENGTH)


class LinkCaseForm(DomainErrorsMixin, forms.Form):
    reference = forms.CharField(label="Another case that shows it (reference)", max_length=20)


class DecideForm(DomainErrorsMixin, forms.Form):
    status = forms.ChoiceField(
        label="Decision",
        choices=[(s, SuggestionStatus(s).label) for s in DECISIONS],
        widget=forms.RadioSelect,
    )
    decision = forms.CharField(
        label="Why (at least 30 characters for accept, decline or a question; the author and endorsers read it)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=SUGGESTION_TEXT_MAX_LENGTH,
    )


class ImplementedForm(DomainErrorsMixin, forms.Form):
    on = forms.DateField(label="Live since", widget=forms.DateInput(attrs={"type": "date"}))


class MergeForm(DomainErrorsMixin, forms.Form):
    into = forms.IntegerField(label="Merge into suggestion number", min_value=1)


class BoardFilterForm(forms.Form):
    """The board's filters, read from the query string; anything unreadable is simply not applied."""

    status = forms.ChoiceField(choices=[("", "any status"), *SuggestionStatus.choices], required=False)
    policy = forms.IntegerField(required=False, min_value=1)
    team = forms.IntegerField(required=False, min_value=1)
    mine = forms.BooleanField(required=False)
    overdue = forms.BooleanField(required=False)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "", False)}
