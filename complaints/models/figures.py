"""The figures' rollup: one row of facts per case, derived only from the case's events (and the times the
system itself stamped: the acknowledgement the mail server accepted), so the dashboard reads 100,000 narrow
rows instead of a million events. Nobody writes a fact by hand: complaints.figures.services derives them.

On PostgreSQL, triggers mark a case's facts stale in the transaction that adds one of its events or changes
a field the figures group by, so no change is missed however transactions interleave; whoever reads the
figures first brings the stale rows up to date (and beat does every minute). `manage.py rebuild_figures`
derives every row again from the events.
"""

import pgtrigger
from django.db import models

from crm.models import Service, Team

# Fields of a case the figures group or filter by: a change to any of them makes its facts stale.
CASE_FIELDS_IN_FIGURES = (
    "status",
    "owner",
    "category",
    "service",
    "channel",
    "root_cause",
    "acknowledged_at",
    "opened_at",
)

# Installed on the tables whose rows change a case's facts (complaints.models.cases registers them). Events
# are marked once per statement (a bulk insert of a million events costs one set-wise insert, not a million).
EVENT_MAKES_FACTS_STALE = pgtrigger.Trigger(
    name="case_event_makes_facts_stale",
    operation=pgtrigger.Insert,
    when=pgtrigger.After,
    level=pgtrigger.Statement,
    referencing=pgtrigger.Referencing(new="inserted"),
    func="""
    INSERT INTO complaints_casefactsstale (case_id) SELECT DISTINCT case_id FROM inserted ON CONFLICT DO NOTHING;
    RETURN NULL;
    """,
)
CASE_CHANGE_MAKES_FACTS_STALE = pgtrigger.Trigger(
    name="case_change_makes_facts_stale",
    operation=pgtrigger.Update,
    when=pgtrigger.After,
    condition=pgtrigger.AnyChange(*CASE_FIELDS_IN_FIGURES),
    func="""
    INSERT INTO complaints_casefactsstale (case_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
    """,
)


class CaseFacts(models.Model):
    """What the figures need of one case. Durations are seconds from the case's opening; counts are of its
    events. `team` is the owner's team when the facts were derived."""

    case = models.OneToOneField("complaints.Case", primary_key=True, on_delete=models.CASCADE, related_name="facts")
    opened_at = models.DateTimeField()
    channel = models.CharField(max_length=12)
    category = models.ForeignKey(
        "complaints.Category", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    service = models.ForeignKey(Service, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    team = models.ForeignKey(Team, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    status = models.CharField(max_length=20)
    root_cause = models.CharField(max_length=20, blank=True)
    acknowledge_seconds = models.PositiveIntegerField(null=True)
    first_reply_seconds = models.PositiveIntegerField(null=True)
    resolve_seconds = models.PositiveIntegerField(null=True)
    # Resolved on first contact and never reopened (None until resolved).
    first_contact_resolution = models.BooleanField(null=True)
    handovers = models.PositiveIntegerField(default=0)
    escalations_to_lead = models.PositiveIntegerField(default=0)
    escalations_to_manager = models.PositiveIntegerField(default=0)
    escalations_to_executive = models.PositiveIntegerField(default=0)
    escalations_asked_by_customer = models.PositiveIntegerField(default=0)
    promises_kept_on_time = models.PositiveIntegerField(default=0)
    promises_kept_late = models.PositiveIntegerField(default=0)
    # Moved, with the reason told, before its due time (the service refuses a reschedule after it).
    promises_rescheduled = models.PositiveIntegerField(default=0)
    promises_broken = models.PositiveIntegerField(default=0)
    promises_withdrawn = models.PositiveIntegerField(default=0)
    # The customer's latest score, 1 to 5.
    rating = models.PositiveSmallIntegerField(null=True)
    reopened = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "case facts"
        indexes = [
            models.Index(fields=["opened_at"], name="case_facts_opened_idx"),
            models.Index(fields=["team", "opened_at"], name="case_facts_team_opened_idx"),
        ]

    def __str__(self) -> str:
        return f"facts of case {self.case_id}"


class CaseFactsStale(models.Model):
    """A case whose facts must be derived again (written by the PostgreSQL triggers above)."""

    case = models.OneToOneField(
        "complaints.Case", primary_key=True, on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )

    def __str__(self) -> str:
        return f"case {self.case_id} to refresh"
