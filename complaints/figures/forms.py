"""The figures' filter, one form for the dashboard, its CSV, the cases behind a figure and GET figures/:
a period (`from`, `to`: dates in TIME_ZONE, both included) and team, category, channel, service, root cause."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from complaints import permissions
from complaints.figures import selectors
from crm.permissions import StaffUser

# Dates outside these have no complaints, and the period before the earliest must still be a date.
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


class FigureFilterForm(forms.Form):
    def __init__(self, data: Any, *, user: StaffUser) -> None:
        super().__init__(data)
        self.scope = permissions.figure_teams(user)
        choices = selectors.filter_choices(self.scope)
        start, end = selectors.default_period()
        # "from" is a Python keyword, so the fields are added here rather than declared.
        self.fields["from"] = forms.DateField(required=False, initial=start, label="From", widget=_date())
        self.fields["to"] = forms.DateField(required=False, initial=end, label="To", widget=_date())
        every_team = "Every team" if self.scope is None else "All my teams"
        self.fields["team"] = forms.TypedChoiceField(
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", every_team), *choices["team"]],
            error_messages={"invalid_choice": "Choose one of the teams whose figures you see."},
        )
        for name, label in (
            ("category", "Every category"),
            ("channel", "Every channel"),
            ("root_cause", "Every root cause"),
        ):
            self.fields[name] = forms.ChoiceField(required=False, choices=[("", label), *choices[name]])
        self.fields["service"] = forms.TypedChoiceField(
            required=False, coerce=int, empty_value=None, choices=[("", "Every service"), *choices["service"]]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default_start, default_end = selectors.default_period()
        end = data.get("to") or default_end
        start = data.get("from") or (end - timedelta(days=default_end.toordinal() - default_start.toordinal()))
        if "from" in self.errors or "to" in self.errors:
            return data
        if start < EARLIEST or end > LATEST:
            raise ValidationError({"from" if start < EARLIEST else "to": f"Choose a date from {EARLIEST} to {LATEST}."})
        if start > end:
            raise ValidationError({"to": "The period ends before it starts."})
        if (end - start).days + 1 > selectors.MAX_PERIOD_DAYS:
            raise ValidationError({"from": f"Choose a period of at most {selectors.MAX_PERIOD_DAYS} days."})
        data["from"], data["to"] = start, end
        return data

    def figure_filter(self) -> selectors.FigureFilter:
        """Call after is_valid()."""
        data = self.cleaned_data
        return selectors.FigureFilter(
            start=data["from"],
            end=data["to"],
            team=data.get("team"),
            teams=None if self.scope is None else tuple(self.scope),
            category=data.get("category") or "",
            channel=data.get("channel") or "",
            service=data.get("service"),
            root_cause=data.get("root_cause") or "",
        )


def _date() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
