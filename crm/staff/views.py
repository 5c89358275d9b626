"""The staff member's own settings: "Your settings" (/settings/), linked from their name in the header."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from config.http import StaffRequest
from crm import times
from crm.exceptions import DomainError
from crm.permissions import staff_required
from crm.staff import services
from crm.staff.forms import TimeZoneForm


@staff_required
def staff_settings(request: StaffRequest) -> HttpResponse:
    """Your own settings only: the page has no one else's id to change."""
    profile = getattr(request.user, "staff_profile", None)
    form = TimeZoneForm(request.POST or None, initial={"time_zone": getattr(profile, "time_zone", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"], by=request.user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, f"Times are now shown in {times.zone_label(times.zone_of(request.user))}.")
            return redirect("staff-settings")
    zone = times.zone_of(request.user)
    context = {"form": form, "zone": times.zone_label(zone), "now": timezone.now()}
    return render(request, "crm/staff/settings.html", context, status=400 if form.errors else 200)
