"""Admin for feedback. Policies are edited here too (by managers, through the same service as their page);
suggestions, their endorsements, comments and history change only through the services, so they are shown,
never edited."""

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from crm.admin import ReadOnlyAdmin
from crm.permissions import acting_staff
from feedback import permissions
from feedback.models import Comment, Endorsement, Policy, Suggestion, SuggestionEvent
from feedback.policies.services import policy_save


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "manager", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    filter_horizontal = ["categories"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and permissions.can_manage_policies(request.user)  # type: ignore[arg-type]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and permissions.can_manage_policies(request.user)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # suggestions point at it: mark it not in use instead

    def save_model(self, request: HttpRequest, obj: Policy, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        saved = policy_save(
            by=acting_staff(request),
            policy=Policy.objects.get(pk=obj.pk) if change else None,
            name=data["name"],
            description=data["description"],
            manager=data["manager"],
            categories=list(data["categories"]),
            root_causes=data["root_causes"],
            active=data["active"],
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        """The categories were set by policy_save."""


class SuggestionEventInline(admin.TabularInline):
    model = SuggestionEvent
    fields = readonly_fields = ("created_at", "kind", "actor", "data")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Suggestion | None = None) -> bool:
        return False


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    list_display = ["id", "subject", "policy", "status", "decision_due_at", "endorsement_count"]
    list_filter = ["status", "policy"]
    search_fields = ["subject", "problem", "proposal"]
    list_select_related = ["policy"]
    inlines = [SuggestionEventInline]


@admin.register(Endorsement)
class EndorsementAdmin(ReadOnlyAdmin):
    list_display = ["suggestion", "user", "created_at"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["suggestion", "author", "created_at"]


@admin.register(SuggestionEvent)
class SuggestionEventAdmin(ReadOnlyAdmin):
    list_display = ["suggestion", "kind", "actor", "created_at"]
    list_filter = ["kind"]
