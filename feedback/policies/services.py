"""Policies are kept by managers (on their page or in the admin): name, what it is, the manager who decides
suggestions about it, and the complaints it covers (categories and root causes)."""

from django.db import IntegrityError, transaction

from complaints.models import Category, RootCause
from crm.exceptions import InvalidInput
from crm.models import Role
from crm.permissions import StaffUser, roles_of
from feedback import permissions
from feedback.models import Policy
from feedback.validation import staff_text


@transaction.atomic(durable=True)
def policy_save(
    *,
    by: StaffUser,
    name: str,
    manager: StaffUser,
    description: str = "",
    categories: list[Category] | None = None,
    root_causes: list[str] | None = None,
    active: bool = True,
    policy: Policy | None = None,
) -> Policy:
    """Create a policy, or change `policy`. Suggestions already made keep the manager they were given."""
    permissions.require_manage_policies(by)
    errors: dict[str, list[str]] = {}
    name = staff_text(name, field="name", errors=errors, max_length=120)
    if Role.MANAGER not in roles_of(manager) or not manager.is_active:
        errors["manager"] = ["Choose an active manager: they decide the suggestions about this policy."]
    unknown = sorted(set(root_causes or []) - set(RootCause.values))
    if unknown:
        errors["root_causes"] = [f"Not a root cause: {', '.join(unknown)}."]
    if errors:
        raise InvalidInput("Some answers need another look.", errors=errors)
    policy = policy or Policy()
    policy.name, policy.description, policy.manager = name, (description or "").strip(), manager
    policy.root_causes, policy.active = sorted(set(root_causes or [])), active
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:
        raise InvalidInput("That name is taken.", errors={"name": ["Another policy has this name."]}) from None
    policy.categories.set(categories or [])
    return policy
