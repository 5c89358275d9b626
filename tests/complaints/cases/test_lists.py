"""My cases, the team queue with one-click take, and the lead view."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints.cases import services as case_services
from complaints.models import Case, CaseEvent, CaseStatus, EventKind, Promise
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution_services
from crm.models import OutboundEmail
from tests.complaints.conftest import ESCAPED, XSS, take_url
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db
MY_CASES = reverse("complaints:my-cases")
QUEUE = reverse("complaints:team-queue")
LEAD_VIEW = reverse("complaints:lead-view")


def test_my_cases_nearest_promise_first_then_longest_waiting_with_counters(as_user, alice, bob):
    later = make_case(by=alice, subject="Later promise")
    sooner = make_case(by=alice, subject="Sooner promise")
    waiting_long = make_case(by=alice, subject="Waiting two days")
    waiting_short = make_case(by=alice, subject="Waiting an hour")
    make_case(by=bob, subject="Bob's case")
    now = timezone.now()
    Case.objects.filter(pk=waiting_long.pk).update(awaiting_reply_since=now - timedelta(days=2))
    Case.objects.filter(pk=waiting_short.pk).update(awaiting_reply_since=now - timedelta(hours=1))
    promise_services.promise_make(case=later, by=alice, text="x", due_at=now + timedelta(days=3))
    promise_services.promise_make(case=sooner, by=alice, text="x", due_at=now + timedelta(days=1))

    page = as_user(alice).get(MY_CASES).content.decode()

    order = [page.index(s) for s in ("Sooner promise", "Later promise", "Waiting two days", "Waiting an hour")]
    assert order == sorted(order)
    assert "Bob&#x27;s case" not in page
    assert "<strong>4</strong> open" in page
    assert "<strong>2</strong> waiting for our answer" in page
    assert "<strong>2</strong> promises open" in page


def test_my_cases_highlights_promises_at_risk(as_user, alice):
    case = make_case(by=alice, subject="Refund due today")
    promise = promise_services.promise_make(
        case=case, by=alice, text="Refund", due_at=timezone.now() + timedelta(hours=1)
    )
    Promise.objects.filter(pk=promise.pk).update(warn_at=timezone.now() - timedelta(minutes=1))
    page = as_user(alice).get(MY_CASES).content.decode()
    assert '<tr class="at-risk">' in page and "at risk: keep it or tell the customer now" in page
    assert '<li class="at-risk"><strong>1</strong> promises due soon' in page


def test_the_queue_lists_unowned_cases_oldest_first(as_user, alice):
    older, newer = make_case(subject="Older complaint"), make_case(subject="Newer complaint")
    Case.objects.filter(pk=older.pk).update(opened_at=timezone.now() - timedelta(days=1))
    make_case(by=alice, subject="Already owned")
    page = as_user(alice).get(QUEUE).content.decode()
    assert page.index("Older complaint") < page.index("Newer complaint")
    assert "Already owned" not in page and newer.reference in page


def test_take_from_the_queue_and_a_second_take_shows_the_owner(as_user, alice, bob):
    case = make_case()
    response = as_user(alice).post(take_url(case))
    assert response.status_code == 302 and response.url == reverse("complaints:case-detail", args=[case.reference])
    case.refresh_from_db()
    assert (case.owner, case.status) == (alice, CaseStatus.OPEN)

    second = as_user(bob).post(take_url(case))
    assert second.status_code == 409 and "already owned by Alice" in second.content.decode()
    case.refresh_from_db()
    assert case.owner == alice
    assert CaseEvent.objects.filter(case=case, kind=EventKind.TAKEN).count() == 1


def test_take_with_htmx_swaps_the_row_and_the_loser_sees_the_owner(as_user, alice, bob):
    case = make_case()
    won = as_user(alice).post(take_url(case), HTTP_HX_REQUEST="true")
    body = won.content.decode()
    assert won.status_code == 200 and body.startswith(f'<tr id="queue-{case.reference}">') and "Yours now" in body

    lost = as_user(bob).post(take_url(case), HTTP_HX_REQUEST="true")
    body = lost.content.decode()
    assert body.startswith(f'<tr id="queue-{case.reference}">') and "already owned by Alice" in body


@pytest.mark.parametrize("visibility", ["all", "team"])
def test_a_taker_in_another_team_is_told_who_took_the_case(settings, as_user, alice, charlie, visibility):
    settings.CASE_VISIBILITY = visibility
    case = make_case(subject="Private matter")
    as_user(alice).post(take_url(case))
    lost = as_user(charlie).post(take_url(case), HTTP_HX_REQUEST="true")
    row = lost.content.decode()
    assert f'<tr id="queue-{case.reference}">' in row and "already owned by Alice" in row
    # The row says only who owns it: under team visibility the case is out of charlie's sight now.
    assert "Private matter" not in row
    assert as_user(charlie).post(take_url(case)).status_code == 409


def test_lists_escape_what_customers_typed(as_user, alice, lena):
    evil = CustomerFactory(full_name=XSS)
    make_case(by=alice, customer=evil, subject=XSS)
    make_case(customer=evil, subject=XSS)
    for client, url in ((as_user(alice), MY_CASES), (as_user(alice), QUEUE), (as_user(lena), LEAD_VIEW)):
        page = client.get(url).content.decode()
        assert XSS not in page and ESCAPED in page, url


def test_lead_view_shows_team_cases_risks_escalations_counts_and_shuffles(as_user, alice, bob, lena, charlie):
    mine = make_case(by=alice, subject="North case")
    make_case(by=charlie, subject="South case")
    case_services.case_escalate(case=mine, by=alice, level="lead", reason="Needs you")
    at_risk = promise_services.promise_make(
        case=mine, by=alice, text="Call back", due_at=timezone.now() + timedelta(hours=1)
    )
    Promise.objects.filter(pk=at_risk.pk).update(warn_at=timezone.now() - timedelta(minutes=1))
    kept = promise_services.promise_make(case=mine, by=alice, text="Letter", due_at=timezone.now() + timedelta(days=1))
    promise_services.promise_keep(promise=kept, by=alice)
    case_services.case_handover(case=make_case(by=alice), to="bob", reason="Bob knows billing best", by=alice)

    page = as_user(lena).get(LEAD_VIEW).content.decode()

    assert "North case" in page and "South case" not in page
    assert "“Call back”" in page and "Needs you" in page
    assert '<strong id="shuffles">1</strong>' in page
    row = page[page.index("<td>Alice</td>") :].split("</tr>")[0]
    # kept on time, kept late, rescheduled, withdrawn, broken, overdue now, open
    assert row == "<td>Alice</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td>"


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _add_cases(alice, rows: int) -> None:
    for n in range(rows):
        owned = make_case(by=alice)
        make_case()
        if n % 2:
            promise_services.promise_make(case=owned, by=alice, text="x", due_at=timezone.now() + timedelta(days=1))


def test_list_pages_cost_the_same_queries_for_5_and_30_cases(
    as_user, alice, lena, settings, django_assert_max_num_queries
):
    # Sessions straight from the database: a cache shared with other runs must not move the count.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    agent, lead = as_user(alice), as_user(lena)
    _add_cases(alice, 5)
    with_five = {url: _queries(client, url) for client, url in ((agent, MY_CASES), (agent, QUEUE), (lead, LEAD_VIEW))}
    _add_cases(alice, 25)
    for client, url in ((agent, MY_CASES), (agent, QUEUE), (lead, LEAD_VIEW)):
        with django_assert_max_num_queries(with_five[url]):
            assert client.get(url).status_code == 200
    assert max(with_five.values()) <= 14  # session, user and roles, the lists, the session save


def test_a_lead_assigns_a_queue_case_from_its_row_and_agents_only_take(as_user, alice, lena):
    case = make_case(subject="No dial tone")
    assert "Assign" not in as_user(alice).get(QUEUE).content.decode()
    client = as_user(lena)
    queue = client.get(QUEUE).content.decode()
    assert f'action="/cases/queue/{case.reference}/assign/"' in queue and ">Alice</option>" in queue
    assert "Reply due" in queue
    row = client.post(
        reverse("complaints:queue-assign", args=[case.reference]), {"to": "alice"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f"{case.reference} is now Alice&#x27;s case; they have been told." in row
    case.refresh_from_db()
    assert case.owner == alice
    assert alice.email in OutboundEmail.objects.filter(key__contains=":assigned:").values_list("to_email", flat=True)
    assert case.reference in as_user(alice).get(MY_CASES).content.decode()


def test_assigning_a_case_someone_took_meanwhile_names_the_owner_on_the_queue(as_user, alice, bob, lena):
    case = make_case()
    as_user(bob).post(take_url(case))
    response = as_user(lena).post(reverse("complaints:queue-assign", args=[case.reference]), {"to": "alice"})
    assert response.status_code == 409 and "already owned by Bob" in response.content.decode()
    case.refresh_from_db()
    assert case.owner == bob


def test_an_agent_posting_an_assign_is_refused_with_the_reason(as_user, alice, bob):
    case = make_case()
    response = as_user(alice).post(reverse("complaints:queue-assign", args=[case.reference]), {"to": "bob"})
    assert response.status_code == 403 and "Only leads and managers assign cases." in response.content.decode()
    case.refresh_from_db()
    assert case.owner is None


def test_my_cases_counts_only_its_table_and_lists_recently_resolved(as_user, alice):
    open_case = make_case(by=alice, subject="Still open")
    done = make_case(by=alice, subject="All sorted")
    promise_services.promise_make(case=done, by=alice, text="Refund", due_at=timezone.now() + timedelta(days=1))
    promise_services.promise_keep(promise=done.promises.get(), by=alice)
    resolution_services.case_resolve(case=done, by=alice, resolution_summary="Refunded", root_cause="process")
    page = as_user(alice).get(MY_CASES).content.decode()
    table, resolved = page.split('id="resolved-heading"')
    assert open_case.reference in table and done.reference not in table
    assert "<strong>1</strong> open" in table and "<strong>0</strong> promises open" in table
    assert done.reference in resolved and "All sorted" in resolved
