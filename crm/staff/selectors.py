"""Reads about staff: who is active, who holds a role."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from crm.exceptions import InvalidInput
from crm.names import name_to_show, staff_display_name
from crm.permissions import StaffUser, roles_of


def active_staff_member(username: str, *, field: str) -> StaffUser:
    """The active staff member with this username, else InvalidInput naming `field`."""
    user = get_user_model().objects.filter(username=username, is_active=True).select_related("staff_profile").first()
    if user is None or not roles_of(user):
        raise InvalidInput("No such active staff member.", errors={field: [f"No active staff member '{username}'."]})
    return user


def first_active_in_role(role: str) -> StaffUser | None:
    """The first active holder of a role, by id: deterministic, so escalations always reach the same person."""
    return get_user_model().objects.filter(groups__name=role, is_active=True).order_by("pk").first()


def active_in_roles(roles: Iterable[str]) -> QuerySet[StaffUser]:
    """Active staff holding any of these roles, by username, with the names others see."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=list(roles))
        .select_related("staff_profile")
        .order_by("username")
        .distinct()
    )


def staff_choices(people: QuerySet[StaffUser]) -> list[tuple[str, str]]:
    """(username, the name they go by) for each of these people, for a list to choose from: one query, and
    no user built for each (with 550 staff, building them was most of the time of the case page's lists)."""
    columns = people.values_list("username", "staff_profile__display_name", "first_name", "last_name")
    return [(username, name_to_show(display, first, last, username)) for username, display, first, last in columns]


def staff_names(usernames: Iterable[str]) -> dict[str, str]:
    """The names staff go by, for these usernames (one query): what pages show instead of usernames."""
    wanted = {name for name in usernames if name}
    if not wanted:
        return {}
    people = get_user_model().objects.filter(username__in=wanted).select_related("staff_profile")
    return {person.username: staff_display_name(person) for person in people}
