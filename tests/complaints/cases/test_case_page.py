"""The case page: what it shows, and each action form through its service, on success and on error."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import emails
from complaints.cases import services as case_services
from complaints.intake import services as intake_services
from complaints.models import Case, CaseEvent, CaseStatus, Collaborator, EventKind, Promise, PromiseStatus
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution
from crm.models import OutboundEmail
from tests.complaints.conftest import ESCAPED, XSS, case_url
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory
from tests.html_page import local_input

pytestmark = pytest.mark.django_db


def kinds(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", flat=True))


def field_html(page: str, field_id: str) -> str:
    """The markup of one field (label, input, errors), so an error is checked next to its own field."""
    start = page.index(f'<label for="{field_id}"')
    return page[start : page.index("</div>", start)]


# --- What the page shows ------------------------------------------------------------------


def test_case_page_shows_customer_salutation_pronunciation_and_links_to_them(as_user, alice):
    customer = CustomerFactory(
        full_name="Siobhán Ní Bhriain", title="Dr", formal_name="Ní Bhriain", name_pronunciation="shiv-AWN nee VREE-an"
    )
    case = make_case(by=alice, customer=customer)
    page = as_user(alice).get(case_url(case)).content.decode()
    assert "Dear Dr Ní Bhriain" in page and "shiv-AWN nee VREE-an" in page
    assert f'href="{reverse("crm:customer-detail", args=[customer.pk])}"' in page
    assert "<dd>Open</dd>" in page and "<dd>Alice</dd>" in page


def test_case_page_escapes_everything_typed(as_user, alice):
    customer = CustomerFactory(full_name=f"Evil {XSS}", name_pronunciation=XSS)
    case = make_case(by=alice, customer=customer, subject=XSS, description=XSS, outcome_wanted=XSS)
    case_services.case_add_note(case=case, by=alice, text=XSS)
    promise_services.promise_make(case=case, by=alice, text=XSS, due_at=timezone.now() + timedelta(days=1))
    case_services.case_escalate(case=case, by=alice, level="lead", reason=XSS)
    page = as_user(alice).get(case_url(case)).content.decode()
    assert XSS not in page and page.count(ESCAPED) >= 7


def test_timeline_is_oldest_first_and_newest_first_on_request(as_user, alice):
    case = make_case(by=alice)
    case_services.case_add_note(case=case, by=alice, text="First note")
    case_services.case_add_note(case=case, by=alice, text="Second note")
    client = as_user(alice)
    oldest = client.get(case_url(case)).content.decode()
    newest = client.get(case_url(case) + "?order=newest").content.decode()
    assert oldest.index("First note") < oldest.index("Second note")
    assert newest.index("Second note") < newest.index("First note")
    assert f'href="{case_url(case)}?order=oldest"' in newest and f'href="{case_url(case)}?order=newest"' in oldest


def test_case_page_shows_the_escalation_chain_and_open_promises(as_user, alice, lena):
    case = make_case(by=alice)
    case_services.case_escalate(case=case, by=alice, level="lead", reason="Billing dispute over 500")
    promise_services.promise_make(case=case, by=alice, text="Refund the fee", due_at=timezone.now() + timedelta(days=2))
    page = as_user(alice).get(case_url(case)).content.decode()
    chain = page[page.index("Escalation chain") :]
    assert "Lena (Team lead)" in chain and "Billing dispute over 500" in chain
    assert "Refund the fee" in page and "Kept it" in page and "Reschedule and tell the customer" in page


def test_every_form_field_has_its_own_id(as_user, alice):
    case = make_case(by=alice)
    for days in (1, 2):
        promise_services.promise_make(case=case, by=alice, text="x", due_at=timezone.now() + timedelta(days=days))
    page = as_user(alice).get(case_url(case)).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for label_for in re.findall(r'<label for="([^"]+)"', page):
        assert label_for in ids


def test_others_in_the_team_may_only_add_notes(as_user, alice, bob):
    case = make_case(by=alice)
    page = as_user(bob).get(case_url(case)).content.decode()
    assert case_url(case, "note") in page
    assert case_url(case, "handover") not in page and case_url(case, "resolve") not in page


def test_an_unowned_case_offers_take(as_user, alice):
    case = make_case()
    page = as_user(alice).get(case_url(case)).content.decode()
    assert reverse("complaints:take", args=[case.reference]) in page


# --- Each action through its service ----------------------------------------------------------


def test_note_message_promise_escalate_and_handover_change_the_case(as_user, alice, bob, mona):
    case = make_case(by=alice)
    client = as_user(alice)
    due = local_input(timezone.now() + timedelta(days=2))
    assert client.post(case_url(case, "note"), {"text": "Called back"}).status_code == 302
    assert client.post(case_url(case, "message"), {"text": "We are on it", "await_reply": "on"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WAITING_ON_CUSTOMER
    assert OutboundEmail.objects.filter(key__startswith=f"case:{case.pk}:message:").count() == 1
    assert client.post(case_url(case, "promise"), {"text": "Refund", "due_at": due}).status_code == 302
    assert client.post(case_url(case, "escalate"), {"level": "lead", "reason": "Big one"}).status_code == 302
    assert client.post(case_url(case, "escalate"), {"to": "mona", "reason": "Bigger one"}).status_code == 302
    response = client.post(case_url(case, "handover"), {"to": "bob", "reason": "Bob knows billing best"})
    assert response.status_code == 302

    assert {
        EventKind.NOTE,
        EventKind.MESSAGE_OUT,
        EventKind.PROMISE_MADE,
        EventKind.ESCALATED,
        EventKind.HANDED_OVER,
    } <= set(kinds(case))
    assert set(Collaborator.objects.filter(case=case).values_list("user__username", flat=True)) == {"lena", "mona"}
    case.refresh_from_db()
    assert case.owner == bob


def test_a_promise_due_time_is_read_in_the_site_time_zone(as_user, alice, settings):
    settings.TIME_ZONE = "America/New_York"
    case = make_case(by=alice)
    as_user(alice).post(case_url(case, "promise"), {"text": "Call back", "due_at": "2030-01-15T17:00"})
    assert Promise.objects.get(case=case).due_at == datetime(2030, 1, 15, 22, 0, tzinfo=UTC)


def test_a_due_time_with_any_offset_is_kept_and_an_impossible_one_is_a_form_error(as_user, alice):
    case = make_case(by=alice)
    client = as_user(alice)
    # 22:10 behind UTC: valid to Python, refused by PostgreSQL unless turned to UTC first.
    assert (
        client.post(case_url(case, "promise"), {"text": "Call back", "due_at": "2030-01-15T17:00-22:10"}).status_code
        == 302
    )
    assert Promise.objects.get(case=case).due_at == datetime(2030, 1, 16, 15, 10, tzinfo=UTC)
    refused = client.post(case_url(case, "promise"), {"text": "Later", "due_at": "9999-12-31T23:00-22:00"})
    assert refused.status_code == 400 and Promise.objects.filter(case=case).count() == 1


def test_keep_and_reschedule_a_promise_from_the_page(as_user, alice):
    case = make_case(by=alice)
    client = as_user(alice)
    first = promise_services.promise_make(case=case, by=alice, text="Refund", due_at=timezone.now() + timedelta(days=1))
    second = promise_services.promise_make(
        case=case, by=alice, text="Letter", due_at=timezone.now() + timedelta(days=2)
    )

    assert client.post(case_url(case, "keep"), {"promise": first.pk}).status_code == 302
    new_due = local_input(timezone.now() + timedelta(days=5))
    form = {"promise": second.pk, "due_at": new_due, "reason": "The warehouse is closed"}
    assert client.post(case_url(case, "reschedule"), form).status_code == 302

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (PromiseStatus.KEPT, PromiseStatus.RESCHEDULED)
    successor = Promise.objects.get(replaces=second)
    assert successor.status == PromiseStatus.OPEN and local_input(successor.due_at) == new_due
    assert OutboundEmail.objects.filter(key=f"promise:{second.pk}:slip").exists()


def test_the_reschedule_form_on_the_page_posts_its_own_promise(as_user, alice):
    """What the browser sends is what the page drew: one promise id per form, filled in."""
    case = make_case(by=alice)
    promise = promise_services.promise_make(
        case=case, by=alice, text="Refund", due_at=timezone.now() + timedelta(days=1)
    )
    page = as_user(alice).get(case_url(case)).content.decode()
    reschedule = page[page.index(case_url(case, "reschedule")) :].split("</form>")[0]
    assert re.findall(r'name="promise" value="(\d+)"', reschedule) == [str(promise.pk)]
    assert reschedule.count('name="promise"') == 1


def test_resolve_then_reopen_from_the_page(as_user, alice):
    case = make_case(by=alice)
    client = as_user(alice)
    client.post(case_url(case, "resolve"), {"resolution_summary": "Fixed the line", "root_cause": "system"})
    case.refresh_from_db()
    assert (case.status, case.root_cause) == (CaseStatus.RESOLVED, "system")
    page = client.get(case_url(case)).content.decode()
    assert case_url(case, "reopen") in page and case_url(case, "resolve") not in page
    client.post(case_url(case, "reopen"), {"reason": "It failed again"})
    case.refresh_from_db()
    assert (case.status, case.owner) == (CaseStatus.OPEN, alice)


def test_the_timeline_order_survives_an_action(as_user, alice):
    case = make_case(by=alice)
    response = as_user(alice).post(case_url(case, "note") + "?order=newest", {"text": "x"})
    # ...and the page opens at the note just added.
    note = case.events.get(kind=EventKind.NOTE)
    assert response.url == case_url(case) + f"?order=newest#event-{note.pk}"


def test_htmx_action_answers_with_the_panel(as_user, alice):
    case = make_case(by=alice)
    response = as_user(alice).post(case_url(case, "note"), {"text": "Via htmx"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith('<div id="case-panel">') and "Via htmx" in body
    assert "<html" not in body


def test_handing_over_outside_my_view_goes_back_to_my_cases(as_user, lena, charlie, mona):
    case = make_case(by=charlie)
    response = as_user(mona).post(case_url(case, "handover"), {"to": "lena", "reason": "Lena's team has billing"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == lena


def test_a_lead_handing_over_out_of_sight_lands_on_my_cases(settings, as_user, alice, lena, charlie):
    settings.CASE_VISIBILITY = "team"
    case = make_case(by=alice)
    response = as_user(lena).post(case_url(case, "handover"), {"to": "charlie", "reason": "South handles refunds"})
    assert response.status_code == 302 and response.url == reverse("complaints:my-cases")
    htmx_case = make_case(by=alice)
    response = as_user(lena).post(
        case_url(htmx_case, "handover"), {"to": "charlie", "reason": "South handles refunds"}, HTTP_HX_REQUEST="true"
    )
    assert response.headers["HX-Redirect"] == reverse("complaints:my-cases")


# --- Errors keep what was typed, next to the field -------------------------------------------------------


def test_handover_reason_too_short_keeps_the_text_and_says_why_next_to_it(as_user, alice, bob):
    case = make_case(by=alice)
    response = as_user(alice).post(case_url(case, "handover"), {"to": "bob", "reason": "too short"})
    page = response.content.decode()
    assert response.status_code == 400
    reason = field_html(page, "id_handover_reason")
    assert "too short</textarea>" in reason and "Give a reason of at least 15 characters." in reason
    assert 'id="id_handover_reason_error"' in reason
    assert '<details id="action-handover" open>' in page
    case.refresh_from_db()
    assert case.owner == alice


def test_the_lists_of_people_show_names_escaped_and_keep_the_choice_after_an_error(as_user, alice, bob):
    bob.staff_profile.display_name = 'Bob "<b>B</b>" Smith'
    bob.staff_profile.save()
    case = make_case(by=alice)
    response = as_user(alice).post(case_url(case, "handover"), {"to": "bob", "reason": "too short"})
    handover = field_html(response.content.decode(), "id_handover_to")
    assert '<select name="to" id="id_handover_to" required>' in handover
    assert '<option value="bob" selected>Bob &quot;&lt;b&gt;B&lt;/b&gt;&quot; Smith</option>' in handover
    assert '<option value="alice"' not in handover  # not to the owner


def test_a_promise_due_in_the_past_is_refused_with_the_text_kept(as_user, alice):
    case = make_case(by=alice)
    past = local_input(timezone.now() - timedelta(hours=1))
    response = as_user(alice).post(case_url(case, "promise"), {"text": "Refund by Friday", "due_at": past})
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="Refund by Friday"' in page
    due = field_html(page, "id_promise_due_at")
    assert f'value="{past}"' in due and "must be in the future" in due
    assert not Promise.objects.filter(case=case).exists()


def test_a_message_to_a_customer_without_email_is_refused_with_the_text_kept(as_user, alice):
    case = make_case(by=alice, customer=CustomerFactory(email="", phone="+442079460000"))
    response = as_user(alice).post(case_url(case, "message"), {"text": "Dear Sam, good news"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "The customer has no email address." in page and "Dear Sam, good news</textarea>" in page
    assert EventKind.MESSAGE_OUT not in kinds(case)


def test_resolve_without_a_root_cause_keeps_the_summary(as_user, alice):
    case = make_case(by=alice)
    response = as_user(alice).post(case_url(case, "resolve"), {"resolution_summary": "Refunded in full"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Refunded in full</textarea>" in page
    assert "This field is required." in field_html(page, "id_resolve_root_cause")


def test_a_colleague_who_may_not_change_the_case_gets_403_with_the_reason(as_user, alice, bob):
    case = make_case(by=alice)
    response = as_user(bob).post(case_url(case, "handover"), {"to": "bob", "reason": "I will take it from here"})
    assert response.status_code == 403
    assert "Only the owner, their team lead or a manager can change this case." in response.content.decode()
    case.refresh_from_db()
    assert case.owner == alice


def test_an_action_not_allowed_in_the_status_is_409_and_says_so(as_user, alice):
    case = make_case(by=alice)
    response = as_user(alice).post(case_url(case, "reopen"), {"reason": "Try again"})
    assert response.status_code == 409
    assert "Cannot reopen while the status is &#x27;open&#x27;." in response.content.decode()


def test_escalating_twice_to_the_same_person_says_who(as_user, alice):
    case = make_case(by=alice)
    client = as_user(alice)
    client.post(case_url(case, "escalate"), {"level": "lead", "reason": "Needs you"})
    response = client.post(case_url(case, "escalate"), {"level": "lead", "reason": "Still needs you"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Already escalated to Lena." in page and "Still needs you</textarea>" in page


def test_keeping_a_promise_already_kept_is_409_with_the_reason_on_the_page(as_user, alice):
    case = make_case(by=alice)
    promise = promise_services.promise_make(
        case=case, by=alice, text="Refund", due_at=timezone.now() + timedelta(days=1)
    )
    promise_services.promise_keep(promise=promise, by=alice)
    response = as_user(alice).post(case_url(case, "keep"), {"promise": promise.pk})
    assert response.status_code == 409 and "the promise is already kept" in response.content.decode()


def test_a_reschedule_error_stays_with_its_promise_and_keeps_the_reason(as_user, alice):
    case = make_case(by=alice)
    promise = promise_services.promise_make(
        case=case, by=alice, text="Refund", due_at=timezone.now() + timedelta(days=1)
    )
    response = as_user(alice).post(
        case_url(case, "reschedule"), {"promise": promise.pk, "due_at": "", "reason": "Supplier delay"}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in field_html(page, f"id_reschedule{promise.pk}_due_at")
    assert 'value="Supplier delay"' in field_html(page, f"id_reschedule{promise.pk}_reason")


def test_htmx_errors_come_back_in_the_panel_with_what_was_typed(as_user, alice, bob):
    case = make_case(by=alice)
    response = as_user(alice).post(
        case_url(case, "handover"), {"to": "bob", "reason": "too short"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    # 200 so htmx swaps it in: the error is in the panel, next to the reason.
    assert response.status_code == 200 and body.startswith('<div id="case-panel">')
    assert "too short</textarea>" in body and "Give a reason of at least 15 characters." in body


# --- Issue 11: people by name, promises that cannot be forgotten -----------------------------------------


def visible_text(page: str) -> str:
    """What a person reads: the page without its tags (option values and ids are not shown)."""
    return re.sub(r"<[^>]+>", " ", page)


def test_staff_are_shown_by_display_name_never_by_username(as_user, alice, bob, lena, mona):
    for user, shown in ((alice, "Alice Liddell"), (bob, "Robert Brown"), (lena, "Lena Lead")):
        user.staff_profile.display_name = shown
        user.staff_profile.save()
    case = make_case()
    case_services.case_assign(case=case, to="alice", by=lena)
    case_services.case_add_note(case=case, by=bob, text="They called the shop")
    case_services.case_escalate(case=case, by=alice, level="lead", reason="Needs a refund approval")
    case_services.case_handover(case=case, to="bob", reason="Billing specialist on it", by=alice)
    page = as_user(mona).get(case_url(case)).content.decode()
    text = visible_text(page)
    for name in ("Alice Liddell", "Robert Brown", "Lena Lead"):
        assert name in text, name
    for username in ("alice", "bob", "lena"):
        assert not re.search(rf"\b{username}\b", text), username
    # Handover and escalation offer people by name, and the handover list leaves out the owner.
    handover = page[page.index('id="id_handover_to"') : page.index("</select>", page.index('id="id_handover_to"'))]
    assert ">Alice Liddell</option>" in handover and "Robert Brown" not in handover


def test_resolving_with_an_open_promise_is_refused_on_the_page_listing_it(as_user, alice):
    case = make_case(by=alice)
    promise_services.promise_make(case=case, by=alice, text="Refund the days", due_at=timezone.now() + timedelta(1))
    response = as_user(alice).post(case_url(case, "resolve"), {"resolution_summary": "Done", "root_cause": "process"})
    page = response.content.decode()
    assert response.status_code == 409 and "Settle the open promises first" in page and "Refund the days" in page
    assert "Done</textarea>" in page  # what was typed is kept
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_an_overdue_promise_is_marked_and_offers_keep_late_or_break(as_user, alice):
    case = make_case(by=alice)
    promise = promise_services.promise_make(
        case=case, by=alice, text="Call back", due_at=timezone.now() + timedelta(hours=3)
    )
    # Time passes: the promise's due time (and so the case's next one) is an hour ago; the beat flagged it.
    past = timezone.now() - timedelta(hours=1)
    Promise.objects.filter(pk=promise.pk).update(due_at=past, overdue_at=timezone.now())
    Case.objects.filter(pk=case.pk).update(next_promise_due_at=past)
    client = as_user(alice)
    page = client.get(case_url(case)).content.decode()
    assert "Overdue: keep it late, or break it and tell the customer" in page
    assert case_url(case, "break") in page and "Kept it" in page
    mine = client.get(reverse("complaints:my-cases")).content.decode()
    assert mine.count("Promise overdue") == 1 and "keep it late" not in mine  # said once on the row: the flag
    assert "<strong>1</strong> promises overdue" in mine
    broken = client.post(case_url(case, "break"), {"promise": promise.pk, "reason": "No engineer free today"})
    assert broken.status_code == 302
    promise.refresh_from_db()
    assert promise.status == PromiseStatus.BROKEN
    assert OutboundEmail.objects.get(key=f"promise:{promise.pk}:broken").to_email == case.customer.email


def test_the_first_reply_promise_is_on_the_case_page(as_user, alice):
    case = make_case()
    page = as_user(alice).get(case_url(case)).content.decode()
    assert "Our first reply to your complaint" in page and "promised by us, to every new complaint" in page


def test_a_person_escalated_to_writes_and_promises_from_the_page(as_user, alice, lena):
    case = make_case(by=alice)
    case_services.case_escalate(case=case, by=alice, level="lead", reason="Needs approval")
    client = as_user(lena)
    page = client.get(case_url(case)).content.decode()
    assert case_url(case, "message") in page and case_url(case, "promise") in page
    client.post(case_url(case, "message"), {"text": "I approved the refund."})
    assert case.events.filter(kind=EventKind.MESSAGE_OUT, actor=lena).exists()
    case.refresh_from_db()
    assert case.owner == alice


def test_making_a_promise_on_the_page_tells_the_customer_by_default(as_user, alice):
    case = make_case(by=alice)
    client = as_user(alice)
    page = client.get(case_url(case)).content.decode()
    assert re.search(r'name="tell_customer"[^>]*checked', page)
    due = local_input(timezone.now() + timedelta(days=1))
    client.post(case_url(case, "promise"), {"text": "Engineer visit", "due_at": due, "tell_customer": "on"})
    client.post(case_url(case, "promise"), {"text": "Check the line quietly", "due_at": due})
    told = OutboundEmail.objects.filter(key__endswith=":made", to_email=case.customer.email)
    assert [email.body_text.count("Engineer visit") > 0 for email in told] == [True]


# --- Issue 15: the conversation first, the composer under it, each action confirmed where it changed -----------


def item(page: str, event) -> str:
    """The markup of one item of the conversation, by its event."""
    start = page.index(f'<li id="event-{event.pk}"')
    return page[start : page.index("</li>", start)]


def test_the_conversation_runs_oldest_first_with_the_composer_under_the_newest(as_user, alice):
    case = make_case(customer=CustomerFactory(full_name="Margaret Thomas"), description="The router died on Friday.")
    case_services.case_take(case=case, agent=alice)
    ours = case_services.case_send_message(case=case, by=alice, text="A new router is on its way.")
    theirs = intake_services.case_receive_message(case=case, text="It came, thank you.")
    note = case_services.case_add_note(case=case, by=alice, text="Check the line next week.")
    page = as_user(alice).get(case_url(case)).content.decode()
    main = page[page.index('class="case-main"') : page.index('class="case-side"')]
    order = [
        main.index("The router died on Friday."),
        main.index("A new router is on its way."),
        main.index("It came, thank you."),
        main.index("Check the line next week."),
        main.index(f'action="{case_url(case, "message")}"'),  # the composer, under the newest
    ]
    assert order == sorted(order)
    # Each says who and when; the customer's complaint opens it, in their name.
    created = case.events.get(kind=EventKind.CREATED)
    assert "<strong>Margaret Thomas</strong>" in item(page, created) and "complained on the web" in item(page, created)
    assert "<strong>Alice</strong>" in item(page, ours) and "wrote to the customer" in item(page, ours)
    assert "<strong>Margaret Thomas</strong>" in item(page, theirs) and "on their status page" in item(page, theirs)
    for said in (created, ours, theirs, note):
        assert "<time datetime=" in item(page, said)
    # What happened to the case is a compact line, not a message.
    taken = case.events.get(kind=EventKind.TAKEN)
    assert 'class="event event-taken"' in item(page, taken)
    # The actions are beside the conversation, not in it.
    side = page[page.index('class="case-side"') :]
    assert case_url(case, "handover") in side and case_url(case, "handover") not in main


def test_a_note_is_set_apart_and_says_it_is_not_sent(as_user, alice):
    case = make_case(by=alice)
    note = case_services.case_add_note(case=case, by=alice, text="Customer sounded upset")
    message = case_services.case_send_message(case=case, by=alice, text="We are sorry")
    page = as_user(alice).get(case_url(case)).content.decode()
    assert 'class="msg note event-note"' in item(page, note)
    assert "Internal note — not sent to the customer" in item(page, note)
    assert 'class="msg from-us event-message_out"' in item(page, message)
    assert "not sent to the customer" not in item(page, message)


def test_the_message_preview_shows_the_greeting_and_signature_the_email_adds(as_user, alice):
    alice.staff_profile.display_name = "Alice Liddell"
    alice.staff_profile.save()
    customer = CustomerFactory(full_name="Margaret Anne Thomas", title="Ms", formal_name="Thomas")
    case = make_case(by=alice, customer=customer)
    client = as_user(alice)
    page = client.get(case_url(case)).content.decode()
    composer = page[page.index('id="action-message"') : page.index("</form>", page.index('id="action-message"'))]
    greeting = re.search(r'<p class="email-greeting">([^<]*)</p>', composer).group(1)
    signature = re.search(r'<p class="email-signature">([^<]*)</p>', composer).group(1)
    assert greeting == "Dear Ms Thomas,"
    assert signature.startswith("Alice Liddell\n")
    # Around the box the words are typed in: the greeting before, the signature after.
    assert composer.index(greeting) < composer.index('<textarea name="text"') < composer.index(signature)
    assert case.public_token not in page  # the customer's private link stays out of staff's sight

    client.post(case_url(case, "message"), {"text": "Your refund is on its way."})
    email = OutboundEmail.objects.get(key__startswith=f"case:{case.pk}:message:")
    sent = signature.replace(emails.PRIVATE_LINK_SHOWN, emails.status_url(case))
    assert email.body_text.strip() == f"{greeting}\n\nYour refund is on its way.\n\n{sent}"


@pytest.mark.parametrize(
    ("action", "data", "changed", "said"),
    [
        ("note", {"text": "Called them back"}, None, "Note added. Only staff can read it."),
        ("message", {"text": "We are on it"}, None, "Message sent to Margaret Thomas by email."),
        ("promise", {"text": "Refund", "due_at": "2099-01-01T10:00"}, "promises", "Promise made."),
        (
            "escalate",
            {"level": "lead", "reason": "Needs approval"},
            "case-details",
            "Escalated; Alice stays the owner.",
        ),
        ("handover", {"to": "bob", "reason": "Bob knows billing best"}, "case-header", "Handed over to Bob;"),
    ],
)
def test_an_htmx_action_swaps_the_panel_says_so_and_focuses_what_changed(
    as_user, alice, bob, action, data, changed, said
):
    case = make_case(by=alice, customer=CustomerFactory(full_name="Margaret Thomas"))
    response = as_user(alice).post(case_url(case, action), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.startswith('<div id="case-panel">') and "<html" not in body
    assert re.search(rf'<p class="message confirmation" role="status">{re.escape(said)}', body)
    # htmx focuses the one element with autofocus in what it swaps in: the part the action changed.
    assert body.count("autofocus") == 1
    if changed is None:  # the new item of the conversation
        added = case.events.filter(kind__in=[EventKind.NOTE, EventKind.MESSAGE_OUT]).get()
        assert f'<li id="event-{added.pk}" class="msg ' in body
        assert 'tabindex="-1" autofocus' in item(body, added)
        # ...with the confirmation right under it, above the composer.
        assert body.index(f'id="event-{added.pk}"') < body.index('role="status"') < body.index('id="composer"')
    else:
        assert re.search(rf'id="{changed}"[^>]* tabindex="-1" autofocus', body)


def test_without_javascript_the_page_says_it_at_the_top_and_opens_at_the_change(as_user, alice):
    case = make_case(by=alice)
    client = as_user(alice)
    response = client.post(case_url(case, "promise"), {"text": "Refund", "due_at": "2099-01-01T10:00"})
    assert response.status_code == 302 and response.url == case_url(case) + "#promises"
    page = client.get(response.url).content.decode()
    status = page[page.index('role="status"') :]
    assert '<li class="message success">Promise made.</li>' in status[: status.index("</ul>")]
    assert "autofocus" not in page  # a page the browser opens keeps its focus where it starts


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("action", "typed", "error"),
    [
        ("note", "   ", "This field is required."),
        ("message", "", "This field is required."),
        ("note", "n" * 20_001, "Ensure this value has at most 20000 characters (it has 20001)."),
        ("message", "m" * 20_001, "Ensure this value has at most 20000 characters (it has 20001)."),
    ],
)
def test_an_empty_or_too_long_text_comes_back_with_the_error_and_what_was_typed(
    as_user, alice, htmx, action, typed, error
):
    case = make_case(by=alice)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = as_user(alice).post(case_url(case, action), {"text": typed}, **headers)
    page = response.content.decode()
    # htmx swaps only a 2xx answer; without it the page is the answer, a 400.
    assert response.status_code == (200 if htmx else 400)
    assert page.startswith('<div id="case-panel">') == htmx
    field = f"id_{action}_text"
    textarea = re.search(rf'<textarea [^>]*id="{field}">\n?(.*?)</textarea>', page, re.S)
    assert textarea.group(1) == typed and "autofocus" in textarea.group(0)
    assert error in page[page.index(f'id="{field}"') :]
    if action == "note":
        assert '<details id="action-note" class="note-composer" open>' in page
    assert not case.events.filter(kind__in=[EventKind.NOTE, EventKind.MESSAGE_OUT]).exists()


def test_the_side_panel_lists_the_customers_other_cases(as_user, alice):
    customer = CustomerFactory()
    case = make_case(by=alice, customer=customer)
    other = make_case(by=alice, customer=customer, subject="Second bill wrong")
    make_case(by=alice, subject="Someone else's")
    page = as_user(alice).get(case_url(case)).content.decode()
    side = page[page.index('id="customer"') :]
    assert f">{other.reference}</a> Second bill wrong" in side and "Someone else" not in side
    assert f">{case.reference}</a>" not in side


def test_the_case_page_costs_the_same_queries_for_3_events_and_for_30(as_user, alice, django_assert_num_queries):
    def case_with(events: int):
        case = make_case(customer=CustomerFactory())
        case_services.case_take(case=case, agent=alice)  # created, first-reply promise made, taken: 3
        for n in range(events - 3):
            if n % 3 == 0:
                case_services.case_add_note(case=case, by=alice, text=f"Note {n}")
            elif n % 3 == 1:
                intake_services.case_receive_message(case=case, text=f"Customer {n}")
            else:
                case_services.case_send_message(case=case, by=alice, text=f"Ours {n}")
        return case

    small, large = case_with(3), case_with(30)
    assert small.events.count() == 3 and large.events.count() >= 30
    client = as_user(alice)
    client.get(case_url(small))  # the session settles
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(case_url(small)).status_code == 200
    with django_assert_num_queries(len(baseline.captured_queries)):
        assert client.get(case_url(large)).status_code == 200


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("action", "data", "kept"),
    [
        ("promise", {"text": "Refund by Friday", "due_at": ""}, 'value="Refund by Friday"'),
        ("escalate", {"level": "", "to": "", "reason": "Needs a decision"}, "Needs a decision</textarea>"),
        ("handover", {"to": "", "reason": "Bob knows billing best"}, "Bob knows billing best</textarea>"),
        ("resolve", {"resolution_summary": "Refunded in full", "root_cause": ""}, "Refunded in full</textarea>"),
        ("reopen", {"reason": "r" * 2_001}, f'value="{"r" * 2_001}"'),
        ("reschedule", {"due_at": "", "reason": "Supplier delay"}, 'value="Supplier delay"'),
        ("withdraw", {"reason": "w" * 2_001}, f'value="{"w" * 2_001}"'),
        ("break", {"reason": "b" * 2_001}, f'value="{"b" * 2_001}"'),
    ],
)
def test_every_action_refused_comes_back_with_what_was_typed_focused(as_user, alice, htmx, action, data, kept):
    case = make_case(by=alice)
    promise = promise_services.promise_make(case=case, by=alice, text="Call", due_at=timezone.now() + timedelta(1))
    if action in ("reschedule", "withdraw", "break"):
        data = data | {"promise": promise.pk}
    if action == "reopen":
        promise_services.promise_keep(promise=promise, by=alice)
        resolution.case_resolve(case=case, by=alice, resolution_summary="Fixed", root_cause="system")
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = as_user(alice).post(case_url(case, action), data, **headers)
    page = response.content.decode()
    assert response.status_code == (200 if htmx else 400)  # htmx swaps only a 200; a page answers 400
    assert kept in page
    # The field to fix (or, for a refusal of the whole form, its first field) is focused, typed text and all.
    assert page.count(" autofocus") == 1
    assert re.search(r"<(input|textarea|select)[^>]* autofocus", page)
