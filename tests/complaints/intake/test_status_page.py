"""The customer's status page and its JSON twin: only their case, only what is theirs to see."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from complaints.intake.customer_actions import when
from complaints.models import Case, CaseStatus, Collaborator, EventKind
from complaints.promises import services as promise_services
from crm.models import OutboundEmail
from tests.complaints.factories import make_case
from tests.html_page import by_id, label_of, parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(case, alice):
    """The intake tests' case, with a promise the page shows."""
    promise_services.promise_make(case=case, by=alice, text="Engineer visit", due_at=timezone.now() + timedelta(days=2))
    return Case.objects.get(pk=case.pk)


def status_url(case, action=None):
    if action:
        return reverse("case-status-action", args=[case.public_token, action])
    return reverse("case-status", args=[case.public_token])


def test_status_page_shows_status_owner_first_name_promises_and_messages_but_no_notes(client, case):
    page = client.get(status_url(case)).content.decode()
    assert case.reference in page and "Waiting on customer" in page and "Alice looks after your case" in page
    assert "Engineer visit" in page and "We are sending an engineer." in page
    assert "INTERNAL" not in page


def test_json_status_has_the_same_and_no_more(api, case):
    body = api.get(f"/api/v1/public/cases/{case.public_token}/").json()
    assert body["reference"] == case.reference and body["owner_first_name"] == "Alice"
    assert [m["text"] for m in body["messages"]] == ["We are sending an engineer."]
    assert "INTERNAL" not in str(body) and case.customer.email not in str(body)


@pytest.mark.parametrize("token", ["nope", "x" * 200, "GD-000001"])
def test_unknown_tokens_are_a_plain_404(client, api, token):
    assert client.get(f"/status/{token}/").status_code == 404
    response = api.get(f"/api/v1/public/cases/{token}/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found.", "errors": {}}


def test_customer_reply_reopens_a_waiting_case_and_tells_the_owner(client, case, alice):
    response = client.post(status_url(case, "reply"), {"reply-text": "Tuesday works for me."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.awaiting_reply_since is not None
    event = case.events.get(kind=EventKind.MESSAGE_IN)
    assert event.actor_kind == "customer" and event.data["text"] == "Tuesday works for me."
    assert OutboundEmail.objects.get(key=f"case:{case.pk}:customer-message:{event.pk}").to_email == alice.email


def test_an_empty_reply_shows_an_error_and_keeps_nothing(client, case):
    response = client.post(status_url(case, "reply"), {"reply-text": "   "})
    assert response.status_code == 400
    assert not case.events.filter(kind=EventKind.MESSAGE_IN).exists()


def test_rate_a_resolved_case_once_thanked_and_shown(client, resolved):
    case = resolved
    done = client.post(status_url(case, "rate"), {"rate-score": "5", "rate-comment": "Brilliant"}, follow=True)
    page = done.content.decode()
    assert "Thank you for rating us 5 out of 5" in page and "You rated us 5 out of 5: “Brilliant”" in page
    assert 'action="/status/' + case.public_token + '/rate/"' not in page  # the form is gone once rated
    again = client.post(status_url(case, "rate"), {"rate-score": "1"})
    assert again.status_code == 409 and "already rated" in again.content.decode()
    [rating] = case.events.filter(kind=EventKind.RATED)
    assert rating.data == {"score": 5, "comment": "Brilliant"}


def test_the_rating_is_a_fieldset_whose_legend_asks_and_each_option_is_labelled_in_words(client, resolved):
    page = parse(client.get(status_url(resolved)).content)
    radios = page.find_all("input", type="radio", name="rate-score")
    fieldset = radios[0].closest("fieldset")
    assert fieldset.find("legend").text == "How did we do? (5 is best)"
    labels = [label_of(page, radio).text for radio in radios]
    assert labels == ["5 (excellent)", "4 (good)", "3 (all right)", "2 (poor)", "1 (very poor)"]
    assert all(radio.closest("fieldset") is fieldset for radio in radios)
    # Sent without a choice: the error is said in the fieldset, tied to it, and the summary leads to the first option.
    page = parse(client.post(status_url(resolved, "rate"), {"rate-comment": "Quick"}).content)
    fieldset = page.find("input", name="rate-score").closest("fieldset")
    assert fieldset.get("aria-describedby") == "id_rate-score_error"
    assert by_id(page, "id_rate-score_error").text == "This field is required."
    assert [a.get("href") for a in page.find(class_="error-summary").find_all("a")] == ["#id_rate-score_0"]
    assert page.find("textarea", name="rate-comment").text == "Quick"


def test_rating_an_open_case_is_refused(client, case):
    assert client.post(status_url(case, "rate"), {"rate-score": "4"}).status_code == 409


def test_the_status_page_shows_how_the_case_was_resolved_and_until_when_it_can_be_reopened(client, resolved):
    page = client.get(status_url(resolved)).content.decode()
    assert "How we resolved it" in page and "Alice resolved your case" in page and "Line fixed" in page
    assert "You can reopen your case until" in page and "It is not fixed: reopen my case" in page


def test_reopen_within_the_window_goes_back_to_the_same_owner_who_answers_by_a_time(client, resolved, alice):
    case = resolved
    done = client.post(status_url(case, "reopen"), {"reopen-reason": "It dropped again"}, follow=True)
    case.refresh_from_db()
    assert (case.status, case.owner) == (CaseStatus.OPEN, alice)
    assert case.events.get(kind=EventKind.REOPENED).actor_kind == "customer"
    answer = case.promises.open().get(kind="reply")
    assert f"Your case is open again. Alice will answer you by {when(answer.due_at)}." in done.content.decode()
    # The owner is told at once, with the reason and the time they must answer by.
    email = OutboundEmail.objects.get(key__contains="reopened")
    assert email.to_email == alice.email and "It dropped again" in email.body_text


def test_reopen_after_the_window_is_refused_with_advice(client, resolved):
    case = resolved
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(days=31))
    assert "tell us as a new complaint" in client.get(status_url(case)).content.decode()
    response = client.post(status_url(case, "reopen"), {"reopen-reason": "It dropped again"})
    assert response.status_code == 409 and "new complaint" in response.content.decode()


def test_a_reply_is_confirmed_on_the_page(client, case):
    done = client.post(status_url(case, "reply"), {"reply-text": "Tuesday works for me."}, follow=True)
    assert "Thank you, your message is on your case. Alice will read it." in done.content.decode()


def test_asking_for_a_manager_is_recorded_and_the_lead_is_told(client, case, lena, alice):
    done = client.post(status_url(case, "escalate"), {"escalate-reason": "Third time"}, follow=True)
    answer = case.promises.open().get(kind="reply", made_by=lena)
    page = done.content.decode()
    assert f"Lena has joined your case and will answer you by {when(answer.due_at)}." in page
    assert "A reply from Lena" in page  # the promise, on the page with the others
    event = case.events.get(kind=EventKind.ESCALATED)
    assert (event.actor_kind, event.data["to"], event.data["reason"]) == ("customer", "lena", "Third time")
    assert Collaborator.objects.filter(case=case, user=lena).exists()
    case.refresh_from_db()
    assert case.owner == alice
    assert OutboundEmail.objects.get(key=f"case:{case.pk}:customer-escalation:{event.pk}").to_email == lena.email


def test_status_pages_are_not_cached(client, case):
    assert "no-cache" in client.get(status_url(case))["Cache-Control"]


@pytest.fixture
def closed_long_ago(resolved):
    case = resolved
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, resolved_at=timezone.now() - timedelta(days=40))
    return Case.objects.get(pk=case.pk)


def test_asking_for_a_manager_again_emails_nobody_and_says_who_is_already_on_the_case(client, case, lena):
    assert client.post(status_url(case, "escalate"), {"escalate-reason": "Third time"}).status_code == 302
    for _ in range(4):
        again = client.post(status_url(case, "escalate"), {"escalate-reason": "I want a manager now"})
        assert again.status_code == 409 and "already on your case" in again.content.decode()
    assert OutboundEmail.objects.filter(key__contains="customer-escalation").count() == 1
    assert case.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_a_closed_case_cannot_ask_for_a_manager_nor_take_a_reply_after_the_window(client, closed_long_ago):
    case = closed_long_ago
    before = OutboundEmail.objects.count()
    escalate = client.post(status_url(case, "escalate"), {"escalate-reason": "I want a manager now"})
    reply = client.post(status_url(case, "reply"), {"reply-text": "reply after close"})
    assert escalate.status_code == reply.status_code == 409
    assert "new complaint" in reply.content.decode() and "reopen it first" in escalate.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and OutboundEmail.objects.count() == before
    assert not case.events.filter(kind__in=[EventKind.MESSAGE_IN, EventKind.ESCALATED]).exists()


def test_a_reply_on_a_recently_resolved_case_reopens_it_for_the_owner(client, resolved, alice):
    case = resolved
    assert client.post(status_url(case, "reply"), {"reply-text": "It is not fixed."}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.owner) == (CaseStatus.OPEN, alice)
    assert case.events.filter(kind=EventKind.REOPENED, actor_kind="customer").count() == 1


def test_status_page_actions_are_limited_per_link_with_retry_after(client, case, settings):
    cache.clear()
    for n in range(10):
        response = client.post(status_url(case, "reply"), {"reply-text": f"Message {n}"}, REMOTE_ADDR=f"10.1.0.{n}")
        assert response.status_code == 302
    refused = client.post(status_url(case, "reply"), {"reply-text": "one more"}, REMOTE_ADDR="10.1.1.1")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert case.events.filter(kind=EventKind.MESSAGE_IN).count() == 10


def test_status_page_actions_are_limited_per_address_across_links(client, alice):
    cache.clear()
    cases = [make_case(by=alice) for _ in range(4)]
    codes = [
        client.post(status_url(case, "reply"), {"reply-text": "hello"}, REMOTE_ADDR="10.2.0.1").status_code
        for case in cases
        for _ in range(8)
    ]
    assert codes.count(302) == 30 and codes[-1] == 429


def test_a_new_complaint_shows_the_first_reply_we_promised(client):
    case = make_case()
    promise = case.promises.get(kind="reply")
    page = client.get(status_url(case)).content.decode()
    assert "Our first reply to your complaint" in page
    assert "Your case is waiting for the first member of our team" in page
    assert (
        promise.due_at.isoformat().replace("+00:00", "Z")
        in client.get(f"/api/v1/public/cases/{case.public_token}/").content.decode()
    )
