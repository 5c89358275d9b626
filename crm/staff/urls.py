"""Page routes of crm's staff capability, mounted at the root: the signed-in staff member's own settings."""

from django.urls import path

from crm.staff import views

urlpatterns = [
    path("settings/", views.staff_settings, name="staff-settings"),
]
