"""Reads for a story's page and the moderation queue."""

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet

from crm.permissions import StaffUser
from recognition import permissions
from recognition.models import Comment, Story, StoryStatus


def _people() -> Prefetch:
    return Prefetch("about", queryset=get_user_model().objects.select_related("staff_profile").order_by("pk"))


def story_detail(*, user: StaffUser, pk: int) -> Story:
    """One story the user may see (Story.DoesNotExist otherwise), with its people and comments."""
    return (
        permissions.visible_stories(user)
        .select_related("teller__staff_profile", "moderated_by__staff_profile", "case")
        .prefetch_related(
            _people(), Prefetch("comments", queryset=Comment.objects.select_related("author__staff_profile"))
        )
        .get(pk=pk)
    )


def pending() -> QuerySet[Story]:
    """Stories waiting for a moderator, oldest first."""
    return (
        Story.objects.filter(status=StoryStatus.PENDING)
        .select_related("teller__staff_profile", "case")
        .prefetch_related(_people())
        .order_by("created_at", "id")
    )
