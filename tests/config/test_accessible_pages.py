"""Pages a person can find their way through (issue 15, "Labels and forms", "Public pages"): every control has
its label and every group of radios or checkboxes its fieldset and legend; a form with errors opens with a
summary linking to each field; customers' pages never lead to the staff login; the controls' borders can be
seen (WCAG 1.4.11); the tab has an icon."""

import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.test import RequestFactory
from django.urls import reverse

from complaints.cases import services as case_services
from complaints.incidents import services as incident_services
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution_services
from crm.customers.selectors import notices_token
from tests.complaints.factories import CategoryFactory, make_case
from tests.crm.factories import CustomerFactory, ServiceFactory
from tests.html_page import Element, by_id, form_controls, label_of, parse

pytestmark = pytest.mark.django_db
COMPLAIN = "/complain/"


@pytest.fixture
def resolved(alice):
    case = make_case()
    case_services.case_take(case=case, agent=alice)
    for promise in case.promises.open():
        promise_services.promise_keep(promise=promise, by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Line fixed", root_cause="product")
    case.refresh_from_db()
    return case


# --- Public pages: the brand leads to the complaint form, nothing leads to the staff login ------------------


def _public_pages(client, resolved, lena):
    """Every page a customer reaches without an account, as they would reach it."""
    incident_services.incident_declare(by=lena, title="Broadband outage", services=[ServiceFactory()])
    customer = CustomerFactory(email="kim@example.test")
    request = RequestFactory().get(COMPLAIN)
    request.user = AnonymousUser()
    token = resolved.public_token
    valid = {"name": "Kim Lee", "email": "kim@example.test", "description": "No signal since Monday."}
    return {
        "complaint form": client.get(reverse("complain")),
        "complaint form with errors": client.post(reverse("complain"), {"name": ""}),
        "thanks": client.post(reverse("complain"), valid),
        "thanks (honeypot)": client.post(reverse("complain"), {**valid, "website": "http://spam.test"}),
        "too many": render_to_string("complaints/intake/too_many.html", {"minutes": 5}, request=request),
        "status page": client.get(reverse("case-status", args=[token])),
        "status page, an answer missing": client.post(reverse("case-status-action", args=[token, "rate"])),
        "service status": client.get(reverse("public-incidents")),
        "praise": client.get(reverse("praise")),
        "praise from a case": client.get(reverse("praise-case", args=[token])),
        "praise thanks": client.post(reverse("praise"), {"about": "Alice", "story": "She called back."}),
        "service notices": client.get(reverse("service-notices", args=[notices_token(customer.pk)])),
        "service notices stopped": client.post(reverse("service-notices", args=[notices_token(customer.pk)])),
        "not found": client.get("/status/no-such-link/"),
    }


def test_no_public_page_links_to_the_staff_login_and_the_brand_leads_to_the_complaint_form(client, resolved, lena):
    pages = _public_pages(client, resolved, lena)
    for name, response in pages.items():
        html = response if isinstance(response, str) else response.content.decode()
        page = parse(html)
        brand = page.find("a", class_="brand")
        assert brand is not None and brand.get("href") == COMPLAIN, name
        for element in page.iter():
            for attribute in ("href", "action", "formaction"):
                target = element.get(attribute) or ""
                assert not re.match(r"(https?://[^/]+)?/(login|admin)\b", target), (name, element.tag, target)
    assert pages["thanks"].status_code == 201 and pages["not found"].status_code == 404


def test_staff_pages_keep_the_brand_leading_home(as_user, alice):
    page = parse(as_user(alice).get(reverse("complaints:my-cases")).content)
    assert page.find("a", class_="brand").get("href") == reverse("home")


# --- Labels: every control named, every group of options a fieldset with a legend ---------------------------


def _forms_to_check(client, as_user, alice, mona, resolved):
    CategoryFactory()
    return {
        "public complaint": client.get(reverse("complain")),
        "status page": client.get(reverse("case-status", args=[resolved.public_token])),
        "praise": client.get(reverse("praise")),
        "log a call": as_user(alice).get(reverse("complaints:log-call")),
        "suggestion": as_user(alice).get(reverse("feedback:submit")),
        "new customer": as_user(alice).get(reverse("crm:customer-new")),
        "story": as_user(alice).get(reverse("recognition:nominate")),
        "policy (checkboxes)": as_user(mona).get(reverse("feedback:policy-new")),
    }


def _assert_labelled(name: str, page: Element) -> int:
    forms = page.find_all("form")
    controls = [control for form in forms for control in form_controls(form)]
    for control in controls:
        label = label_of(page, control)
        assert label is not None and label.text, (name, control.attrs)
        if control.get("type") in ("radio", "checkbox"):
            group = [c for c in controls if c.get("name") == control.get("name")]
            if len(group) > 1:
                fieldset = control.closest("fieldset")
                assert fieldset is not None, (name, control.attrs)
                legend = fieldset.find("legend")
                assert legend is not None and legend.text, (name, control.attrs)
    ids = [c.get("id") for c in controls if c.get("id")]
    assert len(ids) == len(set(ids)), (name, "ids repeat")
    return len(controls)


def test_every_control_of_the_sample_forms_has_a_label(client, as_user, alice, mona, resolved):
    pages = _forms_to_check(client, as_user, alice, mona, resolved)
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert _assert_labelled(name, parse(response.content)) > 0, name


def test_help_text_is_tied_to_its_field(as_user, alice):
    page = parse(as_user(alice).get(reverse("crm:customer-new")).content)
    title = by_id(page, "id_title")
    assert title.get("aria-describedby") == "id_title_helptext"
    assert "For example" in by_id(page, "id_title_helptext").text


def test_a_group_of_checkboxes_is_a_fieldset_whose_legend_is_the_question(as_user, mona):
    CategoryFactory()
    page = parse(as_user(mona).get(reverse("feedback:policy-new")).content)
    boxes = page.find_all("input", type="checkbox", name="root_causes")
    assert len(boxes) > 1
    fieldset = boxes[0].closest("fieldset")
    assert fieldset.find("legend").text == "Root causes it covers"
    assert all(box.closest("fieldset") is fieldset and box.closest("label") is not None for box in boxes)


# --- The error summary: at the top of the form, the form's own errors first, a link to each field ----------


def _failed_forms(client, as_user, alice, lena, resolved):
    incident = incident_services.incident_declare(by=lena, title="Outage", services=[ServiceFactory()])
    return {
        "public complaint": client.post(reverse("complain"), {"name": ""}),
        "rating": client.post(reverse("case-status-action", args=[resolved.public_token, "rate"]), {}),
        "reply": client.post(reverse("case-status-action", args=[resolved.public_token, "reply"]), {}),
        "praise": client.post(reverse("praise"), {"about": ""}),
        "log a call": as_user(alice).post(reverse("complaints:log-call"), {}),
        "suggestion": as_user(alice).post(reverse("feedback:submit"), {"subject": ""}),
        "story": as_user(alice).post(reverse("recognition:nominate"), {"story": ""}),
        "new customer": as_user(alice).post(reverse("crm:customer-new"), {"full_name": ""}),
        "incident": as_user(lena).post(reverse("complaints:incidents"), {"title": ""}),
        "incident update": as_user(lena).post(reverse("complaints:incident", args=[incident.pk]), {"subject": ""}),
    }


def test_a_form_with_errors_opens_with_a_summary_linking_to_each_field(client, as_user, alice, lena, resolved):
    for name, response in _failed_forms(client, as_user, alice, lena, resolved).items():
        assert response.status_code == 400, name
        page = parse(response.content)
        summaries = page.find_all("div", class_="error-summary")
        assert len(summaries) == 1, (name, len(summaries))
        [summary] = summaries
        assert summary.get("role") == "alert" and summary.find("h2").get("tabindex") == "-1", name
        form = summary.closest("form")
        first_control = form_controls(form)[0]
        order = list(form.iter())
        assert order.index(summary) < order.index(first_control), (name, "the summary comes first")
        linked = set()
        for link in summary.find_all("a"):
            target = by_id(page, link.get("href").removeprefix("#"))
            assert target is not None and target in form_controls(form), (name, link.get("href"))
            linked.add(target.get("name"))
        invalid = {c.get("name") for c in form_controls(form) if c.get("aria-invalid") == "true"}
        assert linked and linked == invalid, (name, linked, invalid)
        for control in form_controls(form):
            if control.get("aria-invalid") == "true" and control.get("type") not in ("radio", "checkbox"):
                described = (control.get("aria-describedby") or "").split()
                assert f"{control.get('id')}_error" in described and by_id(page, f"{control.get('id')}_error"), name


def test_the_forms_own_errors_come_first_in_the_summary(as_user, alice):
    response = as_user(alice).post(reverse("complaints:log-call"), {"add_to": "GD-NOPE", "channel": "phone"})
    summary = parse(response.content).find("div", class_="error-summary")
    items = summary.find("ul").find_all("li")
    assert items[0].text == "GD-NOPE is not a case you can see." and items[0].find("a") is None
    assert len(items) > 1 and all(item.find("a") is not None for item in items[1:])


def test_a_form_without_errors_has_no_summary(client):
    assert parse(client.get(reverse("complain")).content).find(class_="error-summary") is None


# --- Borders of the controls, and the icon ------------------------------------------------------------------


def _six_digits(hex_colour: str) -> str:
    """#fff as #ffffff."""
    digits = hex_colour[1:].lower()
    return "#" + ("".join(d * 2 for d in digits) if len(digits) == 3 else digits)


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_borders_of_controls_contrast_3_to_1_with_what_is_around_them():
    css = Path(finders.find("css/gemdesk.css")).read_text()
    colour = re.search(r"--control-line:\s*(#[0-9a-f]{6})", css).group(1)
    assert re.search(r"input, select, textarea \{[^}]*border: 1px solid var\(--control-line\)", css)
    # Every light surface of the stylesheet, read from it (a new tint is checked the day it is added): the
    # control's own white, the page, and the tinted cards, rows and notes a form can sit on.
    page = re.search(r"--bg:\s*(#[0-9a-f]{6})", css).group(1)
    declared = {_six_digits(hex_colour) for hex_colour in re.findall(r"background:\s*(#[0-9a-fA-F]{3,6})\b", css)}
    light = {background for background in declared | {page} if _luminance(background) > 0.5}
    assert {"#ffffff", "#fafbfc", "#fff8db"} <= light  # white, the page, the note composer
    for background in light:
        assert contrast(colour, background) >= 3, background
    assert contrast("#d9dde6", "#ffffff") < 3  # what they had: the light line tables keep


def test_every_page_has_the_gem_icon(client):
    page = parse(client.get(reverse("complain")).content)
    [icon] = [link for link in page.find("head").find_all("link") if link.get("rel") == "icon"]
    assert icon.get("href") == static("favicon.svg") and icon.get("type") == "image/svg+xml"
    found = finders.find("favicon.svg")
    assert found and Path(found).parent == Path(settings.STATICFILES_DIRS[0])
    svg = ElementTree.parse(found).getroot()  # noqa: S314 (our own file)
    assert svg.tag == "{http://www.w3.org/2000/svg}svg" and "#0b6e4f" in Path(found).read_text()
