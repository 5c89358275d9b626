"""Staff pages on a phone (issue 15, "Phone width"): the header folds its navigation, search and log out behind
"Menu" with no JavaScript, and every table cell carries its column's name (data-label) so that the stylesheet
can turn each row into a card of "label  value" lines on a narrow screen. The fit itself (no sideways scroll at
390 px) is measured in Chromium by the browser tests; these check the markup and the rules they rely on."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from complaints.mail import services as mail_services
from crm.customers import services as customer_services
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory
from tests.feedback.factories import make_policy, make_suggestion
from tests.html_page import Element, assert_cells_labelled, parse
from tests.recognition.factories import published

pytestmark = pytest.mark.django_db
MAIL = Path(__file__).parent.parent / "complaints" / "mail" / "messages"


# --- The header ---------------------------------------------------------------------------------------------


def test_the_header_folds_navigation_search_and_log_out_behind_a_menu_that_needs_no_script(as_user, mona):
    page = parse(as_user(mona).get(reverse("crm:customer-list")).content)
    header = page.find("header", class_="site-header")
    assert header is not None
    menu = header.find("details", class_="menu")
    assert menu is not None and "open" not in menu.attrs  # folded until opened; wide screens show it by CSS
    first_child = next(c for c in menu.children if isinstance(c, Element))
    assert first_child.tag == "summary" and first_child.text == "Menu"
    nav = menu.find("nav", aria_label="Main")
    assert nav is not None
    links = {a.text: a.get("href") for a in nav.find_all("a")}
    assert links["Customers"] == reverse("crm:customer-list") and links["Figures"] == reverse("complaints:figures")
    assert not [a for a in header.find_all("a") if a.closest("details") is None and a.get("class") != "brand"]
    search = menu.find("form", role="search")
    assert search is not None and search.get("action") == reverse("complaints:case-search")
    logout = menu.find("form", class_="logout")
    assert logout is not None and logout.get("action") == reverse("logout") and logout.get("method") == "post"
    assert [b.text for b in logout.find_all("button")] == ["Log out"]
    assert header.find("a", class_="brand").closest("details") is None  # the brand stays in sight
    # The CSP allows no inline style or script: the menu works by the details element alone.
    assert not header.find_all("script")
    assert not [e for e in header.iter() if "style" in e.attrs or any(n.startswith("on") for n in e.attrs)]


def test_a_signed_out_page_has_no_menu(client):
    page = parse(client.get(reverse("login")).content)
    assert page.find("details", class_="menu") is None


# --- Tables: every cell names its column -------------------------------------------------------------------


def test_the_customer_list_and_a_customers_name_history_label_their_cells(as_user, alice):
    customer = CustomerFactory(full_name="Ada Obi", email="ada@example.test")
    customer_services.customer_update(customer=customer, by=alice, full_name="Ada Obi-Okafor")
    client = as_user(alice)
    assert assert_cells_labelled(parse(client.get(reverse("crm:customer-list")).content)) >= 4
    page = parse(client.get(reverse("crm:customer-detail", args=[customer.pk])).content)
    assert assert_cells_labelled(page) >= 5
    assert page.find("td", data_label="Before").text == "Ada Obi"


def test_suggestion_and_policy_tables_label_their_cells(as_user, alice, mona):
    policy = make_policy(by=mona)
    make_suggestion(author=alice, policy=policy, subject="Refund on the first call")
    client = as_user(alice)
    board = parse(client.get(reverse("feedback:board")).content)
    assert assert_cells_labelled(board) == 8
    assert board.find("td", data_label="Suggestion").text == "Refund on the first call"
    assert assert_cells_labelled(parse(client.get(reverse("feedback:mine")).content)) == 8
    assert assert_cells_labelled(parse(client.get(reverse("feedback:policies")).content)) == 5
    assert assert_cells_labelled(parse(client.get(reverse("feedback:policy", args=[policy.pk])).content)) == 8


def test_the_figures_dashboard_labels_every_cell_and_keeps_two_column_tables_as_tables(as_user, alice, bob, mona):
    make_case(by=alice, subject="Charged twice")
    make_case(subject="Nobody's yet")
    published(alice, [bob], moderator=mona, kind="delight", story="Sang happy birthday to a customer.")
    page = parse(as_user(mona).get(reverse("complaints:figures")).content)
    assert assert_cells_labelled(page) > 20
    weekly = page.find("table", class_="keep-columns")
    assert weekly is not None and [th.text for th in weekly.find_all("th")] == ["Week of", "Complaints"]
    promises = page.find("td", data_label="Rescheduled before due")
    assert promises is not None and "keep-columns" not in promises.closest("table").classes  # six columns: cards


def test_the_mail_pages_tables_label_their_cells(as_user, lena, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mail_services.email_ingest((MAIL / "malformed_no_from.eml").read_bytes())
    ignored = mail_services.email_ingest((MAIL / "auto_reply.eml").read_bytes())
    page = parse(as_user(lena).get(reverse("complaints:inbound-mail")).content)
    assert assert_cells_labelled(page) == 10
    assert [td.text for td in page.find_all("td", data_label="Why ignored")] == [ignored.reason]


def test_the_recognition_board_labels_its_cells(as_user, alice, bob, lena):
    published(alice, [bob], moderator=lena, kind="recovery", story="Fixed the broken router fast.")
    page = parse(as_user(lena).get(reverse("recognition:board")).content)
    assert assert_cells_labelled(page) >= 4 + 3
    assert page.find("td", data_label="Delight share") is not None


# --- The stylesheet -----------------------------------------------------------------------------------------


def test_the_stylesheet_has_the_narrow_screen_rules():
    path = finders.find("css/gemdesk.css")
    assert path
    css = Path(path).read_text()
    assert "@media (max-width: 48rem)" in css
    assert "content: attr(data-label)" in css  # each cell's column name before its value
    assert ".menu::details-content" in css and "@supports selector(::details-content)" in css
    assert "overflow-wrap: anywhere" in css  # long words and addresses wrap instead of widening the page
    assert "min-width: 22rem" not in css  # the search box used to push the header past a phone's width
