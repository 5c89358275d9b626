"""Every write in crm: one function per user action, each in one transaction."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from crm.exceptions import InvalidInput
from crm.models import Customer, NameChange, Role, StaffProfile, Team
from crm.names import CONTROL_CHARACTERS
from crm.validation import NAME_FIELDS, clean_customer_fields

User = get_user_model()

# --- Staff ---------------------------------------------------------------------------


@transaction.atomic
def staff_create_or_update(
    *,
    username: str,
    role: str,
    email: str = "",
    password: str | None = None,
    display_name: str = "",
    team_name: str = "",
):
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


# --- Customers -----------------------------------------------------------------------


def _record_name_changes(customer: Customer, changes: dict, *, by) -> None:
    NameChange.objects.bulk_create(
        NameChange(customer=customer, field=field, before=before, after=after, changed_by=by)
        for field, (before, after) in changes.items()
    )


@transaction.atomic
def customer_create(*, by, **fields) -> Customer:
    """A new customer, names as they write them. `by` is the staff member, or None (public intake)."""
    cleaned = clean_customer_fields(fields)
    return Customer.objects.create(**cleaned)


@transaction.atomic
def customer_update(*, customer: Customer, by, **fields) -> Customer:
    """Change a customer; every change to a name field or the title is kept in the name history."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    cleaned = clean_customer_fields(fields, instance=customer)
    changes = {
        field: (getattr(customer, field), value)
        for field, value in cleaned.items()
        if field in NAME_FIELDS and getattr(customer, field) != value
    }
    for field, value in cleaned.items():
        setattr(customer, field, value)
    customer.save()
    _record_name_changes(customer, changes, by=by)
    return customer


@transaction.atomic
def customer_confirm_name(*, customer: Customer, by) -> Customer:
    """Record that the name, title and pronunciation were confirmed with the customer, by whom and when."""
    Customer.objects.filter(pk=customer.pk).update(name_confirmed_at=timezone.now(), name_confirmed_by=by)
    customer.refresh_from_db()
    return customer


@transaction.atomic
def customer_stop_service_notices(*, customer: Customer) -> Customer:
    """The customer's stop link in a notice: no more incident emails (crm.selectors.notices_token)."""
    Customer.objects.filter(pk=customer.pk).update(service_notices_opt_out=True)
    customer.refresh_from_db()
    return customer
