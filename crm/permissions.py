"""Who is staff. Every staff role may read and edit customers; object rules live in each app."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from crm.models import Role


def roles_of(user) -> set[str]:
    """The user's staff roles (cached on the user object for the request)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    cached = getattr(user, "_gemdesk_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        user._gemdesk_roles = cached
    return cached


def is_staff_member(user) -> bool:
    return bool(roles_of(user))


class IsStaffMember(BasePermission):
    message = "Only Gemdesk staff can do this."

    def has_permission(self, request, view) -> bool:
        return is_staff_member(request.user)


def staff_required(view):
    """Page decorator: log in first, then 403 unless the user holds a staff role."""

    @functools.wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
