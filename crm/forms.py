"""Form helpers every app's forms use: domain errors shown on the form, and times turned to UTC."""

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from crm.exceptions import Conflict, DomainError, NotPermitted


class DomainErrorsMixin(forms.Form):
    """Show a service's refusal on the form: each message at the field it names, the rest at the top.
    A conflict or refusal names a state ("status", "owner"), not something typed: its sentence goes on top."""

    # Service field names that a form calls differently, e.g. {"full_name": "name"}.
    field_aliases: dict[str, str] = {}

    def add_domain_error(self, error: DomainError) -> None:
        if isinstance(error, Conflict | NotPermitted) or not error.errors:
            self.add_error(None, error.detail)
            return
        for field, messages in error.errors.items():
            target = self.field_aliases.get(field, field)
            for message in messages or [error.detail]:
                self.add_error(target if target in self.fields else None, message)


class UtcDateTimeField(forms.DateTimeField):
    """A date and time in any offset Python reads, turned to UTC before it reaches PostgreSQL, which
    refuses offsets beyond 15:59 (`-22:10` was a 500, found by schemathesis). Without an offset it is
    read in the site's time zone, as DateTimeField does; a time UTC cannot hold is a form error."""

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


# A date and time picked in the browser, read in the site's TIME_ZONE (the current time zone), so
# "17:00" means 17:00 here.
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
