from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from crm.models import Customer, NameChange, OutboundEmail, Service, StaffProfile, Subscription, Team


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and the outbox are written by services only: the admin shows them, never edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0
    autocomplete_fields = ["service"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["full_name", "title", "preferred_name", "email", "phone", "name_confirmed_at"]
    search_fields = ["full_name", "preferred_name", "email", "phone"]
    list_filter = ["preferred_channel", "language"]
    readonly_fields = ["created_at", "updated_at", "name_confirmed_at", "name_confirmed_by"]
    inlines = [SubscriptionInline]


@admin.register(NameChange)
class NameChangeAdmin(ReadOnlyAdmin):
    list_display = ["customer", "field", "before", "after", "changed_by", "changed_at"]
    list_select_related = ["customer", "changed_by"]
    search_fields = ["customer__full_name"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["key", "to_email", "subject", "state", "attempts", "created_at", "sent_at"]
    list_filter = ["state"]
    search_fields = ["key", "to_email"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "team"]
    list_select_related = ["user", "team"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["customer", "service", "region", "active"]
    list_filter = ["service", "region", "active"]
    list_select_related = ["customer", "service"]
    autocomplete_fields = ["customer", "service"]
