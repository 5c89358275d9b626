"""The lead's, the manager's and the executive's journeys in Chromium, each from their own home page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints.models import Case
from complaints.promises.services import promise_make
from tests.browser.conftest import PHONE
from tests.complaints.factories import make_case
from tests.complaints.incidents.factories import subscribers
from tests.crm.factories import CustomerFactory, ServiceFactory, StaffFactory
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team():
    lena = StaffFactory(username="lena", first_name="Lena", role="lead", leads_team=True)
    alice = StaffFactory(username="alice", first_name="Alice", role="agent")
    return lena, alice


def test_a_lead_sees_the_team_assigns_a_queue_case_and_finds_promises_at_risk(journey, team):
    lena, alice = team
    waiting = make_case(customer=CustomerFactory(full_name="Олена Коваленко"), subject="Router never arrived")
    owned = make_case(by=alice, subject="Billed twice in November")
    promise_make(case=owned, by=alice, text="Refund the second charge", due_at=timezone.now() + timedelta(minutes=30))
    lead = journey("lead")
    page = lead.page

    lead.log_in("lena")
    lead.step("home is the team", shows=("Promises at risk", "Promise due today", "Billed twice in November"))

    page.get_by_role("link", name="Team queue").first.click()
    lead.step("the queue", shows=(waiting.reference, "Олена Коваленко"))
    page.get_by_label(f"Assign {waiting.reference} to").select_option(label="Alice")
    page.get_by_role("button", name=re.compile(f"Assign.*{waiting.reference}|^Assign$")).first.click()
    wait_until(lambda: Case.objects.get(pk=waiting.pk).owner_id == alice.pk, timeout=10, what="the assignment")
    lead.step("assigned to Alice", shows=("Alice",))


def test_a_manager_declares_an_incident_confirms_the_audience_publishes_and_watches_it_go_out(
    journey, worker, mail_sink
):
    StaffFactory(username="mona", first_name="Mona", role="manager", team_name="Management")
    broadband = ServiceFactory(slug="broadband", name="Broadband")
    ServiceFactory(slug="tv", name="Television")
    subscribers(25, service=broadband)
    manager = journey("manager")
    page = manager.page

    manager.log_in("mona")
    manager.step("home is the figures", shows=("Figures",))
    assert page.url.endswith("/cases/figures/")  # "Figures" alone is also in the navigation
    page.get_by_role("link", name="Incidents").first.click()
    manager.step("incidents", shows=("Declare an incident",))

    page.get_by_label("Title customers will understand").fill("Broadband down in Cardiff")
    page.get_by_role("searchbox", name="Find a service").fill("broad")
    page.get_by_role("checkbox", name="Broadband").check()
    page.get_by_role("button", name="Declare").click()
    manager.step("declared", shows=("Broadband down in Cardiff", "Publish an update"))

    page.get_by_label("Subject").fill("Broadband down in Cardiff")
    page.get_by_label(re.compile("What customers are told")).fill("Engineers are repairing a cut cable.")
    page.get_by_role("button", name="Preview").click()
    manager.step("check before sending", shows=("This goes to 25 customers",))

    page.get_by_role("button", name="Publish to 25 customers").click()
    wait_until(lambda: mail_sink.count() >= 25, timeout=60, what="25 notices in the sink")
    page.get_by_text("100 % sent").wait_for(timeout=15_000)  # the page polls its progress
    manager.step("every notice sent", shows=("100 % sent (25 of 25)",))


def test_an_executive_lands_on_the_figures(journey):
    StaffFactory(username="erin", first_name="Erin", role="executive", team_name="Board")
    alice = StaffFactory(username="alice", role="agent")
    make_case(by=alice, subject="Engineer missed the appointment")
    executive = journey("executive")

    executive.log_in("erin")
    executive.step("the figures", shows=("Figures", "Complaints"))
    assert executive.page.url.endswith("/cases/figures/")


def test_at_phone_width_the_menu_opens_to_every_link_and_log_out(journey, team):
    lead = journey("phone-menu")
    lead.log_in("lena")
    page = lead.page
    page.set_viewport_size(PHONE)
    menu = page.get_by_text("Menu", exact=True)
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    menu.click()
    for name in ("My team", "Team queue", "Log a call", "Customers", "Suggestions"):
        link = page.locator("header nav").get_by_role("link", name=name, exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE["width"] and box["height"] >= 24, name
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Password")).to_be_visible()
