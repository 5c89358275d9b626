"""The admin shows cases and their history; it never changes owner or status, nor edits history."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from complaints.cases import services as case_services
from complaints.models import CaseStatus, Category
from tests.complaints.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "a long admin passphrase")
    client.force_login(root)
    return client


def test_admin_lists_and_searches_cases(admin_client, alice):
    case = make_case(by=alice, subject="Broadband down")
    make_case(by=alice, subject="Other thing")
    page = admin_client.get(reverse("admin:complaints_case_changelist"), {"q": "Broadband"}).content.decode()
    assert case.reference in page and "Other thing" not in page
    by_customer = admin_client.get(reverse("admin:complaints_case_changelist"), {"q": case.customer.full_name})
    assert case.reference in by_customer.content.decode()


def test_admin_cannot_change_owner_or_status(admin_client, alice):
    case = make_case(by=alice)
    change_url = reverse("admin:complaints_case_change", args=[case.pk])
    page = admin_client.get(change_url).content.decode()
    assert 'name="owner"' not in page and 'name="status"' not in page
    admin_client.post(change_url, {"owner": get_user_model().objects.get(username="root").pk, "status": "closed"})
    case.refresh_from_db()
    assert (case.owner, case.status) == (alice, CaseStatus.OPEN)


def test_case_history_is_read_only_in_the_admin(admin_client, alice):
    case = make_case(by=alice)
    case_services.case_add_note(case=case, by=alice, text="Called")
    event = case.events.last()
    assert admin_client.get(reverse("admin:complaints_caseevent_add")).status_code == 403
    assert admin_client.get(reverse("admin:complaints_caseevent_delete", args=[event.pk])).status_code == 403
    change = admin_client.get(reverse("admin:complaints_caseevent_change", args=[event.pk])).content.decode()
    assert 'name="kind"' not in change


def test_categories_are_edited_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:complaints_category_add"), {"name": "Billing", "slug": "billing", "active": "on"}
    )
    assert response.status_code == 302 and Category.objects.filter(slug="billing").exists()
