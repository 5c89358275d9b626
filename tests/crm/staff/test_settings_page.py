"""Your settings (/settings/): each staff member picks the time zone their pages and emails show times in."""

import pytest
from django.urls import reverse

from crm.exceptions import NotPermitted
from crm.models import StaffProfile
from crm.staff import services
from tests.html_page import label_of, parse

pytestmark = pytest.mark.django_db

URL = "/settings/"


def test_the_name_in_the_header_leads_to_your_settings(as_user, alice):
    page = parse(as_user(alice).get(reverse("complaints:my-cases")).content.decode())
    link = page.find("a", href=URL)
    assert link is not None and link.text == "Alice"


def test_a_staff_member_sets_their_own_time_zone(as_user, alice, settings):
    settings.TIME_ZONE = "Europe/London"
    client = as_user(alice)
    page = parse(client.get(URL).content.decode())
    select = page.find("select", name="time_zone")
    assert label_of(page, select).text == "Your time zone"
    options = [option.get("value") for option in select.find_all("option")]
    assert options[0] == "" and options[1] == "UTC"  # the site's zone, then the common ones, then every zone
    assert "Europe/Berlin" in options and "America/Argentina/Buenos_Aires" in options
    assert select.find("option", selected="").get("value") == ""

    done = client.post(URL, {"time_zone": "Europe/Berlin"}, follow=True)
    assert done.redirect_chain == [(URL, 302)]
    page = parse(done.content.decode())
    assert "Times are now shown in Europe/Berlin (CE" in page.find("ul", class_="messages").text
    assert page.find("select", name="time_zone").find("option", selected="").get("value") == "Europe/Berlin"
    assert StaffProfile.objects.get(user=alice).time_zone == "Europe/Berlin"

    client.post(URL, {"time_zone": ""})  # back to the site's zone
    assert StaffProfile.objects.get(user=alice).time_zone == ""


def test_an_unknown_time_zone_is_a_form_error_and_changes_nothing(as_user, alice):
    alice.staff_profile.time_zone = "Asia/Tokyo"
    alice.staff_profile.save()
    response = as_user(alice).post(URL, {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    page = parse(response.content.decode())
    assert "Select a valid choice" in page.find("ul", class_="errorlist").text
    assert StaffProfile.objects.get(user=alice).time_zone == "Asia/Tokyo"


def test_nobody_changes_another_persons_time_zone(as_user, alice, bob, lena):
    # The page has no one's id to change: whatever names bob in the form, only the signed-in person changes.
    as_user(alice).post(URL, {"time_zone": "Asia/Tokyo", "user": bob.pk, "username": "bob"})
    assert StaffProfile.objects.get(user=bob).time_zone == ""
    assert StaffProfile.objects.get(user=alice).time_zone == "Asia/Tokyo"
    # And the service refuses anyone but the person themselves, their lead included.
    with pytest.raises(NotPermitted):
        services.staff_set_time_zone(user=bob, time_zone="Asia/Tokyo", by=lena)
    assert StaffProfile.objects.get(user=bob).time_zone == ""


def test_the_settings_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_admin_offers_the_same_zones_and_refuses_others(as_user, alice, settings):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@gemdesk.test", "correct horse battery")
    url = reverse("admin:crm_staffprofile_change", args=[alice.staff_profile.pk])
    client = as_user(admin)
    page = parse(client.get(url).content.decode())
    offered = [option.get("value") for option in page.find("select", name="time_zone").find_all("option")]
    as_alice = parse(as_user(alice).get(URL).content.decode())
    assert offered == [option.get("value") for option in as_alice.find("select", name="time_zone").find_all("option")]
    assert "Europe/Berlin" in offered
    form = {"user": alice.pk, "display_name": "Alice", "team": alice.staff_profile.team_id, "time_zone": "Nowhere/Else"}
    assert client.post(url, form).status_code == 200  # the form again, with the error
    assert StaffProfile.objects.get(user=alice).time_zone == ""
    assert client.post(url, {**form, "time_zone": "America/New_York"}).status_code == 302
    assert StaffProfile.objects.get(user=alice).time_zone == "America/New_York"
