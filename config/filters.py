"""Query filters that answer 400 for a value they cannot read. django-filter's own BooleanFilter reads
anything but true/false/1/0 as "not given", its NumberFilter takes 0.5 for an id and its OrderingFilter
drops empty entries, so a mistyped filter returned the list as if it had been applied. An empty value is
still "not given", as everywhere."""

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

BOOLEAN_SPELLINGS = {"true": True, "1": True, "false": False, "0": False}


class StrictBooleanField(forms.Field):
    """true/false/1/0 in any case, empty for not given (forms.NullBooleanField reads anything else as not given)."""

    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        try:
            return BOOLEAN_SPELLINGS[str(value).lower()]
        except KeyError:
            raise ValidationError("Must be true or false.", code="invalid") from None


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class OrderingFilter(django_filters.OrderingFilter):
    """Refuses an empty entry ("ordering=,"): django-filter dropped it, and with none left the list lost
    its order, so its pages could repeat or skip rows."""

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        if value and not all(value):
            raise ValidationError({self.field_name: ["Name a field to order by in each entry."]})
        return super().filter(qs, value)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    """An id: a whole number (NumberFilter's decimal field would take 0.5)."""

    field_class = forms.IntegerField
