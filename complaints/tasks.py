"""Beat jobs for cases: thin, safe to run twice (each row is claimed by compare-and-swap)."""

from celery import shared_task

from complaints import services


@shared_task
def check_promises() -> dict[str, int]:
    """Every minute: warn owners of promises about to slip, mark overdue ones broken."""
    return {"warned": services.promises_warn_due(), "broken": services.promises_break_overdue()}


@shared_task
def close_resolved_cases() -> int:
    return services.cases_close_resolved()


@shared_task(bind=True, max_retries=None)
def fan_out_incident_update(self, update_id: int) -> int | None:
    """Build an update's outbox rows; if an earlier update of the incident is still going out, wait."""
    recipients = services.incident_fan_out(update_id=update_id)
    if recipients is None:
        raise self.retry(countdown=5)
    return recipients


@shared_task
def restart_stalled_fan_outs() -> int:
    """Beat: fan-outs whose task the broker lost start again (safe: rows are keyed)."""
    ids = services.incident_updates_to_restart()
    for update_id in ids:
        fan_out_incident_update.delay(update_id)
    return len(ids)
