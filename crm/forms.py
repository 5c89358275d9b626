"""Form helpers every app's forms use: domain errors shown on the form, times turned to UTC, and lists of
staff drawn quickly."""

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

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
    read in the current time zone (the staff member's own on pages, the site's in the API), as DateTimeField
    does; a time UTC cannot hold is a form error."""

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


# A date and time picked in the browser, read in the current time zone (the staff member's own, set by
# config.middleware.StaffTimeZoneMiddleware), so "17:00" means 17:00 where they are.
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StaffSelect(forms.Select):
    """A select of staff (hand over to, escalate to, assign to, who a story is about), its options joined
    in Python. Django draws each option through a template of its own: with 550 staff the case
    page's two lists of people were 60 % of the page. Flat choices only; everything is escaped."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) in chosen else "", label) for key, label in self.choices),
        )
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        return format_html('<select name="{}"{}>{}</select>', name, flatatt(final_attrs), options)


class StaffSelectMultiple(StaffSelect, forms.SelectMultiple):
    """The same, for several people."""


class HoneypotField(forms.CharField):
    """A field people never see and bots fill in: a value means "a bot; thank it, keep nothing". The field
    template (templates/_field.html) hides its wrapper from screen readers (aria-hidden) and the stylesheet
    puts it out of sight; the input is left out of the keyboard's order and of autofill."""

    honeypot = True  # read by templates/_field.html

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Leave this empty")
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
        super().__init__(**kwargs)
