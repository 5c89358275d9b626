"""My cases, the team queue with one-click take, and the lead view; the flags every case list shows."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.cases import selectors as case_selectors
from complaints.cases import services as case_services
from complaints.cases.selectors import attention_flags, end_of_today
from complaints.cases.views import lists
from complaints.intake import services as intake_services
from complaints.models import Case, CaseEvent, CaseStatus, EventKind, Promise
from complaints.promises import selectors as promise_selectors
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution_services
from config import pagination
from crm.models import OutboundEmail
from tests.complaints.conftest import ESCAPED, XSS, take_url
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory, StaffFactory
from tests.html_page import assert_cells_labelled, parse
from tests.queries import queries

pytestmark = pytest.mark.django_db
MY_CASES = reverse("complaints:my-cases")
QUEUE = reverse("complaints:team-queue")
LEAD_VIEW = reverse("complaints:lead-view")
SEARCH = reverse("complaints:case-search")


def test_my_cases_nearest_promise_first_then_longest_waiting_with_counters(as_user, alice, bob):
    later = make_case(by=alice, subject="Later promise")
    sooner = make_case(by=alice, subject="Sooner promise")
    waiting_long = make_case(by=alice, subject="Waiting two days")
    waiting_short = make_case(by=alice, subject="Waiting an hour")
    bobs = make_case(by=bob, subject="Bob's case")
    now = timezone.now()
    promise_services.promise_make(case=bobs, by=bob, text="Bob's promise", due_at=now + timedelta(hours=2))
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


def test_a_queue_longer_than_the_cap_says_more_instead_of_counting_it_all(as_user, alice, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    monkeypatch.setattr(lists, "PAGE_SIZE", 1)
    queued = [make_case(subject=f"Complaint {n}") for n in range(5)]
    for n, case in enumerate(queued):
        Case.objects.filter(pk=case.pk).update(opened_at=timezone.now() - timedelta(hours=5 - n))
    client = as_user(alice)
    first = client.get(QUEUE).content.decode()
    assert "Page 1 of 3+ (the oldest come first; the rest follow as they are taken)" in first
    assert "Complaint 0" in first and "Complaint 1" not in first
    third = client.get(QUEUE, {"page": 3}).content.decode()
    assert "Complaint 2" in third
    make_case(by=alice)  # not in the queue
    for case in queued[:3]:
        case_services.case_take(case=case, agent=alice)
    assert "Page 1 of 2<" in client.get(QUEUE).content.decode()


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


def promise_counts_row(page: str, name: str) -> list[int] | None:
    """The "Promises per owner" row of this owner (None: no row), as numbers."""
    table = page[page.index('id="counts-heading"') :].split("</table>")[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if cells and cells[0] == name:
            return [int(cell) for cell in cells[1:]]
    return None


def test_lead_view_shows_the_teams_first_cases_in_my_cases_order_whoever_owns_them(
    as_user, alice, bob, lena, charlie, monkeypatch
):
    monkeypatch.setattr(case_selectors, "TEAM_CASES_SHOWN", 4)
    now = timezone.now()

    def case(owner, subject: str, *, promise_days: int | None = None, waiting_hours: int | None = None) -> None:
        made = make_case(by=owner, subject=subject)
        if promise_days is not None:
            promise_services.promise_make(case=made, by=owner, text="x", due_at=now + timedelta(days=promise_days))
        if waiting_hours is not None:
            Case.objects.filter(pk=made.pk).update(awaiting_reply_since=now - timedelta(hours=waiting_hours))

    # Alice alone has more cases than the view shows; the first four of the team mix her cases and Bob's.
    case(alice, "Alice promise day 1", promise_days=1)
    case(bob, "Bob promise day 2", promise_days=2)
    case(alice, "Alice promise day 3", promise_days=3)
    case(alice, "Alice promise day 4", promise_days=4)
    case(bob, "Bob waiting 5 hours", waiting_hours=5)
    case(alice, "Alice waiting 1 hour", waiting_hours=1)
    case(alice, "Alice nothing due")
    case(charlie, "Charlie promise day 1", promise_days=1)
    resolved = make_case(by=alice, subject="Alice resolved")
    Case.objects.filter(pk=resolved.pk).update(status=CaseStatus.RESOLVED, resolved_at=now)

    page = as_user(lena).get(LEAD_VIEW).content.decode()
    shown = re.findall(r'<td data-label="Subject">(.*?)</td>', page)
    assert shown == ["Alice promise day 1", "Bob promise day 2", "Alice promise day 3", "Alice promise day 4"]

    monkeypatch.setattr(case_selectors, "TEAM_CASES_SHOWN", 200)
    page = as_user(lena).get(LEAD_VIEW).content.decode()
    assert re.findall(r'<td data-label="Subject">(.*?)</td>', page)[4:] == [
        "Bob waiting 5 hours",
        "Alice waiting 1 hour",
        "Alice nothing due",
    ]


def test_lead_view_shows_team_cases_risks_escalations_counts_and_handovers(as_user, alice, bob, lena, charlie):
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
    assert 'Cases handed over in the last 7 days: <strong id="handovers">1</strong>' in page
    assert "shuffle" not in page.lower()
    # kept on time, kept late, rescheduled, withdrawn, broken, overdue now, open
    assert promise_counts_row(page, "Alice") == [1, 0, 0, 0, 0, 0, 1]


def test_the_lead_counts_the_weeks_handovers_of_cases_the_team_owns_now(alice, bob, charlie, lena):
    kept_in_team = make_case(by=alice)
    case_services.case_handover(case=kept_in_team, to="bob", reason="Bob knows billing best", by=alice)
    case_services.case_handover(case=make_case(by=alice), to="charlie", reason="Charlie covers the south", by=alice)
    handed_at = CaseEvent.objects.get(case=kept_in_team, kind=EventKind.HANDED_OVER).created_at
    week = timedelta(days=case_selectors.TEAM_FIGURE_DAYS)

    # Bob's case counts for a week; the case now in Team South does not count for Team North's lead.
    assert case_selectors.team_handover_count(lead=lena, now=handed_at + week - timedelta(minutes=1)) == 1
    assert case_selectors.team_handover_count(lead=lena, now=handed_at + week + timedelta(minutes=1)) == 0


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
    pages = ((agent, MY_CASES), (agent, QUEUE), (lead, LEAD_VIEW))
    with_five = {url: queries(lambda c=client, u=url: c.get(u)) for client, url in pages}
    _add_cases(alice, 25)
    for client, url in pages:
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


# --- Flags: what needs the owner now, in words -------------------------------------------------------------


def flags_on(page: str, case) -> dict[str, str]:
    """The flags on `case`'s row of a list page: {words: CSS class}. Fails if the row is not there."""
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*>{re.escape(case.reference)}<(?:(?!</tr>).)*</tr>", page, re.S)
    assert row, f"{case.reference} is not listed"
    cell = re.search(r'<td data-label="Needs attention">(.*?)</td>', row.group(0), re.S)
    assert cell, f"{case.reference}'s row has no flags cell"
    return {
        " ".join(unescape(re.sub(r"<[^>]+>", "", words)).split()): kind
        for kind, words in re.findall(r'<li class="flag ([^"]+)">(.*?)</li>', cell.group(1), re.S)
    }


def overdue(case, *, by) -> None:
    promise = promise_services.promise_make(
        case=case, by=by, text="Call back", due_at=timezone.now() + timedelta(days=1)
    )
    past = timezone.now() - timedelta(hours=2)
    Promise.objects.filter(pk=promise.pk).update(due_at=past)
    Case.objects.filter(pk=case.pk).update(next_promise_due_at=past)


def test_my_cases_flags_each_thing_that_needs_the_owner_and_nothing_else(as_user, alice, bob, lena):
    replied = make_case(by=alice, subject="Replied")
    case_services.case_send_message(case=replied, by=alice, text="We are on it")
    intake_services.case_receive_message(case=replied, text="Still no signal")
    answered = make_case(by=alice, subject="Answered")
    intake_services.case_receive_message(case=answered, text="Any news?")
    case_services.case_send_message(case=answered, by=alice, text="Tomorrow")
    manager = make_case(by=alice, subject="Manager")
    intake_services.case_customer_asks_for_manager(case=manager, reason="Nobody listens")
    reopened = make_case(by=alice, subject="Reopened")
    resolution_services.case_resolve(case=reopened, by=alice, resolution_summary="Fixed", root_cause="process")
    resolution_services.case_reopen(case=reopened, by=alice, reason="The fault came back")
    late = make_case(by=alice, subject="Late")
    overdue(late, by=alice)
    today, tomorrow = make_case(by=alice, subject="Today"), make_case(by=alice, subject="Tomorrow")
    now = timezone.now()
    midnight = end_of_today(now)
    Case.objects.filter(pk=today.pk).update(next_promise_due_at=now + (midnight - now) / 2)
    Case.objects.filter(pk=tomorrow.pk).update(next_promise_due_at=midnight + timedelta(hours=1))
    quiet = make_case(by=alice, subject="Quiet")

    page = as_user(alice).get(MY_CASES).content.decode()

    assert flags_on(page, replied) == {"Customer replied": "replied"}
    assert flags_on(page, answered) == {}
    assert flags_on(page, manager) == {"Asked for a manager": "manager"}
    assert flags_on(page, reopened) == {"Reopened": "reopened"}
    assert flags_on(page, late) == {"Promise overdue": "overdue"}
    assert flags_on(page, today) == {"Promise due today": "due-today"}
    assert flags_on(page, tomorrow) == {}
    # A case staff logged began with a conversation: no first reply is owed.
    assert flags_on(page, quiet) == {}
    assert '<th scope="col">Needs attention</th>' in page
    assert '<td data-label="Needs attention"></td>' in page  # nothing at all when nothing needs the owner


def test_the_first_reply_the_acknowledgement_promised_is_flagged_until_we_write(as_user, alice, settings):
    settings.FIRST_RESPONSE_HOURS = 24.0
    queued = make_case(subject="From the web form")
    intake_services.case_receive_message(case=queued, text="Did you get my complaint?")
    queue = as_user(alice).get(QUEUE).content.decode()
    assert flags_on(queue, queued) == {"Customer wrote again": "replied", "First reply due in 23 h": "first-reply"}
    assert '<td data-label="Take">' in queue

    case_services.case_take(case=queued, agent=alice)
    assert flags_on(as_user(alice).get(MY_CASES).content.decode(), queued) == {
        "Customer wrote again": "replied",
        "First reply due in 23 h": "first-reply",
    }
    case_services.case_send_message(case=queued, by=alice, text="We have it")
    assert flags_on(as_user(alice).get(MY_CASES).content.decode(), queued) == {}

    # Two days old and never answered: overdue, said once (the acknowledgement's promise is this flag).
    late = make_case(subject="Forgotten")
    opened = timezone.now() - timedelta(days=2)
    Case.objects.filter(pk=late.pk).update(opened_at=opened, next_promise_due_at=opened + timedelta(hours=24))
    Promise.objects.filter(case=late).update(due_at=opened + timedelta(hours=24))
    assert flags_on(as_user(alice).get(QUEUE).content.decode(), late) == {
        "First reply overdue, due 1 day ago": "overdue"
    }


def test_asked_for_a_manager_stays_until_the_person_asked_for_writes(as_user, alice, lena):
    case = make_case(by=alice)
    intake_services.case_customer_asks_for_manager(case=case, reason="I want a manager")
    case_services.case_send_message(case=case, by=alice, text="Lena will call you")
    assert "Asked for a manager" in flags_on(as_user(alice).get(MY_CASES).content.decode(), case)
    assert "asked for by the customer" in as_user(lena).get(LEAD_VIEW).content.decode()
    case_services.case_send_message(case=case, by=lena, text="Lena here: sorted")
    assert flags_on(as_user(alice).get(MY_CASES).content.decode(), case) == {}


def test_a_promise_is_due_today_in_the_day_of_whoever_looks():
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    case = Case(status=CaseStatus.OPEN, opened_at=now, next_promise_due_at=datetime(2026, 3, 10, 20, 0, tzinfo=UTC))
    with timezone.override("Europe/London"):  # 20:00, the same evening
        assert [flag.label for flag in attention_flags(case, now=now)] == ["Promise due today"]
    with timezone.override("Asia/Tokyo"):  # 05:00 tomorrow morning there
        assert attention_flags(case, now=now) == []
    case.status = CaseStatus.RESOLVED
    with timezone.override("Europe/London"):
        assert attention_flags(case, now=now) == []  # a finished case needs nobody


def test_every_case_list_shows_the_flags(as_user, alice, lena):
    customer = CustomerFactory(full_name="Petra Flagged")
    mine = make_case(by=alice, customer=customer)
    case_services.case_send_message(case=mine, by=alice, text="Fixed?")
    intake_services.case_receive_message(case=mine, text="No")
    queued = make_case(customer=customer)
    intake_services.case_receive_message(case=queued, text="Hello?")
    customer_page = reverse("crm:customer-detail", args=[customer.pk])
    search = f"{SEARCH}?q=Petra"
    for client, url, case in (
        (as_user(alice), MY_CASES, mine),
        (as_user(lena), LEAD_VIEW, mine),
        (as_user(alice), search, mine),
        (as_user(alice), customer_page, mine),
        (as_user(alice), QUEUE, queued),
        (as_user(alice), search, queued),
        (as_user(alice), customer_page, queued),
    ):
        page = client.get(url).content.decode()
        expected = "Customer replied" if case == mine else "Customer wrote again"
        assert flags_on(page, case).get(expected) == "replied", url


def test_every_cell_of_the_case_lists_carries_its_column_label(as_user, alice, lena):
    """The phone layout shows each cell as "label  value": every data cell names its column."""
    customer = CustomerFactory(full_name="Lara Label")
    make_case(by=alice, customer=customer)
    make_case(customer=customer)
    done = make_case(by=alice, customer=customer)
    resolution_services.case_resolve(case=done, by=alice, resolution_summary="Fixed", root_cause="process")
    for client, url in (
        (as_user(alice), MY_CASES),
        (as_user(alice), QUEUE),
        (as_user(lena), QUEUE),
        (as_user(lena), LEAD_VIEW),
        (as_user(alice), f"{SEARCH}?q=Lara"),
        (as_user(alice), reverse("crm:customer-detail", args=[customer.pk])),
    ):
        assert assert_cells_labelled(parse(client.get(url).content)) > 0, url


def _flagged_rows(alice, customer, rows: int) -> None:
    """`rows` cases of alice's and as many in the queue, each with something to flag."""
    for n in range(rows):
        owned = make_case(by=alice, customer=customer)
        queued = make_case(customer=customer)
        intake_services.case_receive_message(case=queued, text="Hello?")
        if n % 3 == 0:
            intake_services.case_receive_message(case=owned, text="Any news?")
        elif n % 3 == 1:
            intake_services.case_customer_asks_for_manager(case=owned, reason="Nobody calls back")
        else:
            overdue(owned, by=alice)


def test_flagged_lists_cost_the_same_queries_for_3_and_30_rows(
    as_user, alice, lena, settings, django_assert_max_num_queries
):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    customer = CustomerFactory(full_name="Quinn Many")
    agent, lead = as_user(alice), as_user(lena)
    pages = (
        (agent, MY_CASES),
        (agent, QUEUE),
        (lead, LEAD_VIEW),
        (agent, f"{SEARCH}?q=Quinn"),
        (agent, reverse("crm:customer-detail", args=[customer.pk])),
    )
    _flagged_rows(alice, customer, 3)
    with_three = {url: queries(lambda c=client, u=url: c.get(u)) for client, url in pages}
    _flagged_rows(alice, customer, 27)
    for client, url in pages:
        with django_assert_max_num_queries(with_three[url]):
            page = client.get(url).content.decode()
        assert page.count('<li class="flag ') >= 30, url


# --- The lead view's promise counts ------------------------------------------------------------------------


def test_promises_count_for_whoever_owns_the_case_now(as_user, alice, bob, lena):
    case = make_case(by=alice)
    kept = promise_services.promise_make(case=case, by=alice, text="Letter", due_at=timezone.now() + timedelta(days=1))
    promise_services.promise_keep(promise=kept, by=alice)
    promise_services.promise_make(case=case, by=alice, text="Refund", due_at=timezone.now() + timedelta(days=2))
    page = as_user(lena).get(LEAD_VIEW).content.decode()
    assert promise_counts_row(page, "Alice") == [1, 0, 0, 0, 0, 0, 1]
    assert promise_counts_row(page, "Bob") == [0] * 7

    case_services.case_handover(case=case, to="bob", reason="Bob knows refunds best", by=alice)
    page = as_user(lena).get(LEAD_VIEW).content.decode()
    assert promise_counts_row(page, "Alice") == [0] * 7
    assert promise_counts_row(page, "Bob") == [1, 0, 0, 0, 0, 0, 1]
    assert "a case handed over takes its promises with it" in page


def test_promises_go_with_the_case_every_way_it_changes_hands(as_user, alice, bob, lena):
    def owners(case) -> set:
        return set(Promise.objects.filter(case=case).values_list("owner", flat=True))

    taken, assigned = make_case(), make_case()  # web complaints, each with its first reply promised
    assert owners(taken) == owners(assigned) == {None}
    case_services.case_take(case=taken, agent=alice)
    case_services.case_assign(case=assigned, to="bob", by=lena)
    assert owners(taken) == {alice.pk} and owners(assigned) == {bob.pk}
    page = as_user(lena).get(LEAD_VIEW).content.decode()
    assert promise_counts_row(page, "Alice") == promise_counts_row(page, "Bob") == [0, 0, 0, 0, 0, 0, 1]

    # Alice keeps her case's first reply, resolves it and leaves; reopened, it is her lead's, kept promise and all.
    case_services.case_send_message(case=taken, by=alice, text="We are on it.")
    resolution_services.case_resolve(case=taken, by=alice, resolution_summary="Fixed", root_cause="system")
    alice.is_active = False
    alice.save()
    resolution_services.case_reopen(case=taken, by=lena, reason="Customer called back")
    assert owners(taken) == {lena.pk}
    page = as_user(lena).get(LEAD_VIEW).content.decode()
    assert promise_counts_row(page, "Lena") == [1, 0, 0, 0, 0, 0, 0]


def test_promise_outcomes_count_the_last_week_and_open_promises_whenever_made(alice, lena):
    case = make_case(by=alice)
    kept = promise_services.promise_make(case=case, by=alice, text="Letter", due_at=timezone.now() + timedelta(days=1))
    promise_services.promise_keep(promise=kept, by=alice)
    promise_services.promise_make(case=case, by=alice, text="Refund", due_at=timezone.now() + timedelta(days=30))
    kept.refresh_from_db()
    week = timedelta(days=case_selectors.TEAM_FIGURE_DAYS)

    def alices_counts(now) -> dict[str, int]:
        counts = dict(promise_selectors.team_promise_counts(lead=lena, days=case_selectors.TEAM_FIGURE_DAYS, now=now))
        return counts[alice]

    inside = alices_counts(kept.settled_at + week - timedelta(minutes=1))
    outside = alices_counts(kept.settled_at + week + timedelta(minutes=1))
    assert (inside["kept_on_time"], inside["open"]) == (1, 1)
    assert (outside["kept_on_time"], outside["open"]) == (0, 1)


def test_at_risk_promises_follow_the_case_out_of_the_team(as_user, alice, charlie, lena):
    case = make_case(by=alice)
    promise = promise_services.promise_make(
        case=case, by=alice, text="Call back", due_at=timezone.now() + timedelta(hours=1)
    )
    Promise.objects.filter(pk=promise.pk).update(warn_at=timezone.now() - timedelta(minutes=1))
    assert "“Call back”" in as_user(lena).get(LEAD_VIEW).content.decode()
    case_services.case_handover(case=case, to="charlie", reason="Charlie covers the south", by=alice)
    assert "“Call back”" not in as_user(lena).get(LEAD_VIEW).content.decode()


def test_managers_and_executives_in_a_team_are_no_rows_of_its_promise_counts(as_user, alice, lena):
    boss = StaffFactory(username="boss", role="manager", team_name="Team North")
    StaffFactory(username="chief", role="executive", team_name="Team North")
    case = make_case(by=alice)
    promise_services.promise_make(
        case=case, by=boss, text="A goodwill credit", due_at=timezone.now() + timedelta(days=1)
    )
    make_case(by=boss)  # logged a call, so owns a case
    page = as_user(lena).get(LEAD_VIEW).content.decode()
    assert promise_counts_row(page, "Boss") is None and promise_counts_row(page, "Chief") is None
    assert promise_counts_row(page, "Alice") == [0, 0, 0, 0, 0, 0, 1]  # the manager's promise, on her case
    assert promise_counts_row(page, "Lena") == [0] * 7  # leads own cases too
