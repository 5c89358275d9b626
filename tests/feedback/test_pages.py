"""The suggestion pages as staff, managers and executives use them: board, submit (from a case too), the
suggestion page and its actions, the review queue's one-click decisions, policy pages; names kept back when
the author asks, everything typed escaped, lists at a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.models import Policy, Suggestion, SuggestionStatus
from feedback.suggestions import services
from tests.complaints.conftest import ESCAPED, XSS, case_url
from tests.complaints.factories import make_case
from tests.feedback.factories import DECISION, make_suggestion

pytestmark = pytest.mark.django_db
BOARD, REVIEW, SUBMIT = reverse("feedback:board"), reverse("feedback:review"), reverse("feedback:submit")


def page_of(client, url, **query):
    return client.get(url, query).content.decode()


def action(suggestion, name):
    return reverse("feedback:action", args=[suggestion.pk, name])


def visible_text(page):
    return re.sub(r"<[^>]+>", " ", page)


def test_a_case_page_offers_a_suggestion_that_names_the_case(as_user, alice, refunds):
    case = make_case(by=alice)
    client = as_user(alice)
    page = page_of(client, case_url(case))
    link = f"{SUBMIT}?case={case.reference}"
    assert link in page and "Suggest a change from this case" in page
    form = page_of(client, link)
    assert f'value="{case.reference}"' in form
    response = client.post(
        link,
        {
            "policy": refunds.pk,
            "problem": "Refunds wait three weeks.",
            "proposal": "Refund on the first call.",
            "expected_benefit": "Fewer calls.",
            "cases": case.reference,
            "show_name": "on",
        },
    )
    suggestion = Suggestion.objects.get()
    assert response.status_code == 302 and response.url == reverse("feedback:suggestion", args=[suggestion.pk])
    assert list(suggestion.cases.all()) == [case]
    assert f"#{suggestion.pk}" in page_of(client, case_url(case))  # the case page lists it now


def test_a_refused_submission_keeps_what_was_typed_next_to_the_reason(as_user, alice):
    response = as_user(alice).post(SUBMIT, {"problem": "Long queue", "proposal": "", "cases": "GD-999999"})
    page = response.content.decode()
    assert response.status_code == 400 and "Long queue</textarea>" in page
    assert not Suggestion.objects.exists()
    refused = as_user(alice).post(
        SUBMIT,
        {
            "subject": "Queue",
            "problem": "Long queue",
            "proposal": "More staff",
            "expected_benefit": "x",
            "cases": "GD-999999",
        },
    )
    assert refused.status_code == 400 and "No case GD-999999 that you can see." in refused.content.decode()


def test_the_board_filters_and_marks_what_is_overdue(as_user, alice, bob, refunds):
    mine = make_suggestion(author=alice, policy=refunds, subject="Mine to see")
    theirs = make_suggestion(author=bob, subject="Hold music")
    Suggestion.objects.filter(pk=theirs.pk).update(decision_due_at=timezone.now() - timedelta(days=1))
    client = as_user(alice)
    board = page_of(client, BOARD)
    assert "Mine to see" in board and "Hold music" in board and "overdue" in board
    only_mine = page_of(client, BOARD, mine="on")
    assert "Mine to see" in only_mine and "Hold music" not in only_mine
    overdue = page_of(client, BOARD, overdue="on")
    assert "Hold music" in overdue and "Mine to see" not in overdue
    assert "Mine to see" in page_of(client, BOARD, policy=refunds.pk)
    assert client.get(BOARD, {"policy": "not-a-number"}).status_code == 200  # an unreadable filter is ignored
    assert f"#{mine.pk}" in page_of(client, reverse("feedback:mine"))


def test_colleagues_see_a_colleague_where_the_author_chose_so(as_user, alice, bob, mona, refunds):
    suggestion = make_suggestion(author=alice, policy=refunds, show_name=False, subject="Quiet one")
    services.suggestion_comment(suggestion=suggestion, by=alice, text="More detail from me.")
    services.suggestion_edit(suggestion=suggestion, by=alice, proposal="A better proposal.")
    url = reverse("feedback:suggestion", args=[suggestion.pk])
    for page in (page_of(as_user(bob), url), page_of(as_user(bob), BOARD)):
        text = visible_text(page)
        assert "a colleague" in text and "Alice" not in text
    assert "Alice" in visible_text(page_of(as_user(mona), url))


def test_endorse_comment_and_link_a_case_from_the_page(as_user, alice, bob, suggestion):
    client = as_user(bob)
    url = reverse("feedback:suggestion", args=[suggestion.pk])
    assert action(suggestion, "endorse") in page_of(client, url)
    assert client.post(action(suggestion, "endorse")).status_code == 302
    page = page_of(client, url)
    assert action(suggestion, "unendorse") in page and "Endorsements (1)" in page
    client.post(action(suggestion, "comment"), {"text": f"Seen it {XSS}"})
    case = make_case(by=bob)
    client.post(action(suggestion, "link-case"), {"reference": case.reference})
    page = page_of(client, url)
    assert ESCAPED in page and XSS not in page and case.reference in page
    # The author is not offered to endorse their own.
    assert action(suggestion, "endorse") not in page_of(as_user(alice), url)


def test_a_second_endorsement_is_refused_with_the_reason_shown(as_user, bob, suggestion):
    client = as_user(bob)
    client.post(action(suggestion, "endorse"))
    again = client.post(action(suggestion, "endorse"), follow=True)
    assert "You have already endorsed this suggestion." in again.content.decode()


def test_only_managers_are_offered_and_allowed_to_decide(as_user, alice, lena, mona, suggestion):
    url = reverse("feedback:suggestion", args=[suggestion.pk])
    assert action(suggestion, "decide") not in page_of(as_user(lena), url)
    refused = as_user(lena).post(action(suggestion, "decide"), {"status": "accepted", "decision": DECISION})
    assert refused.status_code == 403 and "Only managers decide" in refused.content.decode()
    assert action(suggestion, "decide") in page_of(as_user(mona), url)
    short = as_user(mona).post(action(suggestion, "decide"), {"status": "declined", "decision": "Not now."})
    page = short.content.decode()
    assert short.status_code == 400 and "at least 30 characters" in page and "Not now.</textarea>" in page
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.SUBMITTED
    assert as_user(alice).get(REVIEW).status_code == 403


def test_the_review_queue_decides_in_one_click_nearest_due_first(as_user, alice, bob, mona, refunds):
    later = make_suggestion(author=alice, policy=refunds, subject="Later one")
    sooner = make_suggestion(author=bob, policy=refunds, subject="Sooner one")
    Suggestion.objects.filter(pk=sooner.pk).update(decision_due_at=timezone.now() + timedelta(days=2))
    services.suggestion_endorse(suggestion=later, by=bob)
    client = as_user(mona)
    queue = page_of(client, REVIEW)
    assert queue.index("Sooner one") < queue.index("Later one")
    assert "1</strong> endorsement" in queue and "case" in queue
    response = client.post(action(later, "decide"), {"status": "accepted", "decision": DECISION, "next": "review"})
    assert response.status_code == 302 and response.url == REVIEW
    later.refresh_from_db()
    assert later.status == SuggestionStatus.ACCEPTED
    refused = client.post(action(sooner, "decide"), {"status": "declined", "decision": "no", "next": "review"})
    assert refused.status_code == 400 and "at least 30 characters" in refused.content.decode()
    assert "Later one" not in refused.content.decode()  # decided: gone from the queue


def test_an_implemented_suggestion_shows_complaints_before_and_after(as_user, alice, mona, suggestion, billing):
    services.suggestion_decide(suggestion=suggestion, by=mona, status="accepted", decision=DECISION)
    services.suggestion_mark_implemented(suggestion=suggestion, by=mona, on=timezone.localdate())
    page = page_of(as_user(alice), reverse("feedback:suggestion", args=[suggestion.pk]))
    assert "Did it work?" in page and "<svg" in page and "no whole week after yet" in page


def test_policy_pages_and_only_managers_keep_policies(as_user, alice, mona, refunds, billing):
    client = as_user(alice)
    assert refunds.name in page_of(client, reverse("feedback:policies"))
    detail = page_of(client, reverse("feedback:policy", args=[refunds.pk]))
    assert "Complaints per week" in detail and "<svg" in detail and "Billing" in detail
    assert client.get(reverse("feedback:policy-new")).status_code == 403
    manager = as_user(mona)
    created = manager.post(
        reverse("feedback:policy-new"),
        {
            "name": "Cancellation terms",
            "manager": "mona",
            "categories": [billing.pk],
            "root_causes": ["policy"],
            "active": "on",
        },
    )
    policy = Policy.objects.get(name="Cancellation terms")
    assert created.status_code == 302 and list(policy.categories.all()) == [billing]
    taken = manager.post(reverse("feedback:policy-new"), {"name": "Cancellation terms", "manager": "mona"})
    assert taken.status_code == 400 and "Another policy has this name." in taken.content.decode()


def test_the_nav_offers_suggestions_to_everyone_and_decisions_to_managers(as_user, alice, mona):
    home = reverse("complaints:my-cases")
    assert BOARD in page_of(as_user(alice), home) and REVIEW not in page_of(as_user(alice), home)
    assert REVIEW in page_of(as_user(mona), home)


@pytest.mark.parametrize("url", [BOARD, REVIEW])
def test_board_and_review_do_not_grow_queries_with_rows(
    as_user, alice, bob, mona, refunds, url, django_assert_max_num_queries
):
    client = as_user(mona)
    make_suggestion(author=alice, policy=refunds, cases=[make_case(by=alice).reference])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(10):
        s = make_suggestion(author=bob if n % 2 else alice, policy=refunds, cases=[make_case(by=alice).reference])
        services.suggestion_endorse(suggestion=s, by=mona)
    with django_assert_max_num_queries(len(one)):
        page = page_of(client, url)
    assert page.count(reverse("feedback:suggestion", args=[s.pk])) >= 1


def test_pages_need_a_staff_login(client, db, django_user_model, suggestion):
    for url in (BOARD, REVIEW, SUBMIT, reverse("feedback:suggestion", args=[suggestion.pk])):
        assert client.get(url).status_code == 302
    client.force_login(django_user_model.objects.create_user("visitor"))
    assert client.get(BOARD).status_code == 403
