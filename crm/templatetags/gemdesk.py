from datetime import date, datetime

from django import template
from django.utils.safestring import SafeString

from crm import times
from crm.names import staff_display_name
from crm.permissions import StaffUser

register = template.Library()


@register.filter
def staff_name(user: StaffUser | None) -> str:
    """{{ user|staff_name }}: the name customers and colleagues see, or "nobody"."""
    return staff_display_name(user) or "nobody"


@register.filter
def when(value: datetime | date | str | None, style: str = "") -> SafeString:
    """{{ value|when }}: the one way a page shows a time, in the viewer's time zone (crm.times):
    `<time datetime="2026-12-08T14:05:00+01:00" title="Tue 8 Dec 2026, 14:05 CET">in 3 h</time>`.
    Within 7 days it reads in words, rounded down ("just now", "in under a minute", "5 min ago", "in 3 h",
    "2 days ago"; a date: "today", "yesterday", "tomorrow", "in 3 days"); farther it reads absolute, like
    the hover title. `{{ value|when:"exact" }}` always reads absolute (a deadline after "by" or "until").
    Empty for None, so `{{ value|when|default:"—" }}` works."""
    return times.when_html(value, exact=style == "exact")


@register.filter
def absolute(value: datetime | date | str | None) -> str:
    """{{ value|absolute }}: "Tue 8 Dec 2026, 14:05 CET" (a date: "Tue 8 Dec 2026") in the current time
    zone, for emails and wherever words like "in 3 h" make no sense."""
    return times.absolute(value)
