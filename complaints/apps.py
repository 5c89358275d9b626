from datetime import datetime
from typing import Any

from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "complaints"

    def ready(self) -> None:
        from crm.outbox.sending import email_sent

        # acknowledged_at is the time the mail server accepted the acknowledgement.
        email_sent.connect(_on_email_sent, dispatch_uid="complaints.acknowledgement_sent")
        # The customer page (crm) lists the customer's cases and the incidents that affected them.
        from complaints.cases.views.lists import customer_cases_section
        from crm.sections import register

        register("customer", customer_cases_section)
        # A customer's copy of their personal data (crm) holds their cases and the mail they sent; erasing it
        # erases them.
        from complaints.cases.services import case_erase_personal_data
        from complaints.intake.selectors import personal_data_cases
        from complaints.mail.selectors import personal_data_mail
        from complaints.mail.services import mail_erase_personal_data
        from crm import personal_data

        personal_data.register("cases", personal_data_cases, case_erase_personal_data)
        personal_data.register("emails_from_them", personal_data_mail, mail_erase_personal_data)


def _on_email_sent(sender: type, key: str, sent_at: datetime, **kwargs: Any) -> None:
    from complaints.cases.services import acknowledgement_sent

    acknowledgement_sent(key=key, sent_at=sent_at)
