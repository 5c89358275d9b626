"""Every rule of who may see and do what in feedback: services, API, pages and the navigation all ask here.

- Any staff member submits a suggestion, endorses others' (never their own), comments, and links a case
  they can see as evidence.
- The author edits it until review starts (and again while a manager asks them for information).
- Managers decide, merge and mark implemented (the policy's manager by default; any manager may), and
  manage policies. Everyone on the staff reads every suggestion.
- An author who chose not to show their name is "a colleague" to everyone but themselves and managers.
"""

from crm.exceptions import NotPermitted
from crm.models import Role
from crm.permissions import StaffUser, roles_of
from feedback.models import Suggestion

DECIDE_RULE = "Only managers decide, merge and mark suggestions implemented."


def is_staff_member(user: StaffUser) -> bool:
    return bool(roles_of(user))


def require_staff(user: StaffUser) -> None:
    if not is_staff_member(user):
        raise NotPermitted("Only staff take part in suggestions.")


def can_endorse(user: StaffUser, suggestion: Suggestion) -> bool:
    return is_staff_member(user) and suggestion.author_id != user.pk


def can_edit(user: StaffUser, suggestion: Suggestion) -> bool:
    return suggestion.author_id == user.pk and is_staff_member(user)


def require_edit(user: StaffUser, suggestion: Suggestion) -> None:
    if not can_edit(user, suggestion):
        raise NotPermitted("Only the author edits a suggestion.")


def can_decide(user: StaffUser) -> bool:
    return Role.MANAGER in roles_of(user)


def require_decide(user: StaffUser) -> None:
    if not can_decide(user):
        raise NotPermitted(DECIDE_RULE)


def can_manage_policies(user: StaffUser) -> bool:
    return Role.MANAGER in roles_of(user)


def require_manage_policies(user: StaffUser) -> None:
    if not can_manage_policies(user):
        raise NotPermitted("Only managers manage policies.")


def can_see_author(user: StaffUser | None, suggestion: Suggestion) -> bool:
    """Whether `user` may know who wrote it (`None`: an email to someone who is not a manager)."""
    if suggestion.show_name:
        return True
    return user is not None and (suggestion.author_id == user.pk or can_decide(user))
