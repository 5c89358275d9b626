"""Customer pages: search, the customer page, new customer with similar customers first."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from config import pagination
from crm.customers import views as crm_views
from crm.models import Customer
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"


@pytest.fixture
def staff_client(client, alice):
    client.force_login(alice)
    return client


def test_pages_need_a_login_and_a_staff_role(client):
    customer = CustomerFactory()
    for url in (reverse("crm:customer-list"), reverse("crm:customer-detail", args=[customer.pk])):
        assert client.get(url).status_code == 302
    client.force_login(get_user_model().objects.create_user("visitor"))
    assert client.get(reverse("crm:customer-list")).status_code == 403


def test_list_searches_and_escapes_names(staff_client):
    CustomerFactory(full_name=f"Evil {XSS}")
    CustomerFactory(full_name="Priya Sharma")
    page = staff_client.get(reverse("crm:customer-list"), {"q": "evil"}).content.decode()
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Priya" not in page


def test_a_search_with_more_matches_than_the_cap_asks_to_refine_it(staff_client, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    monkeypatch.setattr(crm_views, "PAGE_SIZE", 2)
    CustomerFactory.create_batch(5, full_name="Alan Jackson")
    page = staff_client.get(reverse("crm:customer-list"), {"q": "jackson"}).content.decode()
    assert "Page 1 of 2+ (refine the search to see the rest)" in page


def test_customer_page_shows_salutation_pronunciation_and_history(staff_client, alice):
    customer = CustomerFactory(
        full_name="Siân Llewellyn", title="Ms", formal_name="Llewellyn", name_pronunciation="SHAHN hlu-WEL-in"
    )
    staff_client.post(
        reverse("crm:customer-edit", args=[customer.pk]),
        {
            "full_name": "Siân Llewellyn-Jones",
            "title": "Ms",
            "formal_name": "Llewellyn",
            "name_pronunciation": "SHAHN hlu-WEL-in",
            "preferred_channel": "email",
        },
    )
    page = staff_client.get(reverse("crm:customer-detail", args=[customer.pk])).content.decode()
    assert "Dear Ms Llewellyn" in page and "SHAHN hlu-WEL-in" in page
    assert "Siân Llewellyn-Jones" in page and "full_name" in page


def test_confirm_name_button(staff_client, alice):
    customer = CustomerFactory()
    response = staff_client.post(reverse("crm:customer-confirm-name", args=[customer.pk]))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name_confirmed_by == alice


def test_new_customer_form_shows_similar_customers_before_saving(staff_client):
    existing = CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    form = {"full_name": "Alan Jackson", "email": "alan@example.test", "preferred_channel": "email"}
    shown = staff_client.post(reverse("crm:customer-new"), form)
    assert shown.status_code == 200
    assert "Is it one of these customers?" in shown.content.decode()
    assert reverse("crm:customer-detail", args=[existing.pk]) in shown.content.decode()
    assert Customer.objects.count() == 1


def test_new_customer_is_saved_once_the_agent_says_none_is_the_same(staff_client):
    CustomerFactory(full_name="Alan Johnson")
    form = {
        "full_name": "Alan Jackson",
        "phone": "020 7946 0999",
        "preferred_channel": "email",
        "not_a_duplicate": "on",
    }
    response = staff_client.post(reverse("crm:customer-new"), form)
    assert response.status_code == 302
    assert Customer.objects.get(full_name="Alan Jackson").phone == "+442079460999"


def test_bad_input_keeps_what_was_typed_and_shows_the_reason(staff_client):
    form = {
        "full_name": "Ana García",
        "email": "ana@",
        "phone": "12",
        "notes": "Call after 6pm",
        "preferred_channel": "email",
        "not_a_duplicate": "on",
    }
    response = staff_client.post(reverse("crm:customer-new"), form)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="Ana García"' in page and "Call after 6pm" in page
    assert "Enter a valid email address." in page and "phone number" in page
    assert not Customer.objects.exists()


def test_similar_panel_partial_for_htmx(staff_client):
    CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    response = staff_client.get(reverse("crm:customer-similar"), {"email": "alan@example.test"})
    assert "Alan Johnson" in response.content.decode()
