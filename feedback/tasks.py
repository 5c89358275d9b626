from celery import shared_task


@shared_task
def check_decisions() -> dict[str, int]:
    """Every hour: remind managers of decisions due within two days; tell whoever is above them about
    decisions past due. Each once per suggestion."""
    from feedback.suggestions.services import suggestions_escalate_overdue, suggestions_remind_due

    return {"reminded": suggestions_remind_due(), "escalated": suggestions_escalate_overdue()}
