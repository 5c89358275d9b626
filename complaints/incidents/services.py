"""Incidents: declared by leads and managers, each update told to every affected customer by email,
exactly once, in order, by Celery workers (the fan-out writes keyed outbox rows; crm's outbox sends)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from complaints import emails, events, permissions
from complaints.exceptions import AudienceChanged
from complaints.incidents.notices import notice_headers, notice_text
from complaints.incidents.selectors import audience_chunk_ends, earlier_update_unfinished, incident_audience
from complaints.models import (
    OPEN_INCIDENT_STATUSES,
    Case,
    CaseAction,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Severity,
)
from complaints.tasks import fan_out_incident_update as fan_out_incident_update_task
from complaints.validation import HEADER_CONTROL_CHARACTERS
from crm.exceptions import Conflict, InvalidInput
from crm.models import BulkEmail, OutboundEmail, Service
from crm.outbox.services import enqueue_batch, insert_bulk_emails, outbox_retry_failed
from crm.permissions import StaffUser

# Outbox rows are written for this many customers at a time, one INSERT ... SELECT each, so
# memory stays flat whatever the number of customers and no transaction holds 100,000 rows.
FANOUT_CHUNK = 10_000
# Publishing the same update again within this time (double click, retried request) changes nothing.
REPUBLISH_WINDOW = timedelta(minutes=10)


@transaction.atomic(durable=True)
def incident_declare(
    *,
    by: StaffUser,
    title: str,
    services: list[Service],
    regions: list[str] | None = None,
    description: str = "",
    severity: str = Severity.HIGH,
) -> Incident:
    permissions.require_run_incidents(by)
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = ["Give the incident a title customers will understand."]
    elif HEADER_CONTROL_CHARACTERS.search(title):
        # The title is the subject of the email telling case owners the incident is resolved.
        errors["title"] = ["Give a one-line title: no line breaks or control characters."]
    if not services:
        errors["services"] = ["Choose at least one affected service."]
    if severity not in Severity.values:
        errors["severity"] = [f"Choose one of {', '.join(Severity.values)}."]
    regions = sorted({r.strip().lower() for r in (regions or []) if r.strip()})
    if errors:
        raise InvalidInput("The incident needs more detail.", errors=errors)
    incident = Incident.objects.create(
        title=title.strip(), description=description, regions=regions, severity=severity, declared_by=by
    )
    incident.services.set(services)
    return incident


@transaction.atomic(durable=True)
def incident_link_case(*, case: Case, incident: Incident | None, by: StaffUser) -> Case:
    """Link a case to an incident (or unlink with None): its customer then hears every update."""
    case = Case.objects.for_update().get(pk=case.pk)
    # Linking signs the customer up for the incident's emails: a change to the case, not a note.
    permissions.require_change(by, case)
    case.require(CaseAction.LINK_INCIDENT)
    previous = case.incident_id
    case.incident = incident
    case.save(update_fields=["incident", "updated_at"])
    events.incident_linked(case, by=by, previous=previous, incident=incident.pk if incident else None)
    return case


@transaction.atomic(durable=True)
def incident_publish_update(
    *,
    incident: Incident,
    by: StaffUser,
    subject: str,
    body: str,
    next_update_by: datetime | None = None,
    is_resolution: bool = False,
    expected_recipients: int | None = None,
) -> IncidentUpdate:
    """Record what customers are told and hand the fan-out to Celery (returns at once).
    expected_recipients: the number of customers the person confirmed; AudienceChanged when it is no
    longer right (subscriptions or linked cases changed since they looked), so nobody sends blind."""
    permissions.require_run_incidents(by)
    errors: dict[str, list[str]] = {}
    if not subject.strip() or HEADER_CONTROL_CHARACTERS.search(subject):
        errors["subject"] = ["Give a one-line subject."]
    if not body.strip():
        errors["body"] = ["Tell customers what is happening."]
    if errors:
        raise InvalidInput("The update needs more detail.", errors=errors)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not incident.is_open:
        raise Conflict("This incident is resolved; declare a new one.", errors={"status": [incident.status]})
    same = incident.updates.filter(
        subject=subject.strip(), body=body, published_at__gte=timezone.now() - REPUBLISH_WINDOW
    ).first()
    if same is not None:
        return same  # a double click or a retried request: one update, one email per customer
    if expected_recipients is not None:
        recipients = incident_audience(incident=incident).count()
        if recipients != expected_recipients:
            raise AudienceChanged(expected=expected_recipients, recipients=recipients)
    update = IncidentUpdate.objects.create(
        incident=incident,
        subject=subject.strip(),
        body=body,
        next_update_by=next_update_by,
        is_resolution=is_resolution,
        written_by=by,
    )
    update.email = BulkEmail.objects.create(
        subject=update.subject, body_text=notice_text(update), headers=notice_headers()
    )
    update.save(update_fields=["email"])
    if is_resolution:
        incident.status, incident.resolved_at = IncidentStatus.RESOLVED, update.published_at
        incident.save(update_fields=["status", "resolved_at"])
    fan_out_incident_update_task.delay_on_commit(update.pk)
    return update


@transaction.atomic(durable=True)
def incident_change_status(*, incident: Incident, by: StaffUser, status: str) -> Incident:
    """Say how an open incident is going (investigating, identified, monitoring), shown on the public
    status page. Resolving is not a status change: it is the resolution update, which tells customers."""
    permissions.require_run_incidents(by)
    open_statuses = [value for value, _ in OPEN_INCIDENT_STATUSES]
    if status == IncidentStatus.RESOLVED:
        raise InvalidInput(
            "Resolve an incident by publishing its resolution update: customers are told.",
            errors={"status": ["Publish the resolution update to resolve the incident."]},
        )
    if status not in open_statuses:
        raise InvalidInput(
            "Choose one of the statuses.", errors={"status": [f"Choose one of {', '.join(open_statuses)}."]}
        )
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not incident.is_open:
        raise Conflict("This incident is resolved; declare a new one.", errors={"status": [incident.status]})
    if incident.status != status:
        incident.status = status
        incident.save(update_fields=["status"])
    return incident


def incident_fan_out(*, update_id: int) -> int | None:
    """Write one outbox row per affected customer, chunk by chunk of customer ids, then wake the senders
    (sending meanwhile would slow the writing). Safe to run again: keys are unique, ON CONFLICT DO NOTHING.
    None: an earlier update is still going out."""
    update = IncidentUpdate.objects.select_related("incident", "email").get(pk=update_id)
    if update.fanned_out_at is not None:
        return update.recipients
    if earlier_update_unfinished(update):
        return None
    batch = emails.incident_update_batch(update)
    audience = incident_audience(incident=update.incident)
    if update.email is not None:
        after = 0
        # Each chunk is the next FANOUT_CHUNK customers of the audience, however sparse their ids.
        for last in [*audience_chunk_ends(audience, size=FANOUT_CHUNK), None]:
            chunk = audience.filter(pk__gt=after) if last is None else audience.filter(pk__gt=after, pk__lte=last)
            with transaction.atomic():
                insert_bulk_emails(
                    bulk=update.email,
                    customers=chunk,
                    key_prefix=emails.incident_notice_key_prefix(update),
                    batch=batch,
                )
            after = last or after
    recipients = OutboundEmail.objects.filter(batch=batch).count()
    with transaction.atomic():
        claimed = IncidentUpdate.objects.filter(pk=update.pk, fanned_out_at__isnull=True).update(
            fanned_out_at=timezone.now(), recipients=recipients
        )
        if claimed and update.is_resolution:
            _tell_linked_case_owners(update)
    enqueue_batch(batch)  # if this run dies first, the sweeper finds the pending rows
    return recipients


def _tell_linked_case_owners(update: IncidentUpdate) -> None:
    linked = Case.objects.filter(incident=update.incident, owner__isnull=False).select_related("owner__staff_profile")
    for case in linked:
        if case.owner is None:
            continue
        emails.email_staff(
            case.owner,
            key=emails.incident_owner_key(update, case),
            template="incidents/email/resolved",
            subject=f"[{case.reference}] Incident resolved: {update.incident.title}",
            case=case,
            update=update,
        )


def incident_retry_failed(*, update: IncidentUpdate, by: StaffUser) -> int:
    """Give failed emails of an update another round of attempts."""
    permissions.require_run_incidents(by)
    return outbox_retry_failed(batch=emails.incident_update_batch(update))
