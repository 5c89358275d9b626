"""An incident update's email: rendered once at publishing with merge fields for each customer's
salutation and stop-notices link (crm.outbox fills them in as each copy is sent), its List-Unsubscribe
headers, and the preview of what the first few customers will receive."""

from datetime import datetime

from django.urls import reverse

from complaints.emails import complain_url, public_incidents_url
from complaints.incidents.selectors import incident_audience
from complaints.models import Incident, IncidentUpdate
from crm.models import Customer
from crm.outbox.services import NOTICES_TOKEN_FIELD, SALUTATION_FIELD, absolute, personalise
from crm.times import render_email_text


def notices_link() -> str:
    """The stop-notices link with its merge field (reverse() would escape the braces, so it is joined)."""
    prefix = reverse("service-notices", args=["TOKEN"]).removesuffix("TOKEN/")
    return absolute(f"{prefix}{NOTICES_TOKEN_FIELD}/")


def notice_headers() -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{notices_link()}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def notice_text(update: IncidentUpdate) -> str:
    """The update's email, rendered once, with merge fields where each customer's salutation and link go;
    its times in the site's time zone, named."""
    return render_email_text(
        "complaints/incidents/email/update.txt",
        {
            "salutation": SALUTATION_FIELD,
            "update": update,
            "incidents_url": public_incidents_url(),
            "complain_url": complain_url(),
            "unsubscribe_url": notices_link(),
        },
    )


def incident_preview(
    *, incident: Incident, subject: str, body: str, next_update_by: datetime | None = None, count: int = 3
) -> list[tuple[Customer, str]]:
    """What the first few affected customers would receive, exactly as they will receive it."""
    draft = IncidentUpdate(incident=incident, subject=subject, body=body, next_update_by=next_update_by)
    text = notice_text(draft)
    return [
        (customer, personalise(text, customer))
        for customer in incident_audience(incident=incident).order_by("pk")[:count]
    ]
