from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Model
from django.http import HttpRequest

from crm.customers.services import customer_create, customer_update
from crm.exceptions import InvalidInput
from crm.models import (
    BulkEmail,
    Customer,
    NameChange,
    OutboundEmail,
    PersonalDataRequest,
    Service,
    StaffProfile,
    Subscription,
    Team,
)
from crm.permissions import acting_staff
from crm.staff.forms import time_zone_choices
from crm.validation import EDITABLE_FIELDS, clean_customer_fields


class ReadOnlyAdmin(admin.ModelAdmin):
    """History and the outbox are written by services only: the admin shows them, never edits them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class StaffProfileForm(forms.ModelForm):
    """The time zone picked from the tz database's names, as on the staff member's own settings page."""

    time_zone = forms.ChoiceField(required=False, choices=time_zone_choices, label="Time zone")

    class Meta:
        model = StaffProfile
        fields = ["user", "display_name", "team", "time_zone"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    form = StaffProfileForm
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


class CustomerAdminForm(forms.ModelForm):
    """The customer's fields by crm's rules, every problem shown on its field."""

    class Meta:
        model = Customer
        fields = EDITABLE_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            clean_customer_fields({name: cleaned.get(name, "") for name in EDITABLE_FIELDS}, instance=self.instance)
        except InvalidInput as error:
            for field, messages in error.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    """Saved through crm's customer services, so an admin's change to a name is in the name history."""

    form = CustomerAdminForm
    list_display = ["full_name", "title", "preferred_name", "email", "phone", "name_confirmed_at"]
    search_fields = ["full_name", "preferred_name", "email", "phone"]
    list_filter = ["preferred_channel", "language"]
    readonly_fields = ["service_notices_opt_out", "created_at", "updated_at", "name_confirmed_at", "name_confirmed_by"]
    inlines = [SubscriptionInline]

    def save_model(self, request: HttpRequest, obj: Customer, form: forms.ModelForm, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS}
        by = acting_staff(request)
        if change:
            saved = customer_update(customer=Customer.objects.get(pk=obj.pk), by=by, **fields)
        else:
            saved = customer_create(by=by, **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(NameChange)
class NameChangeAdmin(ReadOnlyAdmin):
    list_display = ["customer", "field", "before", "after", "changed_by", "changed_at"]
    list_select_related = ["customer", "changed_by"]
    search_fields = ["customer__full_name"]


@admin.register(PersonalDataRequest)
class PersonalDataRequestAdmin(ReadOnlyAdmin):
    list_display = ["customer", "kind", "by", "at", "reason"]
    list_select_related = ["customer", "by"]
    list_filter = ["kind"]


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
    form = StaffProfileForm
    list_display = ["display_name", "user", "team", "time_zone"]
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


@admin.register(BulkEmail)
class BulkEmailAdmin(ReadOnlyAdmin):
    """One message written once for many customers (an incident update); its copies are outbox rows."""

    list_display = ["subject", "created_at"]
