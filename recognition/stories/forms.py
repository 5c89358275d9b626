"""Forms of the story pages. They check shapes; the rules are the services'."""

from typing import Any, cast

from django import forms

from crm.forms import DomainErrorsMixin, StaffSelectMultiple
from crm.models import Role
from crm.staff.selectors import active_in_roles, staff_choices
from recognition.models import StoryKind
from recognition.validation import STORY_MAX_LENGTH


def _staff_choices(field: forms.Field) -> None:
    """Offer people by the names they go by (never a username typed in)."""
    cast(forms.MultipleChoiceField, field).choices = staff_choices(active_in_roles(Role.values))


class NominateForm(DomainErrorsMixin, forms.Form):
    about = forms.MultipleChoiceField(label="Who is it about?", widget=StaffSelectMultiple(attrs={"size": 8}))
    kind = forms.ChoiceField(label="What kind of story?", choices=StoryKind.choices, widget=forms.RadioSelect)
    story = forms.CharField(
        label="What did they do? (the customer's words, the moment, what changed for them)",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=STORY_MAX_LENGTH,
    )
    case = forms.CharField(label="The case, if there is one (reference)", required=False, max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _staff_choices(self.fields["about"])


class PublishForm(DomainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label="Kind", choices=StoryKind.choices, widget=forms.RadioSelect)
    about = forms.MultipleChoiceField(
        label="Who it is about (match a customer's words to the people they mean)",
        required=False,
        widget=StaffSelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _staff_choices(self.fields["about"])


class DeclineForm(DomainErrorsMixin, forms.Form):
    reason = forms.CharField(
        label="Why not (the teller reads this)", widget=forms.Textarea(attrs={"rows": 2}), max_length=2_000
    )


class CommentForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 2}), max_length=STORY_MAX_LENGTH)


class BoardFilterForm(forms.Form):
    """The board's filters from the query string; anything unreadable is simply not applied."""

    kind = forms.ChoiceField(choices=[("", "both kinds"), *StoryKind.choices], required=False)
    team = forms.IntegerField(required=False, min_value=1)
    person = forms.CharField(required=False, max_length=150)
    period = forms.ChoiceField(
        choices=[
            ("", "any time"),
            ("week", "this week"),
            ("month", "30 days"),
            ("quarter", "90 days"),
            ("year", "a year"),
        ],
        required=False,
    )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
