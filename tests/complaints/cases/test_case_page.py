"""The case page: what it shows, and each action form through its service, on success and on error."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.cases import services as case_services
from complaints.models import Case, CaseEvent, CaseStatus, Collaborator, EventKind, Promise, PromiseStatus
from complaints.promises import services as promise_services
from crm.models import OutboundEmail
from tests.complaints.conftest import ESCAPED, XSS, case_url
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def local_input(moment: datetime) -> str:
    """What a datetime-local input sends for `moment`, in the site's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


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
    assert response.url == case_url(case) + "?order=newest"


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
    assert "Overdue" in page or "overdue" in page
    assert case_url(case, "break") in page and "Kept it" in page
    mine = client.get(reverse("complaints:my-cases")).content.decode()
    assert "overdue: keep it late, or break it and tell the customer" in mine
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
