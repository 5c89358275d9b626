from django import template

from crm.names import staff_display_name
from crm.permissions import StaffUser

register = template.Library()


@register.filter
def staff_name(user: StaffUser | None) -> str:
    """{{ user|staff_name }}: the name customers and colleagues see, or "nobody"."""
    return staff_display_name(user) or "nobody"
