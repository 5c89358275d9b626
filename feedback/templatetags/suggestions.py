from typing import Any

from django import template

from crm.names import staff_display_name
from feedback import permissions
from feedback.models import Suggestion

register = template.Library()


@register.simple_tag(takes_context=True)
def author_of(context: dict[str, Any], suggestion: Suggestion) -> str:
    """{% author_of suggestion %}: the author's name, or "a colleague" when they chose so and the reader is
    neither them nor a manager."""
    user = context["request"].user
    if permissions.can_see_author(user, suggestion):
        name = staff_display_name(suggestion.author)
        return name if suggestion.show_name else f"{name} (shown to colleagues as 'a colleague')"
    return "a colleague"
