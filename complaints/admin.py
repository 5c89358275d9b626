"""Admin for cases: to look, not to change. Cases change only through services (pages, API),
so every change is an event and no reassignment is silent. Categories are edited here."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from complaints.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseFacts,
    CaseFactsStale,
    Category,
    Collaborator,
    InboundEmail,
    Incident,
    IncidentUpdate,
    Promise,
    RejectedEmail,
)
from crm.admin import ReadOnlyAdmin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    prepopulated_fields = {"slug": ["name"]}


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = readonly_fields = ("created_at", "kind", "actor_kind", "actor", "data")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["reference", "subject", "customer", "owner", "status", "severity", "opened_at"]
    list_filter = ["status", "severity", "channel", "category"]
    search_fields = ["reference", "subject", "customer__full_name", "customer__email"]
    list_select_related = ["customer", "owner"]
    readonly_fields = [
        "reference",
        "customer",
        "channel",
        "owner",
        "status",
        "opened_at",
        "acknowledged_at",
        "first_response_at",
        "awaiting_reply_since",
        "resolved_at",
        "closed_at",
        "root_cause",
        "resolution_summary",
        "resolved_on_first_contact",
        "public_token",
        "description",
    ]
    fields = ["subject", "category", "severity", "outcome_wanted", *readonly_fields]
    inlines = [CaseEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # cases are opened through the pages, the API, email and the public form

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "actor_kind", "actor", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["case", "actor"]


@admin.register(CaseFacts)
class CaseFactsAdmin(ReadOnlyAdmin):
    """The figures' rollup, derived from the events (manage.py rebuild_figures derives it again)."""

    list_display = ["case", "opened_at", "channel", "status", "team", "handovers", "rating"]
    list_filter = ["channel", "status"]
    list_select_related = ["case", "team"]


@admin.register(CaseFactsStale)
class CaseFactsStaleAdmin(ReadOnlyAdmin):
    list_display = ["case"]


@admin.register(Promise)
class PromiseAdmin(ReadOnlyAdmin):
    list_display = ["case", "text", "due_at", "status"]
    list_filter = ["status"]
    list_select_related = ["case"]


@admin.register(Collaborator)
class CollaboratorAdmin(ReadOnlyAdmin):
    list_display = ["case", "user", "level", "added_at"]
    list_select_related = ["case", "user"]


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "from_address", "subject", "outcome", "reason", "case"]
    list_filter = ["outcome"]
    search_fields = ["from_address", "subject", "message_id"]
    list_select_related = ["case"]
    exclude = ["raw"]


@admin.register(RejectedEmail)
class RejectedEmailAdmin(ReadOnlyAdmin):
    """Read here; staff download the raw message and open a case from it on the Mail page (/cases/mail/)."""

    list_display = ["received_at", "from_address", "subject", "reason", "size", "case"]
    search_fields = ["from_address", "subject", "reason"]
    list_select_related = ["case"]
    exclude = ["raw"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "case", "content_type", "size", "created_at"]
    list_select_related = ["case"]


class IncidentUpdateInline(admin.StackedInline):
    model = IncidentUpdate
    fields = readonly_fields = (
        "subject",
        "body",
        "published_at",
        "written_by",
        "is_resolution",
        "fanned_out_at",
        "recipients",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Incident | None = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    """Incidents are declared and updated on their pages (/cases/incidents/), where updates are emailed."""

    list_display = ["title", "status", "severity", "started_at", "resolved_at"]
    list_filter = ["status", "severity"]
    inlines = [IncidentUpdateInline]


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(ReadOnlyAdmin):
    list_display = ["incident", "subject", "published_at", "fanned_out_at", "recipients"]
    list_select_related = ["incident"]
