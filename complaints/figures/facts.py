"""Each case's facts (the figures' rollup, complaints.models.CaseFacts), derived from its events: what
complaints.figures.services writes and the recompute test checks."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q

from complaints.models import Case, CaseEvent, CaseFacts, EventKind


def _count(**conditions: Any) -> Count:
    return Count("pk", filter=Q(**conditions))


def _seconds(since: datetime, until: datetime | None) -> int | None:
    return None if until is None else max(int((until - since).total_seconds()), 0)


def facts_from_events(case_ids: list[int]) -> list[CaseFacts]:
    """The facts of these cases (unsaved), in three queries. Measures come from the events; the fields the
    figures group by (category, service, channel, the owner's team, root cause) from the case row, which only
    services change, each with its event; the acknowledgement time is when the mail server accepted it."""
    kind = EventKind
    measured = {
        row["case_id"]: row
        for row in CaseEvent.objects.filter(case_id__in=case_ids)
        .order_by()
        .values("case_id")
        .annotate(
            first_reply=Min("created_at", filter=Q(kind__in=[kind.MESSAGE_OUT, kind.CALL_LOGGED])),
            resolved=Min("created_at", filter=Q(kind=kind.RESOLVED)),
            resolved_on_first_contact=_count(kind=kind.RESOLVED, data__first_contact=True),
            handovers=_count(kind=kind.HANDED_OVER),
            escalations_to_lead=_count(kind=kind.ESCALATED, data__level="lead"),
            escalations_to_manager=_count(kind=kind.ESCALATED, data__level="manager"),
            escalations_to_executive=_count(kind=kind.ESCALATED, data__level="executive"),
            escalations_asked_by_customer=_count(kind=kind.ESCALATED, data__requested_by="customer"),
            promises_kept_on_time=_count(kind=kind.PROMISE_KEPT, data__on_time=True),
            promises_kept_late=_count(kind=kind.PROMISE_KEPT, data__on_time=False),
            promises_rescheduled=_count(kind=kind.PROMISE_RESCHEDULED),
            promises_broken=_count(kind=kind.PROMISE_BROKEN),
            promises_withdrawn=_count(kind=kind.PROMISE_WITHDRAWN),
            reopened=_count(kind=kind.REOPENED),
        )
    }
    ratings = dict(
        CaseEvent.objects.filter(case_id__in=case_ids, kind=kind.RATED)
        .order_by("case_id", "created_at", "id")
        .values_list("case_id", "data__score")
    )  # the latest rating of each case wins
    cases = Case.objects.filter(pk__in=case_ids).values_list(
        "pk",
        "opened_at",
        "channel",
        "category_id",
        "service_id",
        "owner__staff_profile__team_id",
        "status",
        "root_cause",
        "acknowledged_at",
    )
    counted = [field.name for field in CaseFacts._meta.fields if isinstance(field.default, int)]
    facts = []
    for case_id, opened_at, channel, category_id, service_id, team_id, status, root_cause, acknowledged_at in cases:
        events: dict[str, Any] = dict(measured.get(case_id, {}))
        resolved = events.get("resolved")
        facts.append(
            CaseFacts(
                case_id=case_id,
                opened_at=opened_at,
                channel=channel,
                category_id=category_id,
                service_id=service_id,
                team_id=team_id,
                status=status,
                root_cause=root_cause,
                acknowledge_seconds=_seconds(opened_at, acknowledged_at),
                first_reply_seconds=_seconds(opened_at, events.get("first_reply")),
                resolve_seconds=_seconds(opened_at, resolved),
                first_contact_resolution=None
                if resolved is None
                else bool(events["resolved_on_first_contact"]) and not events["reopened"],
                rating=ratings.get(case_id),
                **{name: events.get(name, 0) for name in counted},
            )
        )
    return facts
