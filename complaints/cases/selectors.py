"""Reads for case lists, queues, the case page and the team view, with the joins each screen needs,
so a page costs a fixed number of queries whatever its length."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Case as DbCase
from django.db.models import Count, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.fields.json import KT
from django.utils import timezone

from complaints import permissions
from complaints.models import (
    FINISHED_STATUSES,
    REFERENCE_PREFIX,
    UNFINISHED_STATUSES,
    ActorKind,
    Case,
    CaseEvent,
    CaseStatus,
    Collaborator,
    EventKind,
    Promise,
    format_reference,
)
from complaints.promises.selectors import reply_due
from crm.models import Customer, StaffProfile
from crm.names import name_to_show
from crm.permissions import StaffUser


def with_list_joins(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.select_related("customer", "owner__staff_profile", "category")


def with_attention(cases: QuerySet[Case]) -> QuerySet[Case]:
    """What needs the owner now, read from each case's events inside the list's one query (an EXISTS each,
    on the events' timeline index), so a list costs the same queries for 3 rows or 300. `attention_flags`
    turns them, with the case's own fields, into the flags a row shows."""
    # "Since it opened" is always true (nothing happens to a case before it opens), and it is what keeps each
    # EXISTS a probe of the listed cases' own events on case_event_timeline_idx: on the case id alone,
    # PostgreSQL hashed every event of each kind in the table instead (at 1,000,000 events the queue took 0.5 s
    # and the team view up to 2.5 s; with it the queue takes 1 ms, and the team view's 200 rows 16 ms more
    # than without the flags).
    events = CaseEvent.objects.filter(case=OuterRef("pk"), created_at__gte=OuterRef("opened_at"))
    # Our messages to the customer at or after the outer event.
    ours_since = CaseEvent.objects.filter(
        case=OuterRef("case"), kind=EventKind.MESSAGE_OUT, created_at__gte=OuterRef("created_at")
    )
    # The customer asked for a manager (on the status page): unanswered until the person they were given
    # writes to them (anyone of us, when nobody senior was there to give them).
    asked = events.filter(kind=EventKind.ESCALATED, actor_kind=ActorKind.CUSTOMER).annotate(asked=KT("data__to"))
    unanswered = (Q(asked__isnull=False) & ~Exists(ours_since.filter(actor__username=OuterRef("asked")))) | (
        Q(asked__isnull=True) & ~Exists(ours_since)
    )
    return cases.annotate(
        customer_wrote_last=Exists(events.filter(kind=EventKind.MESSAGE_IN).filter(~Exists(ours_since))),
        asked_for_manager=Exists(asked.filter(unanswered)),
        was_reopened=Exists(events.filter(kind=EventKind.REOPENED)),
        complained_from_outside=Exists(events.filter(kind=EventKind.CREATED, actor_kind=ActorKind.CUSTOMER)),
    )


@dataclass(frozen=True)
class Flag:
    """One thing a list row says needs the owner now. `kind` is also its CSS class (colour added to the
    words, never instead of them)."""

    kind: str
    label: str
    when: datetime | None = None


def first_reply_due(case: Case) -> datetime:
    """When the acknowledgement told the customer to expect our first answer (the rule it was promised by)."""
    return reply_due(case.opened_at)


def end_of_today(now: datetime) -> datetime:
    """Midnight ending the viewer's day (the current time zone)."""
    tomorrow = timezone.localtime(now).date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(tomorrow, time.min))


def attention_flags(case: Case, *, now: datetime | None = None) -> list[Flag]:
    """The flags of an unfinished case on a list (none for a finished one), from with_attention's
    annotations (absent: not flagged) and the case's fields:

    - the customer wrote after our latest message to them ("Customer replied"; "Customer wrote again"
      while we have not written at all);
    - the customer asked for a manager, who has not written to them since;
    - the first reply the acknowledgement promised is not sent yet (a complaint from outside only: a
      case staff logged began with a conversation), with when it is due;
    - the next open promise is overdue, or due before the viewer's day ends;
    - the case was reopened (it is unfinished again after a resolution)."""
    if case.status in FINISHED_STATUSES:
        return []
    now = now or timezone.now()
    flags = []
    if getattr(case, "asked_for_manager", False):
        flags.append(Flag("manager", "Asked for a manager"))
    if getattr(case, "customer_wrote_last", False):
        flags.append(Flag("replied", "Customer replied" if case.first_response_at else "Customer wrote again"))
    first_reply = None
    if case.first_response_at is None and getattr(case, "complained_from_outside", False):
        first_reply = first_reply_due(case)
        if first_reply <= now:
            flags.append(Flag("overdue", "First reply overdue, due", first_reply))
        else:
            flags.append(Flag("first-reply", "First reply due", first_reply))
    due = case.next_promise_due_at
    if due is not None and due != first_reply:  # the acknowledgement's promise is the flag above
        if due <= now:
            flags.append(Flag("overdue", "Promise overdue"))
        elif due < end_of_today(now):
            flags.append(Flag("due-today", "Promise due today"))
    if getattr(case, "was_reopened", False):
        flags.append(Flag("reopened", "Reopened"))
    return flags


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
    return open_first(with_attention(with_list_joins(permissions.visible_cases(user).filter(case_search_match(q)))))


def customer_cases(*, user: StaffUser, customer: Customer) -> QuerySet[Case]:
    """A customer's cases on their page: unfinished first, then the newest."""
    return open_first(with_attention(with_list_joins(permissions.visible_cases(user).filter(customer=customer))))


# Beside a case, the customer's other cases: this many, then a link to their page for the rest.
OTHER_CASES_SHOWN = 5


def other_cases(*, user: StaffUser, case: Case) -> list[Case]:
    """The customer's other cases the user may see, for the case page's side: unfinished first, then the
    newest; one more than OTHER_CASES_SHOWN when there are more. One query."""
    others = permissions.visible_cases(user).filter(customer_id=case.customer_id).exclude(pk=case.pk)
    return list(open_first(with_list_joins(others))[: OTHER_CASES_SHOWN + 1])


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


# My cases' order, the team view's too: nearest promise due first, then the longest waiting for our answer.
# An owner's unfinished cases are read in it from case_my_cases_idx.
OWNER_ORDER = (
    F("next_promise_due_at").asc(nulls_last=True),
    F("awaiting_reply_since").asc(nulls_last=True),
    "opened_at",
    "id",
)


def my_cases(*, user: StaffUser) -> QuerySet[Case]:
    """Cases I own that are not finished: nearest promise due first (the replies a customer is owed when they
    complain, reopen or ask for a manager are promises too), then the longest waiting for our answer."""
    return with_attention(with_list_joins(Case.objects.owned_by(user).unfinished())).order_by(*OWNER_ORDER)


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
    # Open promises are on unfinished cases only (case_resolve refuses while one is open), and carry their case's
    # owner: read from promise_owner_open_idx, not by joining the owner's cases.
    promises = (
        Promise.objects.open()
        .filter(owner=user)
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
    """Unowned cases waiting to be taken, oldest first (the first reply due soonest)."""
    return with_attention(
        Case.objects.unowned().filter(status=CaseStatus.NEW).select_related("customer", "category")
    ).order_by("opened_at", "id")


# The team view shows this many of the team's cases.
TEAM_CASES_SHOWN = 200


def team_cases(*, lead: StaffUser) -> QuerySet[Case]:
    """The first TEAM_CASES_SHOWN unfinished cases owned by members of the teams this lead leads, in My cases'
    order: nearest promise due first, then the longest waiting for our answer."""
    unfinished = Case.objects.unfinished()
    if settings.USING_POSTGRES:
        # The first cases of each member's own list, read in order from case_my_cases_idx, then the first of
        # those: at most members x TEAM_CASES_SHOWN rows to sort, however many cases the team has. Sorting all
        # of the team's unfinished cases read the whole table instead: 22 ms at 10,000 cases, 77 ms at 100,000
        # (20,000 of them the team's), against 17 ms at both this way.
        members_first = ArraySubquery(
            unfinished.filter(owner_id=OuterRef("user_id")).order_by(*OWNER_ORDER).values("pk")[:TEAM_CASES_SHOWN]
        )
        candidates = StaffProfile.objects.filter(team__lead=lead).values_list(Func(members_first, function="unnest"))
        shown = unfinished.filter(pk__in=candidates).order_by(*OWNER_ORDER).values("pk")[:TEAM_CASES_SHOWN]
        team = unfinished.filter(pk__in=shown)
    else:
        team = unfinished.filter(owner__staff_profile__team__lead=lead)
    return with_attention(with_list_joins(team)).order_by(*OWNER_ORDER)[:TEAM_CASES_SHOWN]


def escalations_waiting(*, user: StaffUser) -> QuerySet[Collaborator]:
    """Unfinished cases escalated to this person."""
    return (
        Collaborator.objects.filter(user=user, case__status__in=UNFINISHED_STATUSES)
        .select_related("case__customer", "case__owner__staff_profile", "added_by__staff_profile")
        .order_by("added_at", "id")
    )


# The team view's figures (handovers, and how promises turned out) count this many days.
TEAM_FIGURE_DAYS = 7


def team_handover_count(*, lead: StaffUser, now: datetime | None = None) -> int:
    """The shuffle figure: handovers in the last TEAM_FIGURE_DAYS days of cases now owned by the lead's team
    members. A week, so a lead sees it fall when the team shuffles less. It reads the week's handovers (from
    case_event_kind_idx) and looks up each one's case, so it costs the same however many cases the team ever
    owned: joining the team's cases hashed every one of them (20,000 at 100,000 cases), and counting every
    handover ever took 16 ms at 10,000 cases and 144 ms at 100,000, against 7 ms at both this way."""
    since = (now or timezone.now()) - timedelta(days=TEAM_FIGURE_DAYS)
    owner_now = Subquery(Case.objects.filter(pk=OuterRef("case_id")).order_by().values("owner_id"))
    members = StaffProfile.objects.filter(team__lead=lead).values("user_id")
    handovers = CaseEvent.objects.filter(kind=EventKind.HANDED_OVER, created_at__gte=since)
    return handovers.alias(owner_now=owner_now).filter(owner_now__in=members).count()


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
