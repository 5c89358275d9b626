"""The staff member's own settings page."""

from django import forms

from crm import times
from crm.forms import DomainErrorsMixin


def time_zone_choices() -> list[tuple[str, object]]:
    """The site's zone (blank), the common zones, then every zone of the tz database, each with its
    abbreviation and offset today."""
    common = [(name, times.zone_label(times.zone_named(name))) for name in times.COMMON_TIME_ZONES]
    everything = [(name, name) for name in sorted(times.known_time_zones())]
    return [
        ("", f"The site's time zone: {times.zone_label(times.site_zone())}"),
        ("Common time zones", common),
        ("Every time zone", everything),
    ]


class TimeZoneForm(DomainErrorsMixin, forms.Form):
    time_zone = forms.ChoiceField(
        label="Your time zone",
        required=False,
        choices=time_zone_choices,
        help_text="Times on every page and in the emails Gemdesk sends you are shown in this zone, "
        "with its abbreviation (CET, BST, EST…). Customers see the site's time zone.",
    )

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"]
        times.validate_time_zone(value)
        return value
