"""Times as people read them, in one place: one format, the reader's time zone named by its abbreviation,
and words for the near past and future.

- Pages: `{{ value|when }}` (crm.templatetags.gemdesk) draws `<time datetime="…" title="…">in 3 h</time>`
  in the time zone of the staff member looking (config.middleware.StaffTimeZoneMiddleware activates it;
  `StaffProfile.time_zone`, blank for the site's TIME_ZONE). Public pages use the site's zone
  (`in_site_time_zone`).
- Emails and anywhere words make no sense: `{{ value|absolute }}` / `absolute(value)`, e.g.
  "Tue 8 Dec 2026, 14:05 CET". Staff emails are drawn in the recipient's zone (`in_zone_of(user)`),
  customers' in the site's zone (`in_site_zone()`), so the abbreviation always says which.
- CSV and the API stay ISO 8601 with an offset.
"""

import functools
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, tzinfo
from html import escape
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

# The one format of a date, and of a moment (the date, the time, the zone's abbreviation), everywhere:
# pages, hover titles, staff and customer emails. "Tue 8 Dec 2026" and "Tue 8 Dec 2026, 14:05 CET".
# Filled in by `written` with English names (Gemdesk speaks English): Django's own date formatting costs
# ten times as much, and a case's timeline draws a few hundred of these.
DATE_FORMAT = "{weekday} {day} {month} {year}"
DATETIME_FORMAT = DATE_FORMAT + ", {hour:02d}:{minute:02d} {zone}"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Nearer than this, a time reads in words ("in 3 h", "2 days ago"); farther, as DATETIME_FORMAT.
RELATIVE_WITHIN = timedelta(days=7)

# Offered first on the settings page; every zone of the tz database follows.
COMMON_TIME_ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
]

ViewT = TypeVar("ViewT", bound=Callable[..., Any])


@functools.cache
def known_time_zones() -> frozenset[str]:
    """Every zone name of the tz database on this machine (read once)."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """Model and form validator: blank (the site's zone) or a name of the tz database."""
    if value and value not in known_time_zones():
        raise ValidationError(
            "%(value)s is not a time zone we know: pick one from the list, e.g. Europe/London.",
            code="invalid_time_zone",
            params={"value": value},
        )


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def site_today() -> date:
    """Today in the site's time zone: the day figures, boards and trends count by, whoever reads them."""
    return timezone.localdate(timezone=site_zone())


def site_midnight(day: date) -> datetime:
    """The moment `day` begins in the site's time zone: where a period of figures, boards and trends starts."""
    return timezone.make_aware(datetime.combine(day, time.min), site_zone())


def zone_named(name: str) -> ZoneInfo:
    """The zone of this name; blank or unknown is the site's zone."""
    if name and name in known_time_zones():
        return ZoneInfo(name)
    return site_zone()


def zone_of(user: Any) -> ZoneInfo:
    """A staff member's time zone: their profile's, else the site's (also for anyone without a profile)."""
    profile = getattr(user, "staff_profile", None)
    return zone_named(getattr(profile, "time_zone", "") or "")


def zone_label(zone: tzinfo, *, at: datetime | None = None) -> str:
    """The zone's name, abbreviation and offset now (or at `at`): "Europe/Berlin (CET, UTC+01:00)"."""
    moment = (at or timezone.now()).astimezone(zone)
    minutes = int((moment.utcoffset() or timedelta(0)).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, minutes = divmod(abs(minutes), 60)
    return f"{zone} ({moment.tzname()}, UTC{sign}{hours:02d}:{minutes:02d})"


@contextmanager
def in_zone_of(user: Any) -> Iterator[None]:
    """Draw times in this staff member's zone (their emails)."""
    with timezone.override(zone_of(user)):
        yield


def render_email_text(template: str, context: dict[str, Any], *, reader: Any = None) -> str:
    """An email's text, its times in the zone of `reader` (a member of staff), else the site's (a customer)."""
    with in_zone_of(reader):
        return render_to_string(template, context)


@contextmanager
def in_site_zone() -> Iterator[None]:
    """Draw times in the site's zone (customers' emails and pages), whoever's request this is."""
    with timezone.override(site_zone()):
        yield


def in_site_time_zone(view: ViewT) -> ViewT:
    """View decorator for public pages: times in the site's zone, even for a signed-in staff member."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with in_site_zone():
            return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _moment(value: datetime | date | str) -> datetime | date | None:
    """A datetime in the current zone, or a date; ISO text (as events keep times) is read first. A naive
    datetime is taken to be in the site's zone."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            value = value.replace(tzinfo=site_zone())
        return value.astimezone(timezone.get_current_timezone())
    return value


def written(moment: datetime | date) -> str:
    """A datetime already in the zone to show (its own tzinfo names it) or a date, in the one format."""
    day = {"weekday": WEEKDAYS[moment.weekday()], "day": moment.day, "month": MONTHS[moment.month - 1]}
    if isinstance(moment, datetime):
        return DATETIME_FORMAT.format(
            **day, year=moment.year, hour=moment.hour, minute=moment.minute, zone=moment.tzname() or ""
        )
    return DATE_FORMAT.format(**day, year=moment.year)


def absolute(value: datetime | date | str | None) -> str:
    """A time as written everywhere, in the current zone: "Tue 8 Dec 2026, 14:05 CET" ("Tue 8 Dec 2026" for a
    date); "" for nothing. Text that is not a time comes back as it was."""
    if value is None or value == "":
        return ""
    moment = _moment(value)
    if moment is None:
        return str(value)
    return written(moment)


def absolute_for(user: Any, value: datetime | date | str | None) -> str:
    """`absolute` in this staff member's zone (a line of their email built in Python, e.g. a subject)."""
    with in_zone_of(user):
        return absolute(value)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def relative(value: datetime | date, *, now: datetime | None = None) -> str:
    """Words for a time within RELATIVE_WITHIN of now, else "" (then show it absolute). The rule:

    - a moment less than a minute ago is "just now", less than a minute ahead "in under a minute";
    - then whole units elapsed, rounded down: under an hour "5 min ago" / "in 5 min", under a day
      "3 h ago" / "in 3 h", under 7 days "2 days ago" / "in 1 day";
    - a date (no time of day) counts calendar days in the current zone: "today", "yesterday",
      "tomorrow", "3 days ago", "in 6 days".
    """
    now = now or timezone.now()
    if not isinstance(value, datetime):
        days = (value - timezone.localdate(now)).days
        if abs(days) >= RELATIVE_WITHIN.days:
            return ""
        if days in (-1, 0, 1):
            return {-1: "yesterday", 0: "today", 1: "tomorrow"}[days]
        return f"in {days} days" if days > 0 else f"{-days} days ago"
    seconds = int((value - now).total_seconds())
    distance = abs(seconds)
    if distance >= RELATIVE_WITHIN.total_seconds():
        return ""
    if distance < 60:
        return "just now" if seconds <= 0 else "in under a minute"
    if distance < 3600:
        words = f"{distance // 60} min"
    elif distance < 86400:
        words = f"{distance // 3600} h"
    else:
        words = _plural(distance // 86400, "day")
    return f"{words} ago" if seconds < 0 else f"in {words}"


def when_html(value: datetime | date | str | None, *, now: datetime | None = None, exact: bool = False) -> SafeString:
    """A time on a page: `<time datetime="2026-12-08T14:05:00+01:00" title="Tue 8 Dec 2026, 14:05 CET">in 3 h
    </time>`, in words when near (`relative`), else (or `exact`) the absolute time; in the current zone.
    Nothing for nothing; text that is not a time is escaped and shown as it is."""
    if value is None or value == "":
        return SafeString("")
    moment = _moment(value)
    if moment is None:
        return format_html("{}", value)
    exactly = written(moment)
    machine = moment.isoformat()  # to the microsecond when it has them: the machine-readable time loses nothing
    words = "" if exact else relative(moment, now=now)
    # Built directly (format_html would double this function's cost): every part is ours, and escaped anyway.
    return SafeString(f'<time datetime="{escape(machine)}" title="{escape(exactly)}">{escape(words or exactly)}</time>')
