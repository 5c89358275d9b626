"""The agent's journey in Chromium: My cases, the queue, take a case, read it, note, message the customer
(the preview shows the greeting and signature the email adds), promise, reschedule, keep it, resolve with
a root cause, hand another case over with a reason, and log calls for a new and a known customer with
names in Greek, Cyrillic and Japanese."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Case, CaseStatus, Promise
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory, StaffFactory
from tests.html_page import local_input

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_action(page, summary: str):
    """Open one of the side panel's actions (a disclosure) and return it."""
    action = page.locator("details", has=page.locator("summary", has_text=summary)).first
    if action.get_attribute("open") is None:
        action.locator("summary").first.click()
    return action


def test_an_agent_works_a_case_from_the_queue_to_resolution_and_logs_calls(journey):
    StaffFactory(username="lena", first_name="Lena", role="lead", leads_team=True)
    StaffFactory(username="alice", first_name="Alice", role="agent")
    bob = StaffFactory(username="bob", first_name="Bob", role="agent")
    customer = CustomerFactory(full_name="Margaret Thomas", title="Mrs", formal_name="Thomas")
    waiting = make_case(customer=customer, subject="Engineer did not come", description="I waited in all day.")
    other = make_case(by=StaffFactory(username="alice"), subject="Wrong tariff on my bill")
    known = CustomerFactory(full_name="Алексей Смирнов", email="alexei@example.org")
    agent = journey("agent")
    page = agent.page

    agent.log_in("alice")
    agent.step("home is my cases", shows=("My cases", "Wrong tariff on my bill"))

    page.get_by_role("link", name="Team queue").first.click()
    agent.step("the queue", shows=(waiting.reference, "Engineer did not come"))
    page.get_by_role("button", name=f"Take {waiting.reference}").click()
    page.get_by_role("link", name="open the case").click()
    agent.step("the case, conversation first", shows=("I waited in all day.", "Write to Margaret Thomas"))

    note = open_action(page, "Add an internal note")
    note.get_by_label(re.compile("Internal note")).fill("Checked the engineer's schedule: the visit was dropped.")
    note.get_by_role("button", name="Add the note").click()
    agent.step("a note, set apart", shows=("Note added. Only staff can read it.", "the visit was dropped"))

    agent.step("the message preview", shows=("Dear Mrs Thomas",))
    page.get_by_label("Message to the customer (emailed)").fill("I am sorry: we dropped your visit. I will rebook it.")
    page.get_by_role("button", name="Send to the customer").click()
    agent.step("a message sent", shows=("Message sent to Margaret Thomas by email.", "I will rebook it"))

    promise = open_action(page, "Make a promise")
    promise.get_by_label("What we promise", exact=True).fill("Call you with a new visit date")
    promise.get_by_label("By when", exact=True).fill(local_input(timezone.now() + timedelta(days=1)))
    promise.get_by_role("button", name="Make a promise").click()
    agent.step("a promise", shows=("Promise made.", "Call you with a new visit date"))

    reschedule = open_action(page, "Reschedule before it is due")
    reschedule.get_by_label("New date", exact=True).fill(local_input(timezone.now() + timedelta(days=2)))
    reschedule.get_by_label(re.compile("^Why")).fill("The engineers' rota comes out a day later.")
    reschedule.get_by_role("button", name="Reschedule and tell the customer").click()
    agent.step("rescheduled", shows=("Promise rescheduled; the customer has been told the new time.",))

    page.get_by_role("button", name=re.compile("^Kept it")).first.click()
    agent.step("kept", shows=("Promise kept",))
    # Our message kept the first-reply promise and "Kept it" the other: nothing holds back resolving.
    assert not Promise.objects.filter(case__reference=waiting.reference, status="open").exists()
    resolve = open_action(page, "Resolve")
    resolve.get_by_label("What we did").fill("Rebooked the visit for Thursday morning and waived the fee.")
    resolve.get_by_label("Root cause").select_option(label="Process")
    resolve.get_by_role("button", name="Resolve").click()
    agent.step("resolved", shows=("Resolved",))
    assert Case.objects.get(pk=waiting.pk).status == CaseStatus.RESOLVED

    agent.go(f"/cases/{other.reference}/")
    handover = open_action(page, "Hand over")
    handover.get_by_label("Hand over to").select_option(value=bob.username)
    handover.get_by_label(re.compile("^Reason")).fill("Bob handles tariff corrections this week.")
    handover.get_by_role("button", name="Hand over").click()
    agent.step("handed over", shows=("Handed over to Bob",))

    page.get_by_role("link", name="Log a call").first.click()
    agent.step("log a call", shows=("Log a call, letter or visit",))
    page.get_by_label("Full name, as they write it").fill("Νίκος Παπαδόπουλος 山田太郎")
    page.get_by_label("Phone", exact=True).fill("020 7946 0321")
    page.get_by_label("Subject", exact=True).fill("Λάθος χρέωση")
    page.get_by_label("What the customer told us").fill("Charged twice for the same month.")
    page.get_by_role("button", name="Open the case").click()
    agent.step("a call from a new customer", shows=("Νίκος Παπαδόπουλος 山田太郎", "Λάθος χρέωση"))

    page.get_by_role("link", name="Log a call").first.click()
    page.get_by_label("Full name, as they write it").fill("Алексей Смирнов")
    page.get_by_label("Email", exact=True).fill("alexei@example.org")
    page.get_by_role("button", name="Find this customer").click()
    agent.step("the known customer found", shows=("Алексей Смирнов",))
    page.get_by_role("radio", name=re.compile("Алексей Смирнов")).check()
    page.get_by_label("Subject", exact=True).fill("Сломанный роутер")
    page.get_by_label("What the customer told us").fill("The router from last month stopped working.")
    page.get_by_role("button", name="Open the case").click()
    agent.step("a call from a known customer", shows=("Сломанный роутер",))
    assert Case.objects.filter(customer=known, subject="Сломанный роутер").exists()
