"""Reads for case lists, queues, timelines and counts, with the joins each screen needs,
so a page costs a fixed number of queries whatever its length."""

from datetime import datetime
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from complaints import permissions
from complaints.models import (
    Case,
    CaseEvent,
    Collaborator,
    InboundEmail,
    InboundOutcome,
    Promise,
    PromiseStatus,
    RejectedEmail,
    Status,
)
from crm.models import Customer, Subscription


def _with_list_joins(cases: QuerySet) -> QuerySet:
    return cases.select_related("customer", "owner__staff_profile", "category")


def case_list(*, user) -> QuerySet:
    """Every case the user may see, newest first, ready for a list page (filters applied by the caller)."""
    return _with_list_joins(permissions.visible_cases(user)).order_by("-opened_at", "-id")


def case_detail(*, user, reference: str) -> Case:
    """One case by reference, if the user may see it (else Case.DoesNotExist, answered 404)."""
    return (
        permissions.visible_cases(user)
        .select_related("customer", "owner__staff_profile__team", "category")
        .prefetch_related(
            Prefetch("promises", queryset=Promise.objects.order_by("due_at", "id")),
            Prefetch("collaborator_links", queryset=Collaborator.objects.select_related("user__staff_profile")),
        )
        .get(reference=reference)
    )


def my_cases(*, user) -> QuerySet:
    """Cases I own that are not finished: nearest promise due first, then the longest waiting for our answer."""
    return _with_list_joins(Case.objects.owned_by(user).active()).order_by(
        F("next_promise_due_at").asc(nulls_last=True),
        F("awaiting_reply_since").asc(nulls_last=True),
        "opened_at",
        "id",
    )


def my_case_counters(*, user, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    mine = Case.objects.owned_by(user)
    counts = mine.aggregate(
        open=Count("pk", filter=Q(status__in=[Status.NEW, Status.OPEN])),
        waiting_on_customer=Count("pk", filter=Q(status=Status.WAITING_ON_CUSTOMER)),
        awaiting_our_reply=Count(
            "pk", filter=Q(status__in=[Status.NEW, Status.OPEN], awaiting_reply_since__isnull=False)
        ),
    )
    promises = Promise.objects.filter(case__owner=user, status=PromiseStatus.OPEN).aggregate(
        promises_open=Count("pk"),
        promises_at_risk=Count("pk", filter=Q(warn_at__lte=now)),
    )
    return counts | promises


def promises_at_risk_ids(*, user, now: datetime | None = None) -> set[int]:
    """Case ids among mine with an open promise inside its warning window (highlighted on My cases)."""
    now = now or timezone.now()
    return set(
        Promise.objects.filter(case__owner=user, status=PromiseStatus.OPEN, warn_at__lte=now).values_list(
            "case_id", flat=True
        )
    )


def team_queue(*, user) -> QuerySet:
    """Unowned cases waiting to be taken, oldest first."""
    return (
        Case.objects.unowned()
        .filter(status=Status.NEW)
        .select_related("customer", "category")
        .order_by("opened_at", "id")
    )


def case_timeline(*, case: Case, newest_first: bool = False) -> QuerySet:
    order = ("-created_at", "-id") if newest_first else ("created_at", "id")
    return CaseEvent.objects.filter(case=case).select_related("actor__staff_profile").order_by(*order)


def team_cases(*, lead) -> QuerySet:
    """The active cases owned by members of the teams this lead leads."""
    return _with_list_joins(Case.objects.active().filter(owner__staff_profile__team__lead=lead)).order_by(
        F("next_promise_due_at").asc(nulls_last=True), "opened_at", "id"
    )


def team_promises_at_risk(*, lead, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return (
        Promise.objects.filter(status=PromiseStatus.OPEN, warn_at__lte=now, case__owner__staff_profile__team__lead=lead)
        .select_related("case__customer", "case__owner__staff_profile")
        .order_by("due_at", "id")
    )


def escalations_waiting(*, user) -> QuerySet:
    """Active cases escalated to this person."""
    return (
        Collaborator.objects.filter(user=user, case__status__in=[Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER])
        .select_related("case__customer", "case__owner__staff_profile", "added_by__staff_profile")
        .order_by("added_at", "id")
    )


def promise_counts(*, owners: QuerySet | None = None, owner=None) -> dict[str, int]:
    """Kept on time, rescheduled before due, broken: for one owner or a set of owners (a team)."""
    promises = Promise.objects.all()
    if owner is not None:
        promises = promises.filter(made_by=owner)
    elif owners is not None:
        promises = promises.filter(made_by__in=owners)
    return promises.aggregate(
        kept_on_time=Count("pk", filter=Q(status=PromiseStatus.KEPT, settled_at__lte=F("due_at"))),
        kept_late=Count("pk", filter=Q(status=PromiseStatus.KEPT, settled_at__gt=F("due_at"))),
        rescheduled_before_due=Count("pk", filter=Q(status=PromiseStatus.RESCHEDULED)),
        broken=Count("pk", filter=Q(status=PromiseStatus.BROKEN)),
        open=Count("pk", filter=Q(status=PromiseStatus.OPEN)),
    )


def team_handover_count(*, lead) -> int:
    """The shuffle figure: handovers of cases now owned by the lead's team members."""
    return CaseEvent.objects.filter(kind="handed_over", case__owner__staff_profile__team__lead=lead).count()


def case_for_customer(*, token: str) -> Case:
    """The case behind a private status link (Case.DoesNotExist for any unknown token)."""
    if not token or len(token) > 64:
        raise Case.DoesNotExist
    return Case.objects.select_related("owner__staff_profile", "customer").get(public_token=token)


def customer_view_of(case: Case) -> dict:
    """What the customer may see of their case: never internal notes, never anyone else's data."""
    conversation = CaseEvent.objects.filter(case=case, kind__in=["message_out", "message_in"]).order_by(
        "created_at", "id"
    )
    owner_first_name = ""
    if case.owner is not None:
        profile = getattr(case.owner, "staff_profile", None)
        full = (profile.display_name if profile else "") or case.owner.first_name or ""
        owner_first_name = full.split(" ")[0] if full else ""
    return {
        "reference": case.reference,
        "status": case.status,
        "status_label": case.get_status_display(),
        "subject": case.subject,
        "opened_at": case.opened_at,
        "resolved_at": case.resolved_at,
        "owner_first_name": owner_first_name,
        "promises": [
            {"text": p.text, "due_at": p.due_at}
            for p in Promise.objects.filter(case=case, status=PromiseStatus.OPEN).order_by("due_at", "id")
        ],
        "messages": [
            {"from": "you" if e.kind == "message_in" else "us", "at": e.created_at, "text": e.data.get("text", "")}
            for e in conversation
        ],
        "description": case.description,
    }


def incident_audience(*, incident) -> QuerySet:
    """Customers to tell: active subscribers to an affected service in an affected region (all regions
    when none are named), plus every customer with a case linked to the incident; with an email address,
    not opted out of service notices."""
    subscribers = Subscription.objects.filter(active=True, service__in=incident.services.all())
    if incident.regions:
        subscribers = subscribers.filter(region__in=incident.regions)
    return (
        Customer.objects.filter(
            Q(pk__in=subscribers.values("customer_id")) | Q(pk__in=incident.linked_cases.values("customer_id"))
        )
        .exclude(email="")
        .filter(service_notices_opt_out=False)
    )


def delivery_counts(*, update) -> dict:
    """How an update's emails are going: counts by state, and the failures with the server's answer."""
    from crm.models import OutboundEmail

    rows = OutboundEmail.objects.filter(batch=update.batch)
    counts = {state: 0 for state in ("pending", "sending", "sent", "failed")}
    counts.update(dict(rows.values_list("state").annotate(n=Count("pk")).values_list("state", "n")))
    failures = list(rows.filter(state="failed").order_by("pk").values("to_email", "last_error", "attempts")[:100])
    return {
        "update": update.pk,
        "recipients": update.recipients,
        "fanned_out": update.fanned_out_at is not None,
        "counts": counts,
        "failures": failures,
    }


def team_promise_counts(*, lead) -> list[tuple[Any, dict[str, int]]]:
    """Promise counts per member of the lead's teams, members by username: two queries for any team size."""
    from django.contrib.auth import get_user_model

    members = list(
        get_user_model()
        .objects.filter(staff_profile__team__lead=lead)
        .select_related("staff_profile")
        .order_by("username")
    )
    counts = {
        row.pop("made_by"): row
        for row in Promise.objects.filter(made_by__in=members)
        .order_by()
        .values("made_by")
        .annotate(
            kept_on_time=Count("pk", filter=Q(status=PromiseStatus.KEPT, settled_at__lte=F("due_at"))),
            kept_late=Count("pk", filter=Q(status=PromiseStatus.KEPT, settled_at__gt=F("due_at"))),
            rescheduled_before_due=Count("pk", filter=Q(status=PromiseStatus.RESCHEDULED)),
            broken=Count("pk", filter=Q(status=PromiseStatus.BROKEN)),
            open=Count("pk", filter=Q(status=PromiseStatus.OPEN)),
        )
    }
    none = {"kept_on_time": 0, "kept_late": 0, "rescheduled_before_due": 0, "broken": 0, "open": 0}
    return [(member, counts.get(member.pk, none)) for member in members]


def inbound_mail_to_review(*, limit: int = 100) -> dict[str, list]:
    """Mail that opened no case: refusals (those not yet made into a case first), then what was ignored."""
    rejected = RejectedEmail.objects.select_related("case").defer("raw")
    ignored = InboundEmail.objects.filter(outcome=InboundOutcome.AUTOMATIC).defer("raw")
    return {
        "rejected": list(rejected.order_by(F("case_id").asc(nulls_first=True), "-received_at", "-pk")[:limit]),
        "ignored": list(ignored.order_by("-received_at", "-pk")[:limit]),
    }
