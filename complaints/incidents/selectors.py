"""Reads for incidents: who is told, how the notices are going, and what the public status page shows."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Value, Window
from django.db.models.functions import Mod, RowNumber
from django.utils import timezone

from complaints.emails import incident_update_batch
from complaints.models import Incident, IncidentUpdate
from crm.models import Customer, EmailState, OutboundEmail, Subscription

# How many failed notices an update's delivery report lists.
FAILURES_SHOWN = 100


def incidents_affecting(*, customer: Customer, limit: int = 20) -> list[Incident]:
    """Incidents that hit this customer, newest first: on a service they use in a region it covered (every
    region when it named none), or linked to one of their cases. Four queries, however many."""
    used = list(Subscription.objects.filter(customer=customer).values_list("service_id", "region"))
    candidates = (
        Incident.objects.filter(Q(services__in={service for service, _ in used}) | Q(linked_cases__customer=customer))
        .distinct()
        .prefetch_related("services")
        .order_by("-started_at", "-id")[: limit * 5]
    )
    linked = set(customer.cases.exclude(incident=None).values_list("incident_id", flat=True))

    def hit(incident: Incident) -> bool:
        services = {service.pk for service in incident.services.all()}
        return incident.pk in linked or any(
            service in services and (not incident.regions or region in incident.regions) for service, region in used
        )

    return [incident for incident in candidates if hit(incident)][:limit]


def incident_audience(*, incident: Incident) -> QuerySet[Customer]:
    """Customers to tell: active subscribers to an affected service in an affected region (all regions
    when none are named), plus every customer with a case linked to the incident; with an email address,
    not opted out of service notices."""
    subscribers = Subscription.objects.active().filter(service__in=incident.services.all())
    if incident.regions:
        subscribers = subscribers.filter(region__in=incident.regions)
    return (
        Customer.objects.filter(
            Q(pk__in=subscribers.values("customer_id")) | Q(pk__in=incident.linked_cases.values("customer_id"))
        )
        .exclude(email="")
        .filter(service_notices_opt_out=False)
    )


def audience_chunk_ends(audience: QuerySet[Customer], *, size: int) -> list[int]:
    """The id of every `size`-th customer of the audience, in one read: the fan-out writes the customers up
    to each, then the rest, a chunk at a time (no empty steps over a sparse range of ids)."""
    position = Window(RowNumber(), order_by=F("pk").asc())
    numbered = audience.order_by().annotate(chunk_end=Mod(position, Value(size)))
    return list(numbered.filter(chunk_end=0).order_by("pk").values_list("pk", flat=True))


def delivery_counts(*, updates: list[IncidentUpdate]) -> list[dict]:
    """How each update's emails are going: counts by state and the failures with the server's answer.
    Two queries for any number of updates (grouped by batch), so a polled page stays cheap."""
    batches = {incident_update_batch(update): update for update in updates}
    counts = {batch: dict.fromkeys(EmailState.values, 0) for batch in batches}
    grouped = (
        OutboundEmail.objects.filter(batch__in=batches).order_by().values_list("batch", "state").annotate(n=Count("pk"))
    )
    for batch, state, n in grouped:
        counts[batch][state] = n
    failures: dict[str, list[dict]] = {batch: [] for batch in batches}
    failed = (
        OutboundEmail.objects.filter(batch__in=batches, state=EmailState.FAILED)
        .order_by("pk")
        .values("batch", "to_email", "last_error", "attempts")
    )
    for row in failed[: FAILURES_SHOWN * len(batches)]:
        if len(failures[row["batch"]]) < FAILURES_SHOWN:
            failure = {"to_email": row["to_email"], "last_error": row["last_error"], "attempts": row["attempts"]}
            failures[row["batch"]].append(failure)
    return [
        {
            "update": update.pk,
            "recipients": update.recipients,
            "fanned_out": update.fanned_out_at is not None,
            "counts": counts[batch],
            "failures": failures[batch],
        }
        for batch, update in batches.items()
    ]


def earlier_update_unfinished(update: IncidentUpdate) -> bool:
    """Customers get updates in order: update N waits until every email of the earlier ones is settled.
    Failed emails are settled: one that can never be sent holds back no one."""
    earlier = IncidentUpdate.objects.filter(incident_id=update.incident_id, pk__lt=update.pk)  # ids follow publishing
    if earlier.filter(fanned_out_at__isnull=True).exists():
        return True
    batches = [incident_update_batch(u) for u in earlier.only("pk")]
    return OutboundEmail.objects.filter(batch__in=batches, state__in=[EmailState.PENDING, EmailState.SENDING]).exists()


def updates_to_restart(*, now: datetime | None = None) -> list[int]:
    """Fan-outs whose task the broker lost (published a while ago, never finished)."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_STALE_PENDING_SECONDS)
    unfinished = IncidentUpdate.objects.filter(fanned_out_at__isnull=True, published_at__lt=stale)
    return list(unfinished.values_list("pk", flat=True)[:100])


# Fan-outs an operator watches: those not yet written, and those published within this time.
FAN_OUTS_WATCHED_FOR = timedelta(days=1)


def fan_outs_in_progress(*, now: datetime | None = None, limit: int = 20) -> list[IncidentUpdate]:
    """The latest updates still being written out or published recently (their delivery_counts show the progress)."""
    now = now or timezone.now()
    recent = Q(fanned_out_at__isnull=True) | Q(published_at__gte=now - FAN_OUTS_WATCHED_FOR)
    return list(IncidentUpdate.objects.filter(recent).order_by("-published_at", "-pk")[:limit])


def open_incidents(*, limit: int = 20) -> QuerySet[Incident]:
    return Incident.objects.open().prefetch_related("services").order_by("-started_at")[:limit]


def status_page_incidents() -> QuerySet[Incident]:
    return (
        Incident.objects.on_status_page(timezone.now()).prefetch_related("services", "updates").order_by("-started_at")
    )


def incident_list(*, limit: int = 100) -> QuerySet[Incident]:
    return Incident.objects.prefetch_related("services").order_by("-started_at")[:limit]
