"""Writes about staff: who they are, their one role, their team, their own settings."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.exceptions import InvalidInput, NotPermitted
from crm.models import Role, StaffProfile, Team
from crm.names import CONTROL_CHARACTERS
from crm.permissions import StaffUser, can_change_settings_of
from crm.times import validate_time_zone

User = get_user_model()


@transaction.atomic
def staff_create_or_update(
    *,
    username: str,
    role: str,
    email: str = "",
    password: str | None = None,
    display_name: str = "",
    team_name: str = "",
) -> StaffUser:
    """Create or update a staff user holding exactly one role, with a profile and a team."""
    username = username.strip()
    if not username:
        raise InvalidInput("A username is required.", errors={"username": ["This field may not be blank."]})
    if role not in Role.values:
        raise InvalidInput("Unknown role.", errors={"role": [f"Choose one of {', '.join(Role.values)}."]})
    if CONTROL_CHARACTERS.search(display_name):
        # The name customers see is also the name on every email to this person.
        raise InvalidInput("One line, please.", errors={"display_name": ["Remove line breaks and control characters."]})
    user, _ = User.objects.get_or_create(username=username)
    if email:
        user.email = email.strip()
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise InvalidInput("The password is too weak.", errors={"password": list(error.messages)}) from error
        user.set_password(password)
    elif not user.password:
        user.set_unusable_password()
    user.is_active = True
    user.save()
    user.groups.remove(*Group.objects.filter(name__in=Role.values).exclude(name=role))
    user.groups.add(Group.objects.get(name=role))

    profile, _ = StaffProfile.objects.get_or_create(user=user, defaults={"display_name": user.username})
    if display_name:
        profile.display_name = display_name.strip()
    if team_name:
        profile.team, _ = Team.objects.get_or_create(name=team_name.strip())
    profile.save()
    if role == Role.LEAD and profile.team is not None and profile.team.lead_id is None:
        profile.team.lead = user
        profile.team.save(update_fields=["lead"])
    return user


@transaction.atomic(durable=True)
def staff_set_time_zone(*, user: StaffUser, time_zone: str, by: StaffUser) -> StaffProfile:
    """Set the time zone `user`'s pages and emails show times in (blank: the site's). Only their own."""
    if not can_change_settings_of(by, user):
        raise NotPermitted("You can change only your own settings.")
    time_zone = time_zone.strip()
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        raise InvalidInput("Unknown time zone.", errors={"time_zone": list(error.messages)}) from error
    profile, _ = StaffProfile.objects.select_for_update().get_or_create(
        user=user, defaults={"display_name": user.username}
    )
    profile.time_zone = time_zone
    profile.save(update_fields=["time_zone"])
    user.staff_profile = profile  # the request's user shows the new zone at once
    return profile
