"""Each staff member reads times in their own time zone, named by its abbreviation, on pages and in their
emails; customers read the site's zone, named too, whoever's action wrote to them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from complaints.models import Promise
from complaints.promises import services as promise_services
from crm.models import OutboundEmail
from tests.complaints.conftest import case_url
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory
from tests.html_page import parse

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 8, 13, 5, tzinfo=UTC)


def live_in(user, zone):
    user.staff_profile.time_zone = zone
    user.staff_profile.save(update_fields=["time_zone"])


def promise_due_on_page(client, case):
    """The due time of the case's promise as the page shows it: the <time> element in the promises card."""
    page = parse(client.get(case_url(case)).content.decode())
    return page.find(id="promises").find("time")


def test_the_same_promise_reads_in_alices_zone_for_alice_and_in_bobs_for_bob(as_user, alice, bob, settings):
    settings.TIME_ZONE = "Europe/London"
    live_in(alice, "Europe/Berlin")
    live_in(bob, "America/New_York")
    case = make_case(by=alice)
    promise_services.promise_make(
        case=case, by=alice, text="Engineer visit", due_at=datetime(2030, 1, 15, 17, 0, tzinfo=UTC)
    )

    for_alice, for_bob = promise_due_on_page(as_user(alice), case), promise_due_on_page(as_user(bob), case)
    assert for_alice.text == for_alice.get("title") == "Tue 15 Jan 2030, 18:00 CET"
    assert for_alice.get("datetime") == "2030-01-15T18:00:00+01:00"
    assert for_bob.text == for_bob.get("title") == "Tue 15 Jan 2030, 12:00 EST"
    assert for_bob.get("datetime") == "2030-01-15T12:00:00-05:00"

    # Near times read in words, the exact time in the reader's zone on hover.
    with time_machine.travel(datetime(2030, 1, 15, 14, 0, tzinfo=UTC), tick=False):
        near = promise_due_on_page(as_user(bob), case)
    assert near.text == "in 3 h" and near.get("title") == "Tue 15 Jan 2030, 12:00 EST"


def test_a_list_shows_each_reader_their_own_zone(as_user, alice, settings, django_assert_max_num_queries):
    settings.TIME_ZONE = "UTC"
    live_in(alice, "Asia/Tokyo")
    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            make_case()  # web complaints waiting in the queue
        client = as_user(alice)
        client.get(reverse("complaints:team-queue"))  # the session is read once
        with django_assert_max_num_queries(10):  # 8 today; times add none, per row or per page
            page = parse(client.get(reverse("complaints:team-queue")).content.decode())
    opened = [time for time in page.find_all("time") if time.closest("td") is not None]
    assert len(opened) >= 3
    assert {time.get("title") for time in opened} >= {"Tue 8 Dec 2026, 22:05 JST"}
    assert {time.text for time in opened} >= {"just now"}


def test_a_time_typed_on_a_form_is_read_in_the_typists_zone(as_user, alice, settings):
    settings.TIME_ZONE = "America/New_York"
    live_in(alice, "Europe/Berlin")
    case = make_case(by=alice)
    as_user(alice).post(case_url(case, "promise"), {"text": "Call back", "due_at": "2030-01-15T17:00"})
    assert Promise.objects.get(case=case).due_at == datetime(2030, 1, 15, 16, 0, tzinfo=UTC)


def test_a_customers_email_states_the_sites_zone_whoever_sent_it(as_user, alice, settings):
    settings.TIME_ZONE = "Europe/London"
    live_in(alice, "Asia/Tokyo")  # alice's own zone must not leak into the customer's email
    case = make_case(by=alice, customer=CustomerFactory(email="ada@example.com"))
    # 17:00 in Tokyo (alice types in her zone) is 08:00 UTC, 09:00 in London in summer.
    as_user(alice).post(
        case_url(case, "promise"), {"text": "Refund", "due_at": "2030-07-15T17:00", "tell_customer": "on"}
    )
    email = OutboundEmail.objects.get(key__endswith=":made", to_email="ada@example.com")
    assert "By Mon 15 Jul 2030, 09:00 BST at the latest." in email.body_text


def test_the_acknowledgement_says_when_in_the_sites_zone(settings):
    settings.TIME_ZONE = "Europe/London"
    with time_machine.travel(NOW, tick=False):
        make_case(customer=CustomerFactory(email="ada@example.com"))  # a web complaint, acknowledged at once
    email = OutboundEmail.objects.get(key__endswith=":acknowledgement")
    assert "You will hear from us by Wed 9 Dec 2026, 13:05 GMT at the latest." in email.body_text


def test_a_staff_email_is_in_the_recipients_zone_not_the_senders(as_user, lena, bob, settings):
    settings.TIME_ZONE = "Europe/London"
    live_in(lena, "Asia/Tokyo")
    live_in(bob, "America/New_York")
    with time_machine.travel(NOW, tick=False):
        case = make_case()  # waits in the queue, its first reply due a day later
        as_user(lena).post(case_url(case, "assign"), {"to": "bob"})
    email = OutboundEmail.objects.get(to_email=bob.email)
    assert "The customer is waiting for a first reply by Wed 9 Dec 2026, 08:05 EST." in email.body_text


def test_a_warning_sent_by_beat_is_in_the_owners_zone(alice, settings):
    settings.TIME_ZONE = "UTC"
    live_in(alice, "Australia/Sydney")
    case = make_case(by=alice)
    promise = promise_services.promise_make(
        case=case, by=alice, text="Engineer visit", due_at=datetime(2030, 1, 15, 17, 0, tzinfo=UTC)
    )
    promise_services.promises_warn_due(now=promise.warn_at + timedelta(seconds=1))
    email = OutboundEmail.objects.get(key__endswith=":warning")
    assert email.to_email == alice.email
    assert "is due Wed 16 Jan 2030, 04:00 AEDT." in email.body_text


def test_the_public_status_page_uses_the_sites_zone_even_for_signed_in_staff(as_user, alice, client, settings):
    settings.TIME_ZONE = "Europe/London"
    live_in(alice, "Asia/Tokyo")
    case = make_case(by=alice)
    promise_services.promise_make(
        case=case, by=alice, text="Engineer visit", due_at=datetime(2030, 7, 15, 8, 0, tzinfo=UTC)
    )
    url = reverse("case-status", args=[case.public_token])
    for reader in (client, as_user(alice)):
        page = parse(reader.get(url).content.decode())
        promised = next(item for item in page.find_all("li") if "Engineer visit" in item.text)
        assert promised.find("time").text == "Mon 15 Jul 2030, 09:00 BST"
