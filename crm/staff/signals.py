"""API tokens end when the reason to trust them does: a new password, a deactivated account, no staff role.

(Sessions need nothing here: Django ends them on a password change, and refuses inactive users.)"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model
from django.db.models.signals import m2m_changed, pre_save
from knox.models import AuthToken

from crm.models import Role
from crm.permissions import StaffUser


def end_tokens_on_password_or_deactivation(
    sender: type[StaffUser], instance: StaffUser, raw: bool = False, **kwargs: Any
) -> None:
    if raw or instance.pk is None:
        return
    stored = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    if stored["password"] != instance.password or not instance.is_active:
        AuthToken.objects.filter(user_id=instance.pk).delete()


def end_tokens_without_a_staff_role(
    sender: type[Model],
    instance: StaffUser | Group,
    action: str,
    reverse: bool,
    pk_set: set[int] | None = None,
    **kwargs: Any,
) -> None:
    if action not in ("post_remove", "post_clear"):
        return
    User = get_user_model()
    # From the user's side (user.groups.remove) the instance is the user; from the group's side, pk_set holds users.
    user_ids = set(pk_set or ()) if reverse else {instance.pk}
    if reverse and action == "post_clear":
        user_ids = set(User.objects.filter(auth_token_set__isnull=False).values_list("pk", flat=True))
    without_role = User.objects.filter(pk__in=user_ids).exclude(groups__name__in=Role.values)
    AuthToken.objects.filter(user__in=without_role).delete()


def connect() -> None:
    User = get_user_model()
    pre_save.connect(end_tokens_on_password_or_deactivation, sender=User, dispatch_uid="crm.tokens.password")
    m2m_changed.connect(end_tokens_without_a_staff_role, sender=User.groups.through, dispatch_uid="crm.tokens.roles")
