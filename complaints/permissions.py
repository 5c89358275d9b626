"""Who may see and change a case. The one place these rules live; every rule has a test.

- Managers and executives see every case.
- Agents and leads see the team queue (unowned cases), cases owned by anyone in their team,
  and cases they were escalated to.
- The owner changes a case; so do the lead of the owner's team and managers.
- Any staff member who can see a case may add an internal note.
"""

from django.db.models import Q

from complaints.models import Case, Collaborator
from crm.models import Role, StaffProfile
from crm.permissions import roles_of

__all__ = ["roles_of", "visible_cases", "can_change", "can_take", "can_review_inbound_mail", "lead_of"]

SEE_ALL_ROLES = {Role.MANAGER, Role.EXECUTIVE}
TAKE_ROLES = {Role.AGENT, Role.LEAD}


def team_id_of(user) -> int | None:
    profile = getattr(user, "staff_profile", None)
    return profile.team_id if profile else None


def lead_of(user):
    """The lead of the user's team, or None (no user, no team, or a team without a lead)."""
    profile = getattr(user, "staff_profile", None) if user is not None else None
    return profile.team.lead if profile and profile.team_id else None


def leads_team_of(lead, owner) -> bool:
    """Whether `lead` is the lead of `owner`'s team."""
    profile = getattr(owner, "staff_profile", None)
    return bool(profile and profile.team_id and profile.team.lead_id == lead.pk)


def visible_cases(user, queryset=None):
    """The cases `user` may know exist. Everything else answers 404."""
    queryset = Case.objects.all() if queryset is None else queryset
    roles = roles_of(user)
    if not roles:
        return queryset.none()
    if roles & SEE_ALL_ROLES:
        return queryset
    # Owners as a short list of ids (the team is small), so the filter is plain indexed conditions
    # on the case table: no joins, no duplicates, and a count that stays cheap at 100,000 cases.
    team_id = team_id_of(user)
    owners = {user.pk}
    if team_id is not None:
        owners.update(StaffProfile.objects.filter(team_id=team_id).values_list("user_id", flat=True))
    escalated = Collaborator.objects.filter(user=user).values("case_id")
    return queryset.filter(Q(owner__isnull=True) | Q(owner_id__in=sorted(owners)) | Q(pk__in=escalated))


def can_change(user, case: Case) -> bool:
    roles = roles_of(user)
    if not roles:
        return False
    if case.owner_id == user.pk or Role.MANAGER in roles:
        return True
    return Role.LEAD in roles and case.owner_id is not None and leads_team_of(user, case.owner)


def can_take(user) -> bool:
    return bool(roles_of(user) & TAKE_ROLES)


def can_review_inbound_mail(user) -> bool:
    """Leads and managers read the mail that opened no case, and turn refused messages into cases."""
    return bool(roles_of(user) & {Role.LEAD, Role.MANAGER})
