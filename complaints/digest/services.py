"""The weekly digest: Monday morning, last week's complaint figures to every executive and manager."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from complaints import emails
from complaints.digest import selectors
from complaints.figures import selectors as figures
from complaints.figures.headline import headline
from complaints.figures.services import FACTS_BATCH, facts_catch_up
from crm.models import Role


def figures_digest_send(*, now: datetime | None = None) -> int:
    """Monday morning: last week's headline figures against the week before, the top root causes, three
    complaints in the customer's words, the overdue promises and the dashboard link, to every active
    executive and manager with an address, once per person and week (the key carries the ISO week of `now`
    in TIME_ZONE). Returns how many were queued."""
    now = now or timezone.now()
    facts_catch_up(limit=10 * FACTS_BATCH)
    week = selectors.previous_week(now)
    current, previous = figures.headline_figures(week)
    context = {
        "week": week,
        "headline": headline(current, previous),
        "root_causes": selectors.top_root_causes(week),
        "verbatims": selectors.verbatims(week.since, week.until),
        "overdue": list(selectors.overdue_promises(now)[: emails.DIGEST_OVERDUE_SHOWN]),
        "overdue_count": selectors.overdue_promises(now).count(),
        "dashboard_url": emails.dashboard_url(),
    }
    year, iso_week, _ = timezone.localdate(now).isocalendar()
    readers = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[Role.EXECUTIVE, Role.MANAGER])
        .exclude(email="")
        .select_related("staff_profile")
        .distinct()
        .order_by("pk")
    )
    queued = 0
    with transaction.atomic():
        for reader in readers:
            emails.email_staff(
                reader,
                key=emails.figures_digest_key(year, iso_week, reader),
                template="digest/email/digest",
                subject=f"Complaints last week: {current['complaints']} (the week before: {previous['complaints']})",
                **context,
            )
            queued += 1
    return queued
