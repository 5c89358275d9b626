"""Every rule of who may see and do what in complaints: services, API, pages and the navigation all ask here.

- Every staff member finds and reads every case (CASE_VISIBILITY=all, the default). With
  CASE_VISIBILITY=team, agents and leads see the queue (unowned cases), cases owned by anyone in their
  team and cases they were escalated to; managers and executives still see all.
- The owner changes a case; so do the lead of the owner's team and managers.
- People the case was escalated to also write to the customer and make promises; ownership stays.
- Any staff member who can see a case may add an internal note.
- Leads assign queue cases to the agents of their teams; managers to any agent.
- Agents and leads take cases. Leads and managers lead teams (the team view), run incidents and
  read the mail that opened no case; executives also see incidents.
"""

from django.conf import settings
from django.db.models import Q, QuerySet

from complaints.models import Case, Collaborator, Promise
from crm.exceptions import NotPermitted
from crm.models import Role, StaffProfile, Team
from crm.permissions import StaffUser, roles_of
from crm.staff.selectors import active_in_roles

SEE_ALL_ROLES = {Role.MANAGER, Role.EXECUTIVE}
TAKE_ROLES = {Role.AGENT, Role.LEAD}
LEAD_TEAM_ROLES = {Role.LEAD, Role.MANAGER}
EXPORT_ROLES = {Role.LEAD, Role.MANAGER, Role.EXECUTIVE}
SEE_INCIDENTS_ROLES = {Role.LEAD, Role.MANAGER, Role.EXECUTIVE}
RUN_INCIDENTS_ROLES = {Role.LEAD, Role.MANAGER}
CHANGE_RULE = "Only the owner, their team lead or a manager can change this case."


def team_id_of(user: StaffUser) -> int | None:
    profile = getattr(user, "staff_profile", None)
    return profile.team_id if profile else None


def lead_of(user: StaffUser | None) -> StaffUser | None:
    """The lead of the user's team, or None (no user, no team, or a team without a lead)."""
    profile = getattr(user, "staff_profile", None) if user is not None else None
    return profile.team.lead if profile and profile.team_id else None


def leads_team_of(lead: StaffUser, owner: StaffUser) -> bool:
    """Whether `lead` is the lead of `owner`'s team."""
    profile = getattr(owner, "staff_profile", None)
    return bool(profile and profile.team_id and profile.team.lead_id == lead.pk)


def visible_cases(user: StaffUser, queryset: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """The cases `user` may know exist. Everything else answers 404."""
    queryset = Case.objects.all() if queryset is None else queryset
    roles = roles_of(user)
    if not roles:
        return queryset.none()
    if settings.CASE_VISIBILITY == "all" or roles & SEE_ALL_ROLES:
        return queryset
    # Owners as a short list of ids (the team is small), so the filter is plain indexed conditions
    # on the case table: no joins, no duplicates, and a count that stays cheap at 100,000 cases.
    team_id = team_id_of(user)
    owners = {user.pk}
    if team_id is not None:
        owners.update(StaffProfile.objects.filter(team_id=team_id).values_list("user_id", flat=True))
    escalated = Collaborator.objects.filter(user=user).values("case_id")
    return queryset.filter(Q(owner__isnull=True) | Q(owner_id__in=sorted(owners)) | Q(pk__in=escalated))


def can_see(user: StaffUser, case: Case) -> bool:
    return visible_cases(user).filter(pk=case.pk).exists()


def require_see(user: StaffUser, case: Case) -> None:
    if not can_see(user, case):
        raise NotPermitted("You cannot see this case.")


def can_change(user: StaffUser, case: Case) -> bool:
    roles = roles_of(user)
    if not roles:
        return False
    if case.owner_id == user.pk or Role.MANAGER in roles:
        return True
    return Role.LEAD in roles and case.owner is not None and leads_team_of(user, case.owner)


def require_change(user: StaffUser, case: Case) -> None:
    if not can_change(user, case):
        raise NotPermitted(CHANGE_RULE)


def is_collaborator(user: StaffUser, case: Case) -> bool:
    """Escalated to this case (by staff or because the customer asked for a manager)."""
    return Collaborator.objects.filter(case=case, user=user).exists()


def can_talk_to_customer(user: StaffUser, case: Case) -> bool:
    """Write to the customer and make promises: whoever may change the case, and the people it was escalated to."""
    return can_change(user, case) or (bool(roles_of(user)) and is_collaborator(user, case))


def require_talk_to_customer(user: StaffUser, case: Case) -> None:
    if not can_talk_to_customer(user, case):
        raise NotPermitted(
            "Only the owner, their team lead, a manager or someone the case was escalated to can do this."
        )


def can_settle(user: StaffUser, promise: Promise) -> bool:
    """Keep, reschedule, withdraw or break a promise: who may change its case, or whoever made it."""
    return can_change(user, promise.case) or (promise.made_by_id == user.pk and bool(roles_of(user)))


def require_settle(user: StaffUser, promise: Promise) -> None:
    if not can_settle(user, promise):
        raise NotPermitted(
            "Only whoever made this promise, the case's owner, their team lead or a manager can settle it."
        )


def can_take(user: StaffUser) -> bool:
    return bool(roles_of(user) & TAKE_ROLES)


def can_assign(user: StaffUser) -> bool:
    """Give queue cases their first owner: leads (to their teams' members) and managers (to anyone)."""
    return bool(roles_of(user) & LEAD_TEAM_ROLES)


def assignable_to(user: StaffUser) -> QuerySet[StaffUser]:
    """Whom `user` may give a queue case to: any agent or lead for a manager, a lead's own teams' for a lead."""
    people = active_in_roles(TAKE_ROLES)
    roles = roles_of(user)
    if Role.MANAGER in roles:
        return people
    if Role.LEAD in roles:
        return people.filter(staff_profile__team__lead=user)
    return people.none()


def can_assign_to(user: StaffUser, target: StaffUser) -> bool:
    return assignable_to(user).filter(pk=target.pk).exists()


def can_own(user: StaffUser) -> bool:
    """Cases are owned by agents and leads (a handover's target, too)."""
    return can_take(user)


def can_lead_team(user: StaffUser) -> bool:
    """The team view: cases, promises at risk and escalations of the teams a lead leads."""
    return bool(roles_of(user) & LEAD_TEAM_ROLES)


def can_see_incidents(user: StaffUser) -> bool:
    return bool(roles_of(user) & SEE_INCIDENTS_ROLES)


def can_run_incidents(user: StaffUser) -> bool:
    """Declare incidents, publish updates, retry failed notices."""
    return bool(roles_of(user) & RUN_INCIDENTS_ROLES)


def require_run_incidents(user: StaffUser) -> None:
    if not can_run_incidents(user):
        raise NotPermitted("Only leads and managers run incidents.")


def can_review_inbound_mail(user: StaffUser) -> bool:
    """Leads and managers read the mail that opened no case, and turn refused messages into cases."""
    return bool(roles_of(user) & LEAD_TEAM_ROLES)


def can_export_cases(user: StaffUser) -> bool:
    """Case lists as CSV files (customers' names in a file that leaves Gemdesk): leads and up, as figures."""
    return bool(roles_of(user) & EXPORT_ROLES)


def require_export_cases(user: StaffUser) -> None:
    if not can_export_cases(user):
        raise NotPermitted("Leads, managers and executives export case lists.")


FIGURES_ROLES = {Role.LEAD, Role.MANAGER, Role.EXECUTIVE}


def can_see_figures(user: StaffUser) -> bool:
    """The dashboard, GET figures/ and their CSV: leads (their teams) and up."""
    return bool(roles_of(user) & FIGURES_ROLES)


def figure_teams(user: StaffUser) -> list[int] | None:
    """The teams whose figures `user` sees: None for every team (managers and executives), else the teams a
    lead leads (maybe none). Agents see no figures: ask can_see_figures first."""
    roles = roles_of(user)
    if roles & SEE_ALL_ROLES:
        return None
    if Role.LEAD in roles:
        return sorted(Team.objects.filter(lead=user).values_list("pk", flat=True))
    return []


def require_see_figures(user: StaffUser, team: int | None = None) -> None:
    if not can_see_figures(user):
        raise NotPermitted("Leads, managers and executives see the figures.")
    teams = figure_teams(user)
    if team is not None and teams is not None and team not in teams:
        raise NotPermitted("You see the figures of the teams you lead.")
