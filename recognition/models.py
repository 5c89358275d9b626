"""Hero stories: what a colleague, a manager or a customer saw someone do, marked delight (nothing had gone
wrong) or recovery (a failure put right), moderated by leads and managers, with kudos and comments."""

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from complaints.models import Case
from crm.exceptions import NotAllowedInStatus


class StoryKind(models.TextChoices):
    DELIGHT = "delight", "Delight (nothing had gone wrong)"
    RECOVERY = "recovery", "Recovery (a failure put right)"


class StoryStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a moderator"
    PUBLISHED = "published", "Published"
    DECLINED = "declined", "Declined"


TRANSITIONS: dict[str, set[str]] = {
    StoryStatus.PENDING: {StoryStatus.PUBLISHED, StoryStatus.DECLINED},
    StoryStatus.PUBLISHED: set(),
    StoryStatus.DECLINED: set(),
}


class StoryAction(models.TextChoices):
    MODERATE = "moderate", "moderate"
    KUDOS = "kudos", "give kudos"
    COMMENT = "comment", "comment"


# What each status allows (who may is recognition.permissions).
ALLOWED_ACTIONS: dict[str, set[str]] = {
    StoryStatus.PENDING: {StoryAction.MODERATE},
    StoryStatus.PUBLISHED: {StoryAction.KUDOS, StoryAction.COMMENT},
    StoryStatus.DECLINED: set(),
}


class TellerKind(models.TextChoices):
    COLLEAGUE = "colleague", "A colleague"
    MANAGER = "manager", "A lead or manager"
    CUSTOMER = "customer", "A customer"


class StoryQuerySet(models.QuerySet):
    def published(self) -> Self:
        return self.filter(status=StoryStatus.PUBLISHED)


class Story(models.Model):
    about = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="stories_about", blank=True)
    # What a customer wrote for "who": kept for the moderator to match when it names nobody we know.
    about_as_given = models.CharField(max_length=200, blank=True)
    teller_kind = models.CharField(max_length=10, choices=TellerKind.choices)
    teller = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="stories_told"
    )
    customer_name = models.CharField(max_length=200, blank=True)
    customer_email = models.EmailField(max_length=254, blank=True)
    kind = models.CharField(max_length=10, choices=StoryKind.choices, blank=True, help_text="Blank until chosen.")
    text = models.TextField()
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories")
    status = models.CharField(max_length=10, choices=StoryStatus.choices, default=StoryStatus.PENDING)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Kept on the row: the board shows it for every story without counting (200,000 kudos).
    kudos_count = models.PositiveIntegerField(default=0, editable=False)

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "stories"
        indexes = [
            models.Index(fields=["-published_at", "-id"], name="story_board_idx", condition=Q(status="published")),
            models.Index(fields=["status", "created_at"], name="story_moderation_idx"),
            models.Index(fields=["-created_at", "-id"], name="story_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"Story #{self.pk}"

    def can(self, action: str) -> bool:
        return action in ALLOWED_ACTIONS[self.status]

    def require(self, action: str) -> None:
        if not self.can(action):
            raise NotAllowedInStatus(action=StoryAction(action).label, status=self.get_status_display())

    def move_to(self, status: str) -> str:
        if status not in TRANSITIONS[self.status]:
            raise NotAllowedInStatus(action=StoryAction.MODERATE.label, status=self.get_status_display())
        before, self.status = self.status, status
        return before


class StoryPerson(models.Model):
    """Who a published story is about, with its kind and time copied in: the board's balance, filters and
    "not recognised this quarter" read one indexed table instead of joining stories."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="people")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="story_mentions")
    team = models.ForeignKey("crm.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=StoryKind.choices)
    published_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["story", "user"], name="story_person_once")]
        indexes = [
            models.Index(fields=["published_at", "team", "kind"], name="story_person_balance_idx"),
            models.Index(fields=["user", "published_at"], name="story_person_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in story {self.story_id}"


class Kudos(models.Model):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="kudos")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "kudos"
        constraints = [models.UniqueConstraint(fields=["story", "user"], name="kudos_once")]

    def __str__(self) -> str:
        return f"kudos from {self.user_id} on {self.story_id}"


class Comment(models.Model):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on story {self.story_id}"
