"""Outbox tasks: thin, take ids, safe to run twice (rows are claimed with a lease). Each imports its
service in its body; the services import these at the top as `…_task`."""

from celery import shared_task


@shared_task
def send_emails(email_ids: list[int]) -> dict[str, int]:
    from crm.outbox.sending import send_pending

    return send_pending(email_ids)


@shared_task
def sweep_outbox() -> int:
    """Beat: re-queue rows the broker lost (pending too long, nothing queued) or whose worker died (lease ran out)."""
    from crm.outbox.selectors import stranded_email_ids, tasks_waiting_in_broker
    from crm.outbox.wakeups import enqueue_send

    ids = stranded_email_ids(broker_idle=tasks_waiting_in_broker() == 0)
    enqueue_send(ids)
    return len(ids)
