"""Incident pages: preview, confirm and publish, progress, the service picker, the status; the public status
page; stopping notices."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core import signing
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from complaints.incidents import services as incident_services
from complaints.models import IncidentStatus
from crm.customers import selectors as customer_selectors
from crm.models import Customer
from tests.complaints.incidents.factories import publish, subscribers
from tests.crm.factories import ServiceFactory
from tests.html_page import assert_cells_labelled, label_of, parse

pytestmark = pytest.mark.django_db


def test_the_unsubscribe_link_stops_notices(client, broadband):
    customer = subscribers(1, service=broadband)[0]
    token = customer_selectors.notices_token(customer.pk)
    assert client.get(reverse("service-notices", args=[token])).status_code == 200
    assert client.post(reverse("service-notices", args=[token])).status_code == 200
    customer.refresh_from_db()
    assert customer.service_notices_opt_out
    assert client.get(reverse("service-notices", args=[signing.dumps(customer.pk, salt="other")])).status_code == 404


def test_incident_pages_preview_publish_and_show_progress(client, lena, incident, broadband):
    customers = subscribers(4, service=broadband)
    Customer.objects.filter(pk=customers[0].pk).update(title="Ms", formal_name="Kowalska")
    client.force_login(lena)
    page = client.get(reverse("complaints:incident", args=[incident.pk])).content.decode()
    assert "<strong>4</strong> customers" in page
    preview = client.post(
        reverse("complaints:incident", args=[incident.pk]),
        {"subject": "Outage", "body": "We are on it.", "preview": "1"},
    ).content.decode()
    assert preview.count("would receive") == 3 and "Dear Ms Kowalska,\n\nWe are on it." in preview
    assert not incident.updates.exists()
    response = client.post(
        reverse("complaints:incident", args=[incident.pk]),
        {"subject": "Outage", "body": "We are on it.", "confirm_recipients": "4"},
    )
    assert response.status_code == 302
    progress = client.get(reverse("complaints:incident-progress", args=[incident.pk])).content.decode()
    assert "Outage" in progress


def test_public_incidents_page_shows_updates_without_login(client, incident, lena):
    publish(incident, lena)
    page = client.get("/incidents/").content.decode()
    assert "Broadband outage" in page and "Engineers are repairing a cut cable." in page


def test_the_complaint_form_suggests_open_incidents(client, incident):
    page = client.get("/complain/").content.decode()
    assert "Known problems we are fixing now" in page and "Broadband outage" in page


def confirmation_of(response) -> dict[str, str]:
    """What the confirmation's publish button posts: its form's hidden inputs, as a browser sends them."""
    section = parse(response.content).find("section", class_="confirm")
    assert section is not None, "no confirmation on the page"
    form = section.find("form")
    assert form is not None, "the confirmation has no publish button"
    return {i.get("name"): i.get("value", "") for i in form.find_all("input", type="hidden") if i.get("name")}


def test_publishing_without_confirming_shows_the_number_of_customers_and_sends_nothing(
    as_user, lena, incident, broadband
):
    subscribers(4, service=broadband)
    url = reverse("complaints:incident", args=[incident.pk])
    page = as_user(lena).get(url)
    assert "Publish to" not in page.content.decode()  # the only publish button is on the confirmation
    for data in (
        {"subject": "Outage", "body": "We are on it."},
        {"subject": "Outage", "body": "On it.", "preview": "1"},
    ):
        response = as_user(lena).post(url, data)
        assert response.status_code == 200
        html = parse(response.content)
        assert "This goes to 4 customers" in html.find("section", class_="confirm").text
        button = html.find("section", class_="confirm").find("button")
        assert button.text == "Publish to 4 customers"
        assert confirmation_of(response)["confirm_recipients"] == "4"
    assert not incident.updates.exists()


def test_the_confirmation_publishes_what_was_previewed(as_user, lena, incident, broadband):
    subscribers(2, service=broadband)
    url = reverse("complaints:incident", args=[incident.pk])
    typed = {
        "subject": "Cable repaired",
        "body": 'Line one.\r\nLine <two> & "three".',
        "next_update_by": "2031-05-04T17:30",
        "is_resolution": "on",
    }
    preview = as_user(lena).post(url, typed | {"preview": "1"})
    assert "This goes to 2 customers and closes the incident." in parse(preview.content).text
    confirmed = confirmation_of(preview)
    assert "id" not in parse(preview.content).find("section", class_="confirm").find("input", name="subject").attrs
    assert as_user(lena).post(url, confirmed).status_code == 302
    [update] = incident.updates.all()
    assert (update.subject, update.body, update.is_resolution) == ("Cable repaired", typed["body"], True)
    assert update.next_update_by == timezone.make_aware(datetime(2031, 5, 4, 17, 30)).astimezone(UTC)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_a_number_of_customers_that_changed_since_the_confirmation_asks_again(as_user, lena, incident, broadband):
    subscribers(3, service=broadband)
    url = reverse("complaints:incident", args=[incident.pk])
    confirmed = confirmation_of(as_user(lena).post(url, {"subject": "Outage", "body": "On it."}))
    subscribers(2, service=broadband, prefix="late")
    stale = as_user(lena).post(url, confirmed)
    assert stale.status_code == 409
    text = parse(stale.content).find("section", class_="confirm").text
    assert "would now go to 5 customers, not 3" in text and "This goes to 5 customers" in text
    assert not incident.updates.exists()
    assert confirmation_of(stale)["confirm_recipients"] == "5"
    assert as_user(lena).post(url, confirmation_of(stale)).status_code == 302
    assert incident.updates.count() == 1


@pytest.mark.parametrize("number", ["", "four", "\u00b2", "-1", "9" * 40])
def test_a_confirmation_that_is_not_a_number_asks_again(as_user, lena, incident, number):
    url = reverse("complaints:incident", args=[incident.pk])
    response = as_user(lena).post(url, {"subject": "Outage", "body": "On it.", "confirm_recipients": number})
    assert response.status_code == 200 and "This goes to 0 customers" in response.content.decode()
    assert not incident.updates.exists()


def test_a_subject_on_two_lines_is_refused_before_the_confirmation(as_user, lena, incident):
    url = reverse("complaints:incident", args=[incident.pk])
    response = as_user(lena).post(url, {"subject": "Outage\nBcc: x@example.test", "body": "On it.", "preview": "1"})
    assert response.status_code == 400 and "Give a one-line subject." in response.content.decode()
    assert parse(response.content).find("section", class_="confirm") is None


def test_the_services_are_checkboxes_in_a_fieldset_with_a_search_box(as_user, lena, django_assert_max_num_queries):
    for name in ("Broadband", "Mobile", "Télévision"):
        ServiceFactory(name=name, slug=name.lower()[:5])
    client = as_user(lena)
    client.get(reverse("complaints:incidents"))  # warm the session and the caches
    with django_assert_max_num_queries(12):
        page = parse(client.get(reverse("complaints:incidents")).content)
    fieldset = page.find("fieldset", data_filter_list="")
    assert fieldset.find("legend").text == "Affected services"
    boxes = fieldset.find_all("input", type="checkbox", name="services")
    assert [label_of(page, box).text for box in boxes] == ["Broadband", "Mobile", "Télévision"]
    search = fieldset.find("input", type="search")
    assert label_of(page, search).text == "Find a service" and search.get("name") is None  # never submitted
    assert search.closest("div").get("hidden") == ""  # shown by the script: without it every service shows
    script = page.find("script", src=static("js/filter-list.js"))
    assert script is not None and "defer" in script.attrs
    source = finders.find("js/filter-list.js")
    assert source and "[data-filter-item]" in Path(source).read_text()


def test_chosen_services_stay_checked_when_the_form_comes_back(as_user, lena):
    for slug in ("aaa", "bbb", "ccc"):
        ServiceFactory(name=slug.upper(), slug=slug)
    response = as_user(lena).post(reverse("complaints:incidents"), {"title": "", "services": ["aaa", "ccc"]})
    assert response.status_code == 400
    boxes = parse(response.content).find("fieldset", data_filter_list="").find_all("input", type="checkbox")
    assert {box.get("value"): "checked" in box.attrs for box in boxes} == {"aaa": True, "bbb": False, "ccc": True}
    empty = as_user(lena).post(reverse("complaints:incidents"), {"title": "Outage"})
    fieldset = parse(empty.content).find("fieldset", data_filter_list="")
    assert fieldset.find("ul", class_="errorlist").text == "Choose at least one affected service."
    assert "services_error" in fieldset.get("aria-describedby")


def test_each_cell_of_the_incident_table_is_labelled_for_phones(as_user, lena, incident):
    assert assert_cells_labelled(parse(as_user(lena).get(reverse("complaints:incidents")).content)) > 0


@pytest.mark.parametrize(("persona", "code"), [("lena", 302), ("mona", 302), ("erin", 403), ("alice", 403)])
def test_leads_and_managers_change_the_status_others_are_refused(request, as_user, persona, code, incident):
    response = as_user(request.getfixturevalue(persona)).post(
        reverse("complaints:incident-status", args=[incident.pk]), {"status": "identified"}
    )
    assert response.status_code == code
    incident.refresh_from_db()
    assert incident.status == (IncidentStatus.IDENTIFIED if code == 302 else IncidentStatus.INVESTIGATING)
    if persona == "erin":  # sees incidents, does not run them: told why, on the page
        assert "Only leads and managers run incidents." in response.content.decode()


def test_the_status_form_and_the_public_page_say_how_it_is_going(as_user, client, lena, incident):
    url = reverse("complaints:incident", args=[incident.pk])
    form = parse(as_user(lena).get(url).content).find(
        "form", action=reverse("complaints:incident-status", args=[incident.pk])
    )
    options = [(o.get("value"), "selected" in o.attrs) for o in form.find("select", name="status").find_all("option")]
    assert options == [("investigating", True), ("identified", False), ("monitoring", False)]  # resolving is an update
    response = as_user(lena).post(
        reverse("complaints:incident-status", args=[incident.pk]), {"status": "monitoring"}, follow=True
    )
    assert parse(response.content).find("li", class_="message").text == "The incident's status is now “Monitoring”."
    public = parse(client.get("/incidents/").content).find("section", class_="card").text
    assert "(Monitoring)" in public and "A fix is in place and we are making sure it holds." in public


def test_a_resolved_incident_keeps_its_status_and_resolved_is_not_a_choice(as_user, lena, incident):
    url = reverse("complaints:incident-status", args=[incident.pk])
    refused = as_user(lena).post(url, {"status": "resolved"})
    assert refused.status_code == 400 and "Select a valid choice." in refused.content.decode()
    publish(incident, lena, is_resolution=True)
    conflict = as_user(lena).post(url, {"status": "identified"})
    assert conflict.status_code == 409 and "This incident is resolved" in conflict.content.decode()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED


def test_the_public_page_says_when_the_next_update_is_due(client, lena, incident, broadband):
    due = timezone.now() + timedelta(hours=3)
    publish(incident, lena, next_update_by=due)
    time = parse(client.get("/incidents/").content).find("p", class_="next-update")
    assert time.text.startswith("Next update by ")
    assert datetime.fromisoformat(time.find("time").get("datetime")) == due
    incident_services.incident_publish_update(incident=incident, by=lena, subject="Fixed", body="All back.")
    assert "Next update by" not in client.get("/incidents/").content.decode()  # the latest update names none
    resolved = incident_services.incident_declare(by=lena, title="Billing", services=[broadband])
    incident_services.incident_publish_update(
        incident=resolved, by=lena, subject="Fixed", body="Done.", next_update_by=due, is_resolution=True
    )
    assert "Next update by" not in client.get("/incidents/").content.decode()  # nothing more to tell


def test_the_public_page_says_what_each_status_means(client, lena, incident):
    said = {}
    for status in ("identified", "monitoring", "investigating"):
        incident_services.incident_change_status(incident=incident, by=lena, status=status)
        said[status] = parse(client.get("/incidents/").content).find("p", class_="incident-status").text
    publish(incident, lena, is_resolution=True)
    said["resolved"] = parse(client.get("/incidents/").content).find("p", class_="incident-status").text
    assert said == {
        "identified": "We know the cause and are fixing it.",
        "monitoring": "A fix is in place and we are making sure it holds.",
        "investigating": "We are finding out what is wrong.",
        "resolved": "This is fixed.",
    }
