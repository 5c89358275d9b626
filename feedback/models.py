"""Staff suggestions about the policies and systems they work within, decided by managers by a deadline,
with the complaints that prove the problem and, once implemented, whether complaints went down."""

from typing import Any, Self

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from complaints.models import Case, Category, RootCause
from crm.append_only import AppendOnlyModel
from crm.exceptions import NotAllowedInStatus

# --- Policies -------------------------------------------------------------------------------------


class Policy(models.Model):
    """A policy or system staff work within (the refund policy, the billing system): its responsible manager
    decides the suggestions about it; the complaints it covers are its categories and root causes."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True, help_text="What it is, in a sentence or two.")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="policies_managed",
        help_text="Decides the suggestions about this policy.",
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="policies")
    root_causes = models.JSONField(
        default=list, blank=True, help_text=f"Root causes it covers, of: {', '.join(RootCause.values)}."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name


# --- Suggestions -------------------------------------------------------------------------------------


class SuggestionStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    UNDER_REVIEW = "under_review", "Under review"
    NEEDS_INFO = "needs_info", "Needs more information"
    ACCEPTED = "accepted", "Accepted"
    IMPLEMENTED = "implemented", "Implemented"
    DECLINED = "declined", "Declined"
    MERGED = "merged", "Merged"


# Every move a suggestion's status may make. A decision is final except that a suggestion waiting for
# information goes back under review; an accepted one is implemented.
TRANSITIONS: dict[str, set[str]] = {
    SuggestionStatus.SUBMITTED: {
        SuggestionStatus.UNDER_REVIEW,
        SuggestionStatus.NEEDS_INFO,
        SuggestionStatus.ACCEPTED,
        SuggestionStatus.DECLINED,
        SuggestionStatus.MERGED,
    },
    SuggestionStatus.UNDER_REVIEW: {
        SuggestionStatus.NEEDS_INFO,
        SuggestionStatus.ACCEPTED,
        SuggestionStatus.DECLINED,
        SuggestionStatus.MERGED,
    },
    SuggestionStatus.NEEDS_INFO: {
        SuggestionStatus.UNDER_REVIEW,
        SuggestionStatus.ACCEPTED,
        SuggestionStatus.DECLINED,
        SuggestionStatus.MERGED,
    },
    SuggestionStatus.ACCEPTED: {SuggestionStatus.IMPLEMENTED},
    SuggestionStatus.IMPLEMENTED: set(),
    SuggestionStatus.DECLINED: set(),
    SuggestionStatus.MERGED: set(),
}
# Waiting for a decision: in the review queue, counted against the deadline.
UNDECIDED_STATUSES = (SuggestionStatus.SUBMITTED, SuggestionStatus.UNDER_REVIEW, SuggestionStatus.NEEDS_INFO)
# Decisions the manager gives with a written reason (at least DECISION_MIN_LENGTH characters).
REASONED_DECISIONS = (SuggestionStatus.ACCEPTED, SuggestionStatus.DECLINED, SuggestionStatus.NEEDS_INFO)
DECIDED_STATUSES = (SuggestionStatus.ACCEPTED, SuggestionStatus.IMPLEMENTED, SuggestionStatus.DECLINED)


class SuggestionAction(models.TextChoices):
    EDIT = "edit", "edit"
    ENDORSE = "endorse", "endorse"
    COMMENT = "comment", "comment"
    LINK_CASE = "link_case", "link a case"
    DECIDE = "decide", "decide"
    MERGE = "merge", "merge"
    IMPLEMENT = "implement", "mark implemented"


_OPEN = {SuggestionAction.ENDORSE, SuggestionAction.COMMENT, SuggestionAction.LINK_CASE}
# What each status allows (who may is feedback.permissions).
ALLOWED_ACTIONS: dict[str, set[str]] = {
    SuggestionStatus.SUBMITTED: _OPEN | {SuggestionAction.EDIT, SuggestionAction.DECIDE, SuggestionAction.MERGE},
    SuggestionStatus.UNDER_REVIEW: _OPEN | {SuggestionAction.DECIDE, SuggestionAction.MERGE},
    SuggestionStatus.NEEDS_INFO: _OPEN | {SuggestionAction.EDIT, SuggestionAction.DECIDE, SuggestionAction.MERGE},
    SuggestionStatus.ACCEPTED: _OPEN | {SuggestionAction.IMPLEMENT},
    SuggestionStatus.IMPLEMENTED: {SuggestionAction.COMMENT},
    SuggestionStatus.DECLINED: {SuggestionAction.COMMENT},
    SuggestionStatus.MERGED: set(),
}


class SuggestionQuerySet(models.QuerySet):
    def undecided(self) -> Self:
        return self.filter(status__in=UNDECIDED_STATUSES)

    def overdue(self, now: Any) -> Self:
        return self.undecided().filter(decision_due_at__lt=now)


class Suggestion(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="suggestions")
    show_name = models.BooleanField(
        default=True, help_text="False: shown to colleagues as 'a colleague' (managers deciding see who)."
    )
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.PROTECT, related_name="suggestions")
    subject = models.CharField(max_length=200, help_text="What it is about (the policy's name, or the author's).")
    problem = models.TextField()
    proposal = models.TextField()
    expected_benefit = models.TextField()
    cases = models.ManyToManyField(Case, blank=True, related_name="suggestions", help_text="The evidence.")
    status = models.CharField(max_length=20, choices=SuggestionStatus.choices, default=SuggestionStatus.SUBMITTED)
    deciding_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="suggestions_to_decide"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decision_due_at = models.DateTimeField()
    decision = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    implemented_on = models.DateField(null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from")
    # Kept on the row so the board and the review queue show them without counting (10,000 suggestions:
    # counting linked cases per page row was 70 ms of a 100 ms board).
    endorsement_count = models.PositiveIntegerField(default=0, editable=False)
    case_count = models.PositiveIntegerField(default=0, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["-submitted_at", "-id"], name="suggestion_board_idx"),
            # The review queue: undecided ones in due order, read from the front until the page is full.
            models.Index(
                fields=["decision_due_at", "id"],
                name="suggestion_review_idx",
                condition=Q(status__in=["submitted", "under_review", "needs_info"]),
            ),
            models.Index(fields=["status", "decision_due_at"], name="suggestion_due_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}: {self.subject}"

    def can(self, action: str) -> bool:
        return action in ALLOWED_ACTIONS[self.status]

    def require(self, action: str) -> None:
        if not self.can(action):
            raise NotAllowedInStatus(action=SuggestionAction(action).label, status=self.get_status_display())

    def move_to(self, status: str, *, action: str) -> str:
        if status not in TRANSITIONS[self.status]:
            raise NotAllowedInStatus(action=SuggestionAction(action).label, status=self.get_status_display())
        before, self.status = self.status, status
        return before

    @property
    def is_undecided(self) -> bool:
        return self.status in UNDECIDED_STATUSES

    def is_overdue(self, now: Any = None) -> bool:
        return self.status in UNDECIDED_STATUSES and self.decision_due_at < (now or timezone.now())


class Endorsement(models.Model):
    """'I see this too': one per staff member and suggestion, never the author's own."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="endorsements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="endorsements")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["suggestion", "user"], name="endorsement_once")]

    def __str__(self) -> str:
        return f"{self.user} endorses {self.suggestion_id}"


class Comment(models.Model):
    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    # Where a merged suggestion's comments came from (they follow it into the one it was merged into).
    moved_from = models.ForeignKey(Suggestion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on {self.suggestion_id}"


class SuggestionEventKind(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    EDITED = "edited", "Edited"
    STATUS_CHANGED = "status_changed", "Status changed"
    ENDORSED = "endorsed", "Endorsed"
    ENDORSEMENT_WITHDRAWN = "endorsement_withdrawn", "Endorsement withdrawn"
    COMMENTED = "commented", "Commented"
    CASE_LINKED = "case_linked", "Case linked"
    MERGED_IN = "merged_in", "Merged in"
    REMINDED = "reminded", "Decision reminder sent"
    ESCALATED = "escalated", "Overdue decision escalated"


@pgtrigger.register(
    pgtrigger.Protect(name="suggestion_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
)
class SuggestionEvent(AppendOnlyModel):
    """One thing that happened to a suggestion (the history on its page, and where the figures come from).
    Never changed, never deleted. Written only by feedback.events."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=SuggestionEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["suggestion", "created_at", "id"], name="suggestion_event_history_idx"),
            models.Index(fields=["kind", "created_at"], name="suggestion_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on suggestion {self.suggestion_id}"
