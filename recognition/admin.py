"""Admin for recognition: to look. Stories change only through their services (moderation tells people)."""

from django.contrib import admin

from crm.admin import ReadOnlyAdmin
from recognition.models import Comment, Kudos, Story, StoryPerson


@admin.register(Story)
class StoryAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "status", "teller_kind", "created_at", "published_at", "kudos_count"]
    list_filter = ["status", "kind", "teller_kind"]
    search_fields = ["text", "about_as_given"]


@admin.register(StoryPerson)
class StoryPersonAdmin(ReadOnlyAdmin):
    list_display = ["story", "user", "team", "kind", "published_at"]


@admin.register(Kudos)
class KudosAdmin(ReadOnlyAdmin):
    list_display = ["story", "user", "created_at"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["story", "author", "created_at"]
