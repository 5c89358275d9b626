"""Outbox tasks: thin, take ids, safe to run twice (rows are claimed with a lease)."""

from celery import shared_task

from crm import outbox


@shared_task
def send_emails(email_ids: list[int]) -> dict[str, int]:
    return outbox.send_pending(email_ids)


@shared_task
def sweep_outbox() -> int:
    """Beat: re-queue rows the broker lost (pending too long) or whose worker died (lease expired)."""
    ids = outbox.stranded_email_ids()
    outbox.enqueue_send(ids)
    return len(ids)
