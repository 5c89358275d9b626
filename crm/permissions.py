"""Who is staff, and the roles. Every staff role may read and edit customers; object rules live in
each app's permissions.py."""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from rest_framework.permissions import BasePermission

from crm.models import Role

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)

# A member of staff: a user holding one of the Role groups (Django's own user model).
StaffUser = User


def roles_of(user: User | AnonymousUser | None) -> set[str]:
    """The user's staff roles (cached on the user object for the request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    cached: set[str] | None = getattr(user, "_gemdesk_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        setattr(user, "_gemdesk_roles", cached)  # noqa: B010 - a cache on the request's user object
    return cached


def acting_staff(request: Any) -> StaffUser:
    """The staff member behind an API request that passed IsStaffMember (a User, never anonymous)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def is_staff_member(user: User | AnonymousUser | None) -> bool:
    return bool(roles_of(user))


class IsStaffMember(BasePermission):
    message = "Only Gemdesk staff can do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_staff_member(request.user)


def staff_required(view: Callable[..., ResponseT]) -> Callable[..., ResponseT]:
    """Page decorator: log in first, then 403 unless the user holds a staff role."""

    @functools.wraps(view)
    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> ResponseT:
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def can_export_personal_data(user: User | AnonymousUser | None) -> bool:
    """Managers, and staff given the permission crm.export_personal_data (the data protection officer)."""
    if not is_staff_member(user) or not isinstance(user, User):
        return False
    return Role.MANAGER in roles_of(user) or user.has_perm("crm.export_personal_data")


def can_erase_personal_data(user: User | AnonymousUser | None) -> bool:
    """Erasing a customer's personal data cannot be undone: managers only."""
    return Role.MANAGER in roles_of(user)


def can_change_settings_of(actor: User | AnonymousUser | None, user: User) -> bool:
    """Your settings (your time zone) are yours alone: nobody else's page or request changes them."""
    return actor is not None and actor.is_authenticated and actor.pk == user.pk and is_staff_member(actor)
