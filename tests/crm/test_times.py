"""Times as people read them (crm.times, `{{ value|when }}` and `{{ value|absolute }}`): words for the near past
and future, the exact time with its zone's abbreviation on hover, one format everywhere."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import timezone

from crm import times
from tests.html_page import parse

NOW = datetime(2026, 12, 8, 13, 5, tzinfo=UTC)  # Tue 8 Dec 2026, 14:05 in Berlin (CET, winter)
BERLIN = ZoneInfo("Europe/Berlin")


def render(source, **context):
    return Template("{% load gemdesk %}" + source).render(Context(context))


def time_element(html):
    return parse(str(html)).find("time")


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(0), "just now"),
        (-timedelta(seconds=59), "just now"),
        (timedelta(seconds=30), "in under a minute"),
        (-timedelta(seconds=60), "1 min ago"),
        (-timedelta(minutes=5, seconds=59), "5 min ago"),
        (timedelta(minutes=59, seconds=59), "in 59 min"),
        (timedelta(hours=1), "in 1 h"),
        (timedelta(hours=3, minutes=59), "in 3 h"),
        (-timedelta(hours=23, minutes=59), "23 h ago"),
        (-timedelta(hours=24), "1 day ago"),
        (timedelta(days=1, hours=23), "in 1 day"),
        (-timedelta(days=2, hours=5), "2 days ago"),
        (timedelta(days=6, hours=23, minutes=59), "in 6 days"),
    ],
)
def test_near_times_read_in_words_rounded_down(offset, words):
    assert times.relative(NOW + offset, now=NOW) == words


@pytest.mark.parametrize(
    ("offset", "written"),
    [
        (timedelta(days=7), "Tue 15 Dec 2026, 13:05 UTC"),
        (-timedelta(days=7), "Tue 1 Dec 2026, 13:05 UTC"),
        (timedelta(days=400), "Wed 12 Jan 2028, 13:05 UTC"),
    ],
)
def test_from_seven_days_away_a_time_reads_absolute(offset, written):
    assert times.relative(NOW + offset, now=NOW) == ""
    with timezone.override(UTC):
        html = times.when_html(NOW + offset, now=NOW)
    assert time_element(html).text == written == time_element(html).get("title")


def test_the_tag_gives_words_the_exact_time_on_hover_and_a_machine_readable_time():
    with time_machine.travel(NOW, tick=False), timezone.override(BERLIN):
        html = render("{{ due|when }}", due=NOW + timedelta(hours=3))
    element = time_element(html)
    assert element.text == "in 3 h"
    assert element.get("title") == "Tue 8 Dec 2026, 17:05 CET"
    assert element.get("datetime") == "2026-12-08T17:05:00+01:00"
    assert datetime.fromisoformat(element.get("datetime")) == NOW + timedelta(hours=3)


def test_the_datetime_attribute_keeps_the_exact_moment():
    moment = NOW + timedelta(seconds=8, microseconds=590948)
    with timezone.override(UTC):
        element = time_element(times.when_html(moment, now=NOW))
    assert datetime.fromisoformat(element.get("datetime")) == moment


def test_summer_in_london_says_bst_and_winter_says_gmt():
    summer = datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    winter = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/London")):
        assert times.absolute(summer) == "Wed 1 Jul 2026, 09:30 BST"
        assert times.absolute(winter) == "Thu 15 Jan 2026, 08:30 GMT"
        element = time_element(times.when_html(summer, now=summer - timedelta(hours=2)))
    assert element.text == "in 2 h" and element.get("title").endswith("09:30 BST")
    assert element.get("datetime") == "2026-07-01T09:30:00+01:00"


def test_across_a_clock_change_the_words_count_real_hours():
    # London's clocks went forward at 01:00 UTC on 29 March 2026: 00:30 GMT to 03:30 BST is 2 hours.
    before, after = datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 2, 30, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/London")):
        assert times.relative(after, now=before) == "in 2 h"
        assert times.absolute(before) == "Sun 29 Mar 2026, 00:30 GMT"
        assert times.absolute(after) == "Sun 29 Mar 2026, 03:30 BST"


def test_exact_always_reads_absolute_and_absolute_is_plain_text():
    with time_machine.travel(NOW, tick=False), timezone.override(BERLIN):
        exact = time_element(render('{{ due|when:"exact" }}', due=NOW + timedelta(hours=3)))
        plain = render("{{ due|absolute }}", due=NOW + timedelta(hours=3))
    assert exact.text == exact.get("title") == "Tue 8 Dec 2026, 17:05 CET"
    assert plain == "Tue 8 Dec 2026, 17:05 CET"


def test_dates_count_calendar_days_in_the_viewers_zone():
    # 23:30 UTC on 8 Dec is already 9 Dec in Berlin.
    late = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)
    with timezone.override(BERLIN):
        assert times.relative(date(2026, 12, 9), now=late) == "today"
        assert times.relative(date(2026, 12, 10), now=late) == "tomorrow"
        assert times.relative(date(2026, 12, 8), now=late) == "yesterday"
        assert times.relative(date(2026, 12, 15), now=late) == "in 6 days"
        assert times.relative(date(2026, 12, 16), now=late) == ""
        element = time_element(times.when_html(date(2026, 12, 6), now=late))
    assert (
        element.text == "3 days ago"
        and element.get("title") == "Sun 6 Dec 2026"
        and element.get("datetime") == "2026-12-06"
    )
    assert times.absolute(date(2026, 12, 6)) == "Sun 6 Dec 2026"


def test_nothing_shows_nothing_and_text_that_is_no_time_is_escaped():
    assert render("{{ none|when }}|{{ none|absolute }}|{{ none|when|default:'—' }}", none=None) == "||—"
    assert times.when_html("<b>soon</b>") == "&lt;b&gt;soon&lt;/b&gt;"
    assert render("{{ text|absolute }}", text="<b>soon</b>") == "&lt;b&gt;soon&lt;/b&gt;"


def test_times_kept_as_iso_text_read_like_any_other():
    with timezone.override(BERLIN):
        assert times.absolute("2026-12-08T13:05:00+00:00") == "Tue 8 Dec 2026, 14:05 CET"


def test_a_time_zone_is_blank_or_a_name_of_the_tz_database():
    times.validate_time_zone("")
    times.validate_time_zone("America/Argentina/Buenos_Aires")
    for bad in ("Mars/Olympus_Mons", "CET+1", "europe/london", "../../etc/passwd"):
        with pytest.raises(ValidationError):
            times.validate_time_zone(bad)


def test_a_staff_members_zone_falls_back_to_the_sites(settings, alice):
    settings.TIME_ZONE = "Europe/London"
    assert times.zone_of(alice) == ZoneInfo("Europe/London")
    alice.staff_profile.time_zone = "Asia/Tokyo"
    assert times.zone_of(alice) == ZoneInfo("Asia/Tokyo")
    assert times.zone_of(None) == ZoneInfo("Europe/London")
    assert times.absolute_for(alice, NOW) == "Tue 8 Dec 2026, 22:05 JST"
