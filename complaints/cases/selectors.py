"""Reads for case lists, queues, the case page and the team view, with the joins each screen needs,
so a page costs a fixed number of queries whatever its length."""

from datetime import datetime

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from complaints import permissions
from complaints.models import (
    UNFINISHED_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    Collaborator,
    EventKind,
    Promise,
)
from crm.permissions import StaffUser


def _with_list_joins(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("customer", "owner__staff_profile", "category")


def case_list(*, user: StaffUser) -> QuerySet[Case]:
    """Every case the user may see, newest first, ready for a list page (filters applied by the caller)."""
    return _with_list_joins(permissions.visible_cases(user)).order_by("-opened_at", "-id")


def case_detail(*, user: StaffUser, reference: str, scoped: bool = True) -> Case:
    """One case by reference with everything its page and API show, if the user may see it
    (else Case.DoesNotExist, answered 404). A fixed number of queries, however many promises.
    `scoped=False` only for the answer to what the user just did to it (taking, handing over)."""
    cases = permissions.visible_cases(user) if scoped else Case.objects.all()
    return (
        cases.select_related("customer", "owner__staff_profile__team", "category", "service", "incident")
        .prefetch_related(
            Prefetch(
                "promises", queryset=Promise.objects.select_related("made_by__staff_profile").order_by("due_at", "id")
            ),
            Prefetch("collaborator_links", queryset=Collaborator.objects.select_related("user__staff_profile")),
            "attachments",
        )
        .get(reference=reference)
    )


def case_timeline(*, case: Case, newest_first: bool = False) -> QuerySet[CaseEvent]:
    order = ("-created_at", "-id") if newest_first else ("created_at", "id")
    return CaseEvent.objects.filter(case=case).select_related("actor__staff_profile").order_by(*order)


def my_cases(*, user: StaffUser) -> QuerySet[Case]:
    """Cases I own that are not finished: nearest promise due first, then the longest waiting for our answer."""
    return _with_list_joins(Case.objects.owned_by(user).unfinished()).order_by(
        F("next_promise_due_at").asc(nulls_last=True),
        F("awaiting_reply_since").asc(nulls_last=True),
        "opened_at",
        "id",
    )


def my_case_counters(*, user: StaffUser, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    counts = Case.objects.owned_by(user).aggregate(
        open=Count("pk", filter=Q(status__in=[CaseStatus.NEW, CaseStatus.OPEN])),
        waiting_on_customer=Count("pk", filter=Q(status=CaseStatus.WAITING_ON_CUSTOMER)),
        awaiting_our_reply=Count(
            "pk", filter=Q(status__in=[CaseStatus.NEW, CaseStatus.OPEN], awaiting_reply_since__isnull=False)
        ),
    )
    promises = (
        Promise.objects.open()
        .filter(case__owner=user)
        .aggregate(
            promises_open=Count("pk"),
            promises_at_risk=Count("pk", filter=Q(warn_at__lte=now)),
        )
    )
    return counts | promises


def team_queue(*, user: StaffUser) -> QuerySet[Case]:
    """Unowned cases waiting to be taken, oldest first."""
    return (
        Case.objects.unowned()
        .filter(status=CaseStatus.NEW)
        .select_related("customer", "category")
        .order_by("opened_at", "id")
    )


def team_cases(*, lead: StaffUser) -> QuerySet[Case]:
    """The unfinished cases owned by members of the teams this lead leads."""
    return _with_list_joins(Case.objects.unfinished().filter(owner__staff_profile__team__lead=lead)).order_by(
        F("next_promise_due_at").asc(nulls_last=True), "opened_at", "id"
    )


def escalations_waiting(*, user: StaffUser) -> QuerySet[Collaborator]:
    """Unfinished cases escalated to this person."""
    return (
        Collaborator.objects.filter(user=user, case__status__in=UNFINISHED_STATUSES)
        .select_related("case__customer", "case__owner__staff_profile", "added_by__staff_profile")
        .order_by("added_at", "id")
    )


def team_handover_count(*, lead: StaffUser) -> int:
    """The shuffle figure: handovers of cases now owned by the lead's team members."""
    return CaseEvent.objects.filter(kind=EventKind.HANDED_OVER, case__owner__staff_profile__team__lead=lead).count()


# The keys of event payloads that name a member of staff by username.
STAFF_KEYS = ("to", "to_owner", "from_owner", "owner", "previous_owner")


def usernames_in(events: list[CaseEvent]) -> set[str]:
    return {str(event.data[key]) for event in events for key in STAFF_KEYS if event.data.get(key)}
