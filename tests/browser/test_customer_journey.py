"""The customer's journey in Chromium: complain (a mistake first, then right), follow the status link
from the acknowledgement the worker sent to the SMTP sink, reply, ask for a manager, rate the answer,
reopen, and read the public incidents page."""

import email
import email.policy
import re

import pytest

from complaints.cases.services import case_send_message, case_take
from complaints.incidents import services as incident_services
from complaints.models import Case, RootCause
from complaints.resolution.services import case_resolve
from tests.crm.factories import ServiceFactory, StaffFactory
from tests.integration.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT_CAUSE = RootCause.PRODUCT
STATUS_LINK = re.compile(r"https?://\S+/status/[\w-]+/")


def test_a_customer_complains_follows_their_case_and_reopens_it(journey, worker, mail_sink, live_server, settings):
    settings.GEMDESK_BASE_URL = live_server.url  # the links in emails lead to this server
    lead = StaffFactory(username="lena", role="lead", leads_team=True)
    broadband = ServiceFactory(slug="broadband", name="Broadband")
    incident_services.incident_declare(by=lead, title="Broadband outage in Cardiff", services=[broadband])
    customer = journey("customer")
    page = customer.page

    customer.go("/complain/")
    customer.step("the complaint form", shows=("Tell us what went wrong", "Broadband outage in Cardiff"))
    assert page.locator("a[href='/login/']").count() == 0  # nothing on a public page leads to the staff login

    page.get_by_label("Your name, as you write it").fill("Siân Llewellyn")
    page.get_by_label("Email").fill("sian@example.org")
    page.get_by_role("button", name="Send my complaint").click()
    customer.step("a missing answer", shows=("What happened?", "This field is required"), provoked=(400,))
    assert page.get_by_label("Your name, as you write it").input_value() == "Siân Llewellyn"  # kept

    page.get_by_label("What happened?").fill("My broadband has dropped every evening since Friday.")
    page.get_by_role("button", name="Send my complaint").click()
    reference = Case.objects.get().reference
    customer.step("thanks with the reference", shows=(reference,))

    wait_until(lambda: mail_sink.count() >= 1, timeout=60, what="the acknowledgement in the sink")
    acknowledgement = email.message_from_bytes(mail_sink.raw[0], policy=email.policy.default)
    [to] = acknowledgement["To"].addresses
    assert (to.display_name, to.addr_spec) == ("Siân Llewellyn", "sian@example.org")
    link = STATUS_LINK.search(acknowledgement.get_body(("plain",)).get_content()).group(0)

    page.goto(link)
    customer.step("the status page from the email", shows=(reference, "My broadband has dropped"))
    page.get_by_label("Your message").fill("It dropped again at 8 pm; the router light goes red.")
    page.get_by_role("button", name="Send a message").click()
    customer.step("a reply", shows=("the router light goes red",))

    page.get_by_role("button", name="Ask for a manager").scroll_into_view_if_needed()
    page.locator("form", has=page.get_by_role("button", name="Ask for a manager")).get_by_label("Tell us why").fill(
        "Three evenings without a connection and no call back."
    )
    page.get_by_role("button", name="Ask for a manager").click()
    # No manager works here yet: the request is recorded (the page says so), no one is named.
    customer.step("asked for a manager", shows=("Your request is recorded; a manager will be in touch.",))

    # Meanwhile an agent takes the case and resolves it.
    alice = StaffFactory(username="alice", role="agent")
    case = case_take(case=Case.objects.get(), agent=alice)
    case_send_message(case=case, by=alice, text="We found a faulty line card at the exchange and replaced it.")
    case_resolve(case=case, by=alice, resolution_summary="Replaced the faulty line card.", root_cause=ROOT_CAUSE)
    page.reload()
    customer.step("resolved, with the question how we did", shows=("How we resolved it", "Rate how we did"))
    page.get_by_role("radio", name=re.compile("excellent")).check()
    page.get_by_role("button", name="Rate how we did").click()
    customer.step("rated", shows=("Thank",))

    reopen = page.locator("form", has=page.get_by_role("button", name=re.compile("reopen my case")))
    reopen.get_by_label("Tell us why").fill("It dropped again last night.")
    reopen.get_by_role("button", name=re.compile("reopen my case")).click()
    customer.step("reopened", shows=("Your case is open again",))

    customer.go("/incidents/")
    customer.step("the public incidents page", shows=("Broadband outage in Cardiff",))
