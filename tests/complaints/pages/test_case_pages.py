"""The agent and lead pages: queues, the case page and its actions, logging a call."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Case, CaseEvent, EventKind, Status
from crm.models import Customer
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def case_url(case, action=None):
    if action:
        return reverse("complaints:case-action", args=[case.reference, action])
    return reverse("complaints:case-detail", args=[case.reference])


def test_pages_need_login_and_a_staff_role(client):
    for name in ("complaints:my-cases", "complaints:team-queue", "complaints:log-call"):
        assert client.get(reverse(name)).status_code == 302
    client.force_login(get_user_model().objects.create_user("visitor"))
    assert client.get(reverse("complaints:my-cases")).status_code == 403


def test_home_lands_on_my_cases(as_user, alice):
    assert as_user(alice).get("/").url == reverse("complaints:my-cases")


def test_my_cases_nearest_promise_first_then_longest_waiting_with_counters(as_user, alice):
    later = make_case(by=alice, subject="Later promise")
    sooner = make_case(by=alice, subject="Sooner promise")
    waiting = make_case(by=alice, subject="Customer waiting")
    Case.objects.filter(pk=waiting.pk).update(awaiting_reply_since=timezone.now() - timedelta(days=2))
    services.promise_make(case=later, by=alice, text="x", due_at=timezone.now() + timedelta(days=3))
    services.promise_make(case=sooner, by=alice, text="x", due_at=timezone.now() + timedelta(days=1))
    page = as_user(alice).get(reverse("complaints:my-cases")).content.decode()
    assert page.index("Sooner promise") < page.index("Later promise") < page.index("Customer waiting")
    assert "<strong>2</strong> promises open" in page


def test_take_from_the_queue_and_a_second_take_shows_the_owner(alice, bob):
    case = make_case()
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(bob)
    assert first.post(reverse("complaints:take", args=[case.reference])).status_code == 302
    response = second.post(reverse("complaints:take", args=[case.reference]), HTTP_HX_REQUEST="true")
    assert "already owned by Alice" in response.content.decode()
    case.refresh_from_db()
    assert case.owner == alice


def test_case_page_shows_customer_salutation_timeline_and_escapes_everything(as_user, alice):
    customer = CustomerFactory(full_name=f"Evil {XSS}", title="Dr", formal_name="Who", name_pronunciation="HOO")
    case = make_case(by=alice, customer=customer, subject=XSS, description=XSS)
    services.case_add_note(case=case, by=alice, text=XSS)
    page = as_user(alice).get(case_url(case)).content.decode()
    assert XSS not in page and ESCAPED in page
    assert "Dear Dr Who" in page and "HOO" in page
    queue_and_mine = as_user(alice).get(reverse("complaints:my-cases")).content.decode()
    assert XSS not in queue_and_mine


def test_other_teams_cases_are_404(as_user, alice, charlie):
    case = make_case(by=alice)
    assert as_user(charlie).get(case_url(case)).status_code == 404


def test_action_forms_change_the_case_through_the_services(as_user, alice, bob):
    case = make_case(by=alice)
    client = as_user(alice)
    due = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(case_url(case, "note"), {"text": "Called back"}).status_code == 302
    assert client.post(case_url(case, "promise"), {"text": "Refund", "due_at": due}).status_code == 302
    assert client.post(case_url(case, "escalate"), {"level": "lead", "reason": "Big one"}).status_code == 302
    assert client.post(case_url(case, "handover"), {"to": "bob", "reason": "Bob knows billing best"}).status_code == 302
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {EventKind.NOTE, EventKind.PROMISE_MADE, EventKind.ESCALATED, EventKind.HANDED_OVER} <= kinds
    case.refresh_from_db()
    assert case.owner == bob


def test_a_failed_action_keeps_what_was_typed_and_says_why(as_user, alice):
    case = make_case(by=alice)
    response = as_user(alice).post(case_url(case, "handover"), {"to": "alice", "reason": "too short"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "too short</textarea>" in page and "at least 15 characters" in page
    case.refresh_from_db()
    assert case.owner == alice


def test_htmx_action_answers_with_the_panel(as_user, alice):
    case = make_case(by=alice)
    response = as_user(alice).post(case_url(case, "note"), {"text": "Via htmx"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith('<div id="case-panel">') and "Via htmx" in body


def test_resolve_then_reopen_from_the_page(as_user, alice):
    case = make_case(by=alice)
    client = as_user(alice)
    client.post(case_url(case, "resolve"), {"resolution_summary": "Fixed the line", "root_cause": "system"})
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    client.post(case_url(case, "reopen"), {"reason": "It failed again"})
    case.refresh_from_db()
    assert (case.status, case.owner) == (Status.OPEN, alice)


def test_log_a_call_creates_customer_and_owned_case_together(as_user, alice):
    form = {
        "full_name": "Priya Sharma",
        "email": "priya@example.test",
        "channel": "phone",
        "subject": "Bill too high",
        "description": "Charged twice",
        "severity": "normal",
    }
    response = as_user(alice).post(reverse("complaints:log-call"), form)
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.owner, case.customer.full_name, case.channel) == (alice, "Priya Sharma", "phone")


def test_log_a_call_can_record_the_acknowledgement_given_on_the_phone(as_user, alice):
    form = {
        "full_name": "Priya Sharma",
        "phone": "020 7946 0555",
        "channel": "phone",
        "subject": "Bill",
        "description": "Charged twice",
        "severity": "normal",
        "acknowledged_by_phone": "on",
    }
    as_user(alice).post(reverse("complaints:log-call"), form)
    case = Case.objects.get()
    assert case.acknowledged_by_phone and case.acknowledged_at is not None


def test_log_a_call_with_bad_input_saves_nothing_and_keeps_the_text(as_user, alice):
    form = {
        "full_name": "Priya Sharma",
        "email": "not-an-email",
        "channel": "phone",
        "subject": "Bill too high",
        "description": "Charged twice for November",
        "severity": "normal",
    }
    response = as_user(alice).post(reverse("complaints:log-call"), form)
    assert response.status_code == 400
    assert "Charged twice for November" in response.content.decode()
    assert not Customer.objects.exists() and not Case.objects.exists()


def test_log_a_call_shows_similar_customers_first(as_user, alice):
    CustomerFactory(full_name="Alan Johnson", email="alan@example.test")
    form = {
        "full_name": "Alan Johnson",
        "email": "alan@example.test",
        "channel": "phone",
        "subject": "s",
        "description": "d",
        "severity": "normal",
    }
    response = as_user(alice).post(reverse("complaints:log-call"), form)
    assert "Is it one of these customers?" in response.content.decode()
    assert not Case.objects.exists()


def test_lead_view_for_leads_only(as_user, alice, lena):
    case = make_case(by=alice)
    services.case_escalate(case=case, by=alice, level="lead", reason="Needs you")
    page = as_user(lena).get(reverse("complaints:lead-view")).content.decode()
    assert case.reference in page and "Needs you" in page
    assert as_user(alice).get(reverse("complaints:lead-view")).status_code == 403


def test_csrf_is_required_on_actions(alice):
    case = make_case(by=alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(case_url(case, "note"), {"text": "x"}).status_code == 403


@pytest.mark.parametrize("rows", [5, 30])
def test_my_cases_and_queue_query_counts_do_not_grow(as_user, alice, rows, django_assert_max_num_queries):
    for _ in range(rows):
        make_case(by=alice)
        make_case()
    client = as_user(alice)
    with django_assert_max_num_queries(10):
        client.get(reverse("complaints:my-cases"))
    with django_assert_max_num_queries(10):
        client.get(reverse("complaints:team-queue"))


def test_admin_cannot_change_a_case(client, alice):
    case = make_case(by=alice)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "a long admin passphrase")
    client.force_login(admin)
    change_url = reverse("admin:complaints_case_change", args=[case.pk])
    assert client.get(change_url).status_code == 200  # view only
    client.post(change_url, {"owner": admin.pk, "status": "closed", "subject": "x"})
    case.refresh_from_db()
    assert (case.owner, case.status) == (alice, Status.OPEN)
