from datetime import datetime

from django import template

from crm.names import staff_display_name
from crm.permissions import StaffUser

register = template.Library()


@register.filter
def staff_name(user: StaffUser | None) -> str:
    """{{ user|staff_name }}: the name customers and colleagues see, or "nobody"."""
    return staff_display_name(user) or "nobody"


@register.filter
def name_of(username: str | None, people: dict[str, str]) -> str:
    """{{ data.to_owner|name_of:people }}: the name a username goes by (people from crm.staff.selectors.staff_names)."""
    if not username:
        return ""
    return people.get(username, username)


@register.filter
def parse_iso(value: str | None) -> datetime | str:
    """{{ data.due_at|parse_iso }}: a time stored as ISO 8601 text in an event, shown like any other time."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return value
