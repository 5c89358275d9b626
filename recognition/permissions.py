"""Every rule of who may see and do what in recognition: services, API, pages and the navigation ask here.

- Any staff member tells a colleague's story (never only their own) and gives kudos (once per story, never
  on a story about themselves) and comments on published stories.
- Leads and managers moderate: publish (choosing the kind when a customer told it) or decline with a
  reason the teller sees. Until then a story is seen by its teller and the moderators only.
- Leads see who in their teams has not been recognised this quarter; managers see it for every team.
"""

from django.db.models import Q, QuerySet

from crm.exceptions import NotPermitted
from crm.models import Role
from crm.permissions import StaffUser, roles_of
from recognition.models import Story, StoryStatus, TellerKind

MODERATE_ROLES = {Role.LEAD, Role.MANAGER}


def is_staff_member(user: StaffUser) -> bool:
    return bool(roles_of(user))


def require_staff(user: StaffUser) -> None:
    if not is_staff_member(user):
        raise NotPermitted("Only staff take part in the recognition board.")


def teller_kind_of(user: StaffUser) -> str:
    return TellerKind.MANAGER if roles_of(user) & MODERATE_ROLES else TellerKind.COLLEAGUE


def can_moderate(user: StaffUser) -> bool:
    return bool(roles_of(user) & MODERATE_ROLES)


def require_moderate(user: StaffUser) -> None:
    if not can_moderate(user):
        raise NotPermitted("Only leads and managers publish or decline stories.")


def visible_stories(user: StaffUser, stories: QuerySet[Story] | None = None) -> QuerySet[Story]:
    """Published stories for every staff member; pending and declined ones for their teller and moderators."""
    stories = Story.objects.all() if stories is None else stories
    if not is_staff_member(user):
        return stories.none()
    if can_moderate(user):
        return stories
    return stories.filter(Q(status=StoryStatus.PUBLISHED) | Q(teller=user))


def is_about(user: StaffUser, story: Story) -> bool:
    return any(person.pk == user.pk for person in story.about.all())


def can_give_kudos(user: StaffUser, story: Story) -> bool:
    return is_staff_member(user) and not is_about(user, story)


def can_see_team_figures(user: StaffUser) -> bool:
    """Who has not been recognised this quarter, stories per person: leads (their teams) and managers (all)."""
    return can_moderate(user)


def sees_every_team(user: StaffUser) -> bool:
    return Role.MANAGER in roles_of(user)
