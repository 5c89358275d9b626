"""Reads for stories: as cards (the board, the API list), a story's page, the moderation queue, the stories
told about a case."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from complaints.models import Case
from crm.permissions import StaffUser
from recognition import permissions
from recognition.models import Comment, Kudos, Story, StoryStatus


def _people() -> Prefetch:
    return Prefetch("about", queryset=get_user_model().objects.select_related("staff_profile").order_by("pk"))


def as_cards(stories: QuerySet[Story], *, user: StaffUser) -> QuerySet[Story]:
    """What a card shows, for any number of stories in a fixed number of queries: teller, case, the people
    it is about, and whether this user gave kudos (`kudos_given`)."""
    mine = Kudos.objects.filter(story=OuterRef("pk"), user=user)
    return (
        stories.select_related("teller__staff_profile", "case")
        .prefetch_related(_people())
        .annotate(kudos_given=Exists(mine))
    )


def story_list(*, user: StaffUser) -> QuerySet[Story]:
    """Every story the user may see, newest first (the API's list)."""
    return as_cards(permissions.visible_stories(user), user=user).order_by("-created_at", "-id")


def gave_kudos(*, story: Story, user: StaffUser) -> bool:
    return Kudos.objects.filter(story=story, user=user).exists()


def told_about_case(case: Case, *, limit: int = 5) -> list[Story]:
    return list(Story.objects.published().filter(case=case).order_by("-published_at", "-id")[:limit])


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
