from typing import Any, cast

from django import forms

from complaints.models import Category, RootCause
from crm.forms import DomainErrorsMixin, StaffSelect
from crm.models import Role
from crm.staff.selectors import active_in_roles, staff_choices


class PolicyForm(DomainErrorsMixin, forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2_000)
    manager = forms.ChoiceField(label="Manager who decides suggestions about it", widget=StaffSelect)
    categories: "forms.ModelMultipleChoiceField[Category]" = forms.ModelMultipleChoiceField(
        label="Complaint categories it covers",
        queryset=Category.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    root_causes = forms.MultipleChoiceField(
        label="Root causes it covers", choices=RootCause.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(label="In use (offered to staff making suggestions)", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managers = staff_choices(active_in_roles([Role.MANAGER]))
        cast(forms.ChoiceField, self.fields["manager"]).choices = [("", "choose"), *managers]
