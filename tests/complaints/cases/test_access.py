"""Who may open which page: staff only, the right role for the lead view, and nobody sees others' cases."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.complaints.conftest import case_url, take_url
from tests.complaints.factories import make_case

pytestmark = pytest.mark.django_db

LIST_PAGES = ["complaints:my-cases", "complaints:team-queue", "complaints:log-call", "complaints:lead-view"]


def test_every_page_sends_visitors_to_log_in_first(client, alice):
    case = make_case(by=alice)
    for url in [reverse(name) for name in LIST_PAGES] + [case_url(case)]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert client.post(case_url(case, "note"), {"text": "x"}).status_code == 302


def test_users_without_a_staff_role_get_403_everywhere(as_user, alice):
    case = make_case(by=alice)
    outsider = as_user(get_user_model().objects.create_user("visitor"))
    for url in [reverse(name) for name in LIST_PAGES] + [case_url(case)]:
        assert outsider.get(url).status_code == 403, url
    assert outsider.post(case_url(case, "note"), {"text": "x"}).status_code == 403


def test_home_lands_on_my_cases(as_user, alice):
    assert as_user(alice).get("/").url == reverse("complaints:my-cases")


def test_a_lead_starts_from_the_team_and_managers_and_executives_from_the_figures(as_user, lena, mona, erin):
    assert as_user(lena).get("/").url == reverse("complaints:lead-view")
    assert as_user(mona).get("/").url == reverse("complaints:figures")
    assert as_user(erin).get("/").url == reverse("complaints:figures")


def nav_links(client) -> set[str]:
    page = client.get(reverse("crm:customer-list")).content.decode()
    nav = page[page.index('<nav aria-label="Main">') :].split("</nav>")[0]
    return set(re.findall(r'<a href="([^"?]+)"', nav))


def test_the_nav_shows_each_role_the_pages_it_can_use(as_user, alice, lena, mona, erin):
    mine, queue, team, figures = (
        reverse(name)
        for name in ("complaints:my-cases", "complaints:team-queue", "complaints:lead-view", "complaints:figures")
    )
    shown = {who.username: nav_links(as_user(who)) for who in (alice, lena, mona, erin)}
    # Agents and leads own cases and take them; managers assign from the queue; executives do neither.
    assert {mine, queue} <= shown["alice"] and not {team, figures} & shown["alice"]
    assert {mine, queue, team, figures} <= shown["lena"]
    assert {queue, team, figures} <= shown["mona"] and mine not in shown["mona"]
    assert figures in shown["erin"] and not {mine, queue, team} & shown["erin"]
    for links in shown.values():
        assert reverse("complaints:log-call") in links and reverse("crm:customer-list") in links


def test_agents_open_their_pages(as_user, alice):
    client = as_user(alice)
    case = make_case(by=alice)
    for url in [reverse(name) for name in LIST_PAGES[:3]] + [case_url(case)]:
        assert client.get(url).status_code == 200, url


def test_lead_view_is_for_leads_and_managers(as_user, alice, lena, mona, erin):
    url = reverse("complaints:lead-view")
    assert as_user(lena).get(url).status_code == 200
    assert as_user(mona).get(url).status_code == 200
    assert as_user(alice).get(url).status_code == 403
    assert as_user(erin).get(url).status_code == 403


def test_nav_shows_the_lead_view_to_leads_only(as_user, alice, lena):
    lead_view = reverse("complaints:lead-view")
    assert lead_view in as_user(lena).get(reverse("complaints:my-cases")).content.decode()
    assert lead_view not in as_user(alice).get(reverse("complaints:my-cases")).content.decode()


def test_every_staff_member_opens_every_case_page_and_leaves_a_note_for_the_owner(as_user, alice, bob, charlie, erin):
    case = make_case(by=alice)
    for persona in (alice, bob, charlie, erin):
        assert as_user(persona).get(case_url(case)).status_code == 200, persona.username
    assert as_user(charlie).post(case_url(case, "note"), {"text": "The customer called me"}).status_code == 302
    assert case.events.filter(kind="note", actor=charlie).exists()
    assert as_user(alice).get(reverse("complaints:case-detail", args=["GD-999999"])).status_code == 404


def test_team_visibility_shows_a_case_page_to_its_team_lead_and_managers_only(
    settings, as_user, alice, bob, lena, mona, charlie
):
    settings.CASE_VISIBILITY = "team"
    case = make_case(by=alice)
    for persona in (alice, bob, lena, mona):
        assert as_user(persona).get(case_url(case)).status_code == 200, persona.username
    assert as_user(charlie).get(case_url(case)).status_code == 404
    assert as_user(charlie).post(case_url(case, "note"), {"text": "peek"}).status_code == 404


def test_an_unknown_action_is_404_and_actions_need_post(as_user, alice):
    case = make_case(by=alice)
    client = as_user(alice)
    assert client.post(case_url(case, "delete"), {}).status_code == 404
    assert client.get(case_url(case, "note")).status_code == 405
    assert client.get(take_url(case)).status_code == 405


def test_posting_without_a_csrf_token_is_refused(alice):
    case, queued = make_case(by=alice), make_case()
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(case_url(case, "note"), {"text": "x"}).status_code == 403
    assert client.post(take_url(queued), {}).status_code == 403
    assert client.post(reverse("complaints:log-call"), {"full_name": "A", "subject": "s"}).status_code == 403
    assert not case.events.filter(kind="note").exists()


def test_pages_carry_no_inline_script_or_style(as_user, alice):
    """The CSP is 'self': a script without src or a style attribute would be blocked (or a hole)."""
    case = make_case(by=alice)
    make_case()
    client = as_user(alice)
    for url in [reverse(name) for name in LIST_PAGES[:3]] + [case_url(case)]:
        page = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert " style=" not in page and "<style" not in page, url
        assert not re.search(r"\son[a-z]+=", page), url  # no onclick= and friends
