from crm.permissions import roles_of


def staff_roles(request) -> dict:
    """The user's roles, so the navigation shows only the pages they may open."""
    user = getattr(request, "user", None)
    return {"staff_roles": roles_of(user) if user is not None else set()}
