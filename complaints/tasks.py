"""Celery tasks of complaints: thin, take ids, safe to run twice; each imports its service in its body
(services import these at the top, as `…_task`). Names are unchanged: beat and queued messages name them."""

from celery import Task, shared_task


@shared_task
def check_promises() -> dict[str, int]:
    """Every minute: warn owners of promises about to slip, flag overdue ones (their lead is told)."""
    from complaints.promises.services import promises_flag_overdue, promises_warn_due

    return {"warned": promises_warn_due(), "overdue": promises_flag_overdue()}


@shared_task
def close_resolved_cases() -> int:
    from complaints.resolution.services import cases_close_resolved

    return cases_close_resolved()


@shared_task(bind=True, max_retries=None)
def fan_out_incident_update(self: Task, update_id: int) -> int | None:
    """Build an update's outbox rows; if an earlier update of the incident is still going out, wait."""
    from complaints.incidents.services import incident_fan_out

    recipients = incident_fan_out(update_id=update_id)
    if recipients is None:
        raise self.retry(countdown=5)
    return recipients


@shared_task
def restart_stalled_fan_outs() -> int:
    """Beat: fan-outs whose task the broker lost start again (safe: rows are keyed)."""
    from complaints.incidents.selectors import updates_to_restart

    ids = updates_to_restart()
    for update_id in ids:
        fan_out_incident_update.delay(update_id)
    return len(ids)


@shared_task
def refresh_figures() -> int:
    """Every minute: bring the facts of cases changed since up to date (a dashboard read does it too)."""
    from complaints.figures.services import FACTS_BATCH, facts_catch_up

    return facts_catch_up(limit=10 * FACTS_BATCH)


@shared_task
def send_figures_digest() -> int:
    """Monday morning (beat, TIME_ZONE): last week's figures to executives and managers, once per person and week."""
    from complaints.digest.services import figures_digest_send

    return figures_digest_send()


@shared_task
def poll_mailbox() -> dict[str, int] | None:
    """Every IMAP_POLL_SECONDS when IMAP_URL is set: read the mailbox once (one poller at a time; after
    failures in a row, less often)."""
    from complaints.mail.imap import mailbox_poll_when_due

    counts = mailbox_poll_when_due()
    return dict(counts) if counts is not None else None
