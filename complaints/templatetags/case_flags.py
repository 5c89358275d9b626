from typing import Any

from django import template

from complaints.cases.selectors import attention_flags
from complaints.models import Case

register = template.Library()


@register.inclusion_tag("complaints/cases/_flags.html")
def case_flags(case: Case) -> dict[str, Any]:
    """{% case_flags case %}: what needs the owner now, in words (nothing at all when nothing does)."""
    return {"flags": attention_flags(case)}
