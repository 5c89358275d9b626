"""Reads for case lists, queues, the case page and the team view, with the joins each screen needs,
so a page costs a fixed number of queries whatever its length."""

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case as DbCase
from django.db.models import Count, F, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from complaints import permissions
from complaints.models import (
    FINISHED_STATUSES,
    REFERENCE_PREFIX,
    UNFINISHED_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    Collaborator,
    EventKind,
    Promise,
    format_reference,
)
from crm.models import Customer
from crm.names import name_to_show
from crm.permissions import StaffUser


def with_list_joins(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("customer", "owner__staff_profile", "category")


def case_list(*, user: StaffUser) -> QuerySet[Case]:
    """Every case the user may see, newest first, ready for a list page (filters applied by the caller)."""
    return with_list_joins(permissions.visible_cases(user)).order_by("-opened_at", "-id")


# A name many customers share: cases are looked up for the first this many (the search page says so).
SEARCH_CUSTOMER_LIMIT = 500
REFERENCE_QUERY = re.compile(rf"^\s*(?:{REFERENCE_PREFIX.rstrip('-')}-?|#)?\s*0*(\d{{1,9}})\s*$", re.IGNORECASE)


def reference_typed(q: str) -> str | None:
    """The case reference in what was typed: GD-000123, gd-123, #123 and 123 all mean GD-000123."""
    match = REFERENCE_QUERY.match(q)
    return format_reference(int(match.group(1))) if match else None


def case_search_match(q: str) -> Q:
    """Cases whose reference or order reference is what was typed, or whose customer the one customer
    search finds (name in any script, email, phone in any format). Each branch is an indexed condition on
    the case table, so the database combines three index scans however many cases there are."""
    q = q.strip()[:200]
    if not q:
        return Q(pk__in=[])
    match = Q(order_reference__iexact=q) & ~Q(order_reference="")  # the partial index case_order_reference_idx
    reference = reference_typed(q)
    if reference is not None:
        match |= Q(reference=reference)
    customers = Customer.objects.search(q).order_by().values_list("pk", flat=True)[:SEARCH_CUSTOMER_LIMIT]
    customer_ids = list(customers)
    if customer_ids:
        match |= Q(customer_id__in=customer_ids)
    return match


def open_first(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Unfinished cases first, then the newest. Sorting the few matches beats walking the opened_at index
    backwards through 100,000 cases until enough of them match (46 ms against 4 ms for a name)."""
    finished = DbCase(When(status__in=FINISHED_STATUSES, then=Value(1)), default=Value(0))
    return cases.annotate(finished=finished).order_by("finished", "-opened_at", "-id")


def case_search(*, user: StaffUser, q: str) -> QuerySet[Case]:
    """The case search page: what the user may see that matches, unfinished first, newest first."""
    return open_first(with_list_joins(permissions.visible_cases(user).filter(case_search_match(q))))


def customer_cases(*, user: StaffUser, customer: Customer) -> QuerySet[Case]:
    """A customer's cases on their page: unfinished first, then the newest."""
    return open_first(with_list_joins(permissions.visible_cases(user).filter(customer=customer)))


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
    return with_list_joins(Case.objects.owned_by(user).unfinished()).order_by(
        F("next_promise_due_at").asc(nulls_last=True),
        F("awaiting_reply_since").asc(nulls_last=True),
        "opened_at",
        "id",
    )


def my_case_counters(*, user: StaffUser, now: datetime | None = None) -> dict[str, int]:
    """The counters above My cases: of the cases in its table (mine, unfinished), nothing else."""
    now = now or timezone.now()
    mine = Case.objects.owned_by(user).unfinished()
    counts = mine.aggregate(
        open=Count("pk", filter=Q(status__in=[CaseStatus.NEW, CaseStatus.OPEN])),
        waiting_on_customer=Count("pk", filter=Q(status=CaseStatus.WAITING_ON_CUSTOMER)),
        awaiting_our_reply=Count(
            "pk", filter=Q(status__in=[CaseStatus.NEW, CaseStatus.OPEN], awaiting_reply_since__isnull=False)
        ),
    )
    promises = (
        Promise.objects.open()
        .filter(case__in=mine)
        .aggregate(
            promises_open=Count("pk"),
            promises_at_risk=Count("pk", filter=Q(warn_at__lte=now, due_at__gt=now)),
            promises_overdue=Count("pk", filter=Q(due_at__lte=now)),
        )
    )
    return counts | promises


RECENTLY_RESOLVED_DAYS = 14


def my_recently_resolved(*, user: StaffUser, now: datetime | None = None) -> QuerySet[Case]:
    """My cases resolved in the last two weeks (closed since, too), newest first:
    where to look when a customer calls back about one."""
    since = (now or timezone.now()) - timedelta(days=RECENTLY_RESOLVED_DAYS)
    return with_list_joins(
        Case.objects.owned_by(user).filter(status__in=FINISHED_STATUSES, resolved_at__gte=since)
    ).order_by("-resolved_at", "-id")


def open_cases_of(*, user: StaffUser, customer_ids: list[int]) -> QuerySet[Case]:
    """The unfinished cases of these customers that the user may see, newest first."""
    cases = permissions.visible_cases(user).filter(status__in=UNFINISHED_STATUSES, customer_id__in=customer_ids)
    return cases.select_related("owner__staff_profile").order_by("-opened_at", "-id")


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
    return with_list_joins(Case.objects.unfinished().filter(owner__staff_profile__team__lead=lead)).order_by(
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
STAFF_KEYS = ("to", "to_owner", "from_owner", "owner", "previous_owner", "logged_by")


def usernames_in(events: list[CaseEvent]) -> set[str]:
    return {str(event.data[key]) for event in events for key in STAFF_KEYS if event.data.get(key)}


CASE_EXPORT_HEADER = [
    "reference",
    "opened",
    "status",
    "channel",
    "category",
    "service",
    "severity",
    "subject",
    "customer",
    "owner",
    "first reply",
    "resolved",
    "root cause",
]


def case_export_rows(cases: QuerySet[Case]) -> Iterator[list[Any]]:
    """The rows of a case list's CSV, read in chunks from a server-side cursor (constant memory at 100,000
    cases); times in the site's time zone."""

    def local(moment: datetime | None) -> str:
        return timezone.localtime(moment).isoformat(timespec="minutes") if moment else ""

    columns = cases.values_list(
        "reference",
        "opened_at",
        "status",
        "channel",
        "category__name",
        "service__name",
        "severity",
        "subject",
        "customer__full_name",
        "owner__username",
        "owner__staff_profile__display_name",
        "owner__first_name",
        "owner__last_name",
        "first_response_at",
        "resolved_at",
        "root_cause",
    )
    for row in columns.iterator(chunk_size=2000):
        (ref, opened, status, channel, category, service, severity, subject, customer) = row[:9]
        username, display, first, last, first_reply, resolved, root_cause = row[9:]
        owner = name_to_show(display, first or "", last or "", username) if username else ""
        yield [
            ref,
            local(opened),
            status,
            channel,
            category or "",
            service or "",
            severity,
            subject,
            customer,
            owner,
            local(first_reply),
            local(resolved),
            root_cause,
        ]
