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
