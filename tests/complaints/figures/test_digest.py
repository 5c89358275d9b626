"""The weekly digest, with a controlled clock: Monday 08:00 in TIME_ZONE, to every active executive and
manager, once per person and week, with last week's figures against the week before, the top root causes,
three complaints in the customer's words chosen by rule, the overdue promises and the dashboard's link.
And the incident figures: incidents, notices sent, complaints about a service during its incident."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from complaints import tasks
from complaints.cases import services as case_services
from complaints.digest.services import figures_digest_send
from complaints.incidents import services as incident_services
from complaints.intake import services as intake
from complaints.promises import services as promises
from complaints.resolution import services as resolution
from crm.models import EmailState, OutboundEmail
from crm.outbox.sending import send_pending
from tests.complaints.factories import make_case
from tests.complaints.incidents.factories import publish, subscribers
from tests.crm.factories import CustomerFactory, ServiceFactory, StaffFactory

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.get_default_timezone())
LAST_WEEK = MONDAY - timedelta(days=5)


def digests():
    return OutboundEmail.objects.filter(key__startswith="figures-digest:")


@pytest.fixture
def last_week(alice, bob, lena):
    """Last week: three complaints, two resolved (one rated 1), one handed over twice; an overdue promise."""
    with time_machine.travel(LAST_WEEK, tick=False):
        rated = make_case(by=alice, subject="Engineer never came", description="I took a day off for nothing.")
        resolution.case_resolve(case=rated, by=alice, resolution_summary="Rebooked", root_cause="process")
        intake.case_rate(case=rated, score=1, comment="Too late")
        other = make_case(by=alice, subject="Bill wrong")
        resolution.case_resolve(case=other, by=alice, resolution_summary="Credited", root_cause="system")
        shuffled = make_case(by=alice, subject="Moving house", description="Nobody keeps my case for long.")
        case_services.case_handover(case=shuffled, to="bob", reason="Bob handles house moves", by=alice)
        case_services.case_handover(case=shuffled, to="alice", reason="Back to Alice, Bob is away", by=bob)
        promises.promise_make(case=shuffled, by=alice, text="Call you back", due_at=LAST_WEEK + timedelta(hours=2))
    with time_machine.travel(LAST_WEEK - timedelta(days=60), tick=False):
        make_case(by=alice, subject="Old and open", description="Sixty days and counting.")
    return {"rated": rated, "shuffled": shuffled}


def test_every_executive_and_manager_gets_last_weeks_figures_once(last_week, mona, erin, alice):
    StaffFactory(username="gone", role="executive", is_active=False)
    StaffFactory(username="no_address", role="manager", email="")
    assert figures_digest_send(now=MONDAY) == 2
    assert sorted(digests().values_list("to_email", flat=True)) == sorted([mona.email, erin.email])
    body = digests().get(to_email=erin.email).body_text
    assert "Complaints: 3 (the week before: 0)" in body
    assert "Resolved: 2 (the week before: 0)" in body
    assert "- Process: 1" in body and "- System: 1" in body
    # The three complaints verbatim, each for its rule.
    assert "The lowest rating this week (1 out of 5): " + last_week["rated"].reference in body
    assert '"I took a day off for nothing."' in body
    assert "Handed over the most (2 times) and still open: " + last_week["shuffled"].reference in body
    assert "Open the longest: " in body and '"Sixty days and counting."' in body
    assert "Promises overdue now: 1" in body and '"Call you back"' in body
    assert "The dashboard: http://" in body and "/cases/figures/" in body
    # Beat again the same week (a retry, a second scheduler): nothing more. Next Monday: the next one.
    figures_digest_send(now=MONDAY + timedelta(hours=3))
    assert digests().count() == 2
    figures_digest_send(now=MONDAY + timedelta(days=7))
    assert digests().count() == 4


def test_a_quiet_week_says_so(mona):
    figures_digest_send(now=MONDAY)
    body = digests().get().body_text
    assert "Complaints: 0 (the week before: 0)" in body and "No complaints to quote this week." in body


def test_the_task_sends_with_the_real_clock(mona):
    assert tasks.send_figures_digest() == 1


def test_beat_sends_it_on_monday_at_eight_in_the_sites_time_zone(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["figures-digest"]["schedule"]
    assert (schedule.day_of_week, schedule.hour, schedule.minute) == ({1}, {8}, {0})
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE
    assert settings.CELERY_BEAT_SCHEDULE["figures-refresh"]["task"] == "complaints.tasks.refresh_figures"


def test_incidents_their_notices_and_the_complaints_during_them(api_as, as_user, lena, mona, alice, sink):
    broadband, tv = ServiceFactory(slug="broadband", name="Broadband"), ServiceFactory(slug="tv", name="TV")
    subscribers(3, service=broadband, region="north")
    incident = incident_services.incident_declare(by=lena, title="Outage", services=[broadband], regions=[])
    update = publish(incident, lena)
    incident_services.incident_fan_out(update_id=update.pk)
    send_pending(list(OutboundEmail.objects.filter(batch=f"incident-update:{update.pk}").values_list("pk", flat=True)))
    during = make_case(by=alice, service=broadband, customer=CustomerFactory())
    make_case(by=alice, service=tv, customer=CustomerFactory())
    figures = api_as(mona).get("/api/v1/figures/").json()
    assert (figures["incidents"], figures["notices_sent"], figures["complaints_during_incidents"]) == (1, 3, 1)
    assert api_as(mona).get("/api/v1/figures/", {"service": tv.pk}).json()["incidents"] == 0
    assert OutboundEmail.objects.filter(batch=f"incident-update:{update.pk}", state=EmailState.SENT).count() == 3
    page = as_user(mona).get("/cases/figures/cases/", {"figure": "during_incidents"})
    assert during.reference in page.content.decode()
