from typing import Any

from django.http import HttpRequest

from complaints import permissions as complaint_permissions
from crm.permissions import roles_of
from feedback import permissions as feedback_permissions
from recognition import permissions as recognition_permissions


def staff_roles(request: HttpRequest) -> dict[str, Any]:
    """What the navigation shows: only the pages this user may open, asked of each app's permissions."""
    user = getattr(request, "user", None)
    if user is None or not roles_of(user):
        return {"staff_roles": set(), "nav": {}}
    return {
        "staff_roles": roles_of(user),
        "nav": {
            "my_cases": complaint_permissions.can_own(user),
            "queue": complaint_permissions.can_take(user) or complaint_permissions.can_assign(user),
            "team": complaint_permissions.can_lead_team(user),
            "figures": complaint_permissions.can_see_figures(user),
            "incidents": complaint_permissions.can_see_incidents(user),
            "mail": complaint_permissions.can_review_inbound_mail(user),
            "review": feedback_permissions.can_decide(user),
            "moderate_stories": recognition_permissions.can_moderate(user),
        },
    }
