"""The recognition pages as staff, leads and customers use them: the board with its balance, filters and kudos
in place; telling a story from a case; moderating; the public compliment form and the status page's "thank
them"; who has not been recognised; everything typed comes back as text; lists at a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from complaints.cases import services as case_services
from complaints.resolution import services as resolution_services
from crm.models import OutboundEmail
from recognition.models import Story, StoryStatus
from recognition.stories import services
from tests.complaints.conftest import case_url
from tests.complaints.factories import make_case
from tests.html_page import parse
from tests.recognition.factories import published, tell
from tests.recognition.xss import PAYLOADS

pytestmark = pytest.mark.django_db
BOARD, NOMINATE, MODERATE, PRAISE = (
    reverse("recognition:board"),
    reverse("recognition:nominate"),
    reverse("recognition:moderate"),
    reverse("praise"),
)


def page_of(client, url, **query):
    return client.get(url, query).content.decode()


def test_the_board_shows_stories_the_balance_and_nudges_when_recoveries_dominate(as_user, alice, bob, charlie, lena):
    for _ in range(3):
        published(charlie, [alice], moderator=lena, kind="recovery", story="Fixed the broken router fast.")
    published(alice, [charlie], moderator=lena, kind="delight", story="Sang happy birthday to a customer.")
    page = page_of(as_user(bob), BOARD)
    assert "Fixed the broken router fast." in page and "Sang happy birthday to a customer." in page
    assert "<strong>1</strong> delight, <strong>3</strong> recovery" in page and "Most stories are recoveries" in page
    assert "mostly recoveries: look for delight" in page  # Team North
    delight_only = page_of(as_user(bob), BOARD, kind="delight")
    assert "Sang happy birthday" in delight_only and "broken router" not in delight_only
    alice_only = page_of(as_user(bob), BOARD, person="charlie")
    assert "Sang happy birthday" in alice_only and "broken router" not in alice_only
    assert as_user(bob).get(BOARD, {"team": "x", "period": "century"}).status_code == 200


def test_a_published_story_counts_in_the_balance_at_once(
    as_user, api_as, alice, bob, charlie, lena, django_capture_on_commit_callbacks
):
    # The balance is cached for everyone (the page's section and the API); publishing must not wait for it.
    published(charlie, [alice], moderator=lena, kind="delight")
    assert "<strong>1</strong> delight, <strong>0</strong> recovery" in page_of(as_user(bob), BOARD)
    assert api_as(bob).get("/api/v1/board/balance/").json()["overall"]["recovery"] == 0
    story = tell(charlie, [alice], kind="recovery")
    with django_capture_on_commit_callbacks(execute=True):
        services.story_publish(story=story, by=lena)
    assert "<strong>1</strong> delight, <strong>1</strong> recovery" in page_of(as_user(bob), BOARD)
    assert api_as(bob).get("/api/v1/board/balance/").json()["overall"]["recovery"] == 1


def test_kudos_in_place_with_htmx(as_user, alice, bob, charlie, lena):
    story = published(charlie, [alice], moderator=lena)
    kudos_url = reverse("recognition:kudos", args=[story.pk])
    board = page_of(as_user(bob), BOARD)
    assert f'hx-post="{kudos_url}"' in board
    assert f'hx-post="{kudos_url}"' not in page_of(as_user(alice), BOARD)  # not on a story about oneself
    given = as_user(bob).post(kudos_url, HTTP_HX_REQUEST="true").content.decode()
    assert given.startswith(f'<span id="kudos-{story.pk}"') and "Kudos given" in given and "<strong>1</strong>" in given
    taken_back = as_user(bob).post(kudos_url, HTTP_HX_REQUEST="true").content.decode()
    assert "Give kudos" in taken_back and "<strong>0</strong>" in taken_back
    refused = as_user(alice).post(kudos_url, HTTP_HX_REQUEST="true").content.decode()
    assert "Kudos are for colleagues" in refused


def test_tell_the_story_from_a_case_and_a_lead_publishes_it(as_user, alice, bob, lena):
    case = make_case(by=alice)
    client = as_user(bob)
    link = f"{NOMINATE}?case={case.reference}"
    assert link in page_of(client, case_url(case)) and "This was great: tell the story" in page_of(
        client, case_url(case)
    )
    response = client.post(
        link, {"about": ["alice"], "kind": "recovery", "story": "Calm under fire.", "case": case.reference}
    )
    story = Story.objects.get()
    assert response.status_code == 302 and story.case == case
    assert reverse("recognition:story", args=[story.pk]) in page_of(as_user(lena), MODERATE)
    assert as_user(alice).get(reverse("recognition:story", args=[story.pk])).status_code == 404  # not yet
    done = as_user(lena).post(
        reverse("recognition:action", args=[story.pk, "publish"]), {"kind": "recovery", "about": ["alice"]}
    )
    assert done.status_code == 302
    assert Story.objects.get().status == StoryStatus.PUBLISHED
    assert "Calm under fire." in page_of(as_user(alice), reverse("recognition:story", args=[story.pk]))


def test_a_refused_story_keeps_what_was_typed(as_user, bob):
    response = as_user(bob).post(NOMINATE, {"about": ["bob"], "kind": "delight", "story": "I was great."})
    page = response.content.decode()
    assert response.status_code == 400 and "I was great.</textarea>" in page and "yours is for someone else" in page


def test_only_leads_and_managers_moderate_on_the_pages(as_user, alice, bob, erin, lena):
    story = tell(bob, [alice])
    assert as_user(alice).get(MODERATE).status_code == 403
    assert as_user(erin).get(MODERATE).status_code == 403
    refused = as_user(bob).post(reverse("recognition:action", args=[story.pk, "publish"]), {"kind": "delight"})
    assert refused.status_code == 403 and "Only leads and managers" in refused.content.decode()
    assert Story.objects.get().status == StoryStatus.PENDING


def test_leads_see_who_has_not_been_recognised_this_quarter(as_user, alice, bob, charlie, lena, mona):
    published(charlie, [alice], moderator=lena)
    lead_board = page_of(as_user(lena), BOARD)
    section = lead_board[lead_board.index('id="not-recognised"') :]
    unseen = section[: section.index("Stories per person")]
    assert "Bob" in unseen and "Alice" not in unseen and "Charlie" not in unseen  # lena leads Team North only
    manager_unseen = page_of(as_user(mona), BOARD).split('id="not-recognised"')[1].split("Stories per person")[0]
    assert "Charlie" in manager_unseen
    assert 'id="not-recognised"' not in page_of(as_user(bob), BOARD)


def test_customers_praise_without_logging_in_and_a_bot_is_thanked_but_kept_out(client, alice):
    assert client.get(PRAISE).status_code == 200
    response = client.post(PRAISE, {"about": "Alice", "story": "She was patient with my dad.", "name": "Ann"})
    assert response.status_code == 201 and "pass your words on" in response.content.decode()
    assert list(Story.objects.get().about.all()) == [alice]
    bot = client.post(PRAISE, {"about": "Alice", "story": "spam", "website": "http://spam.test"})
    assert bot.status_code == 200 and Story.objects.count() == 1
    refused = client.post(PRAISE, {"about": "GD-000001", "story": "Thanks"})
    assert refused.status_code == 400 and "use the link in our email about it" in refused.content.decode()


def test_the_praise_honeypot_is_hidden_from_screen_readers_and_the_keyboard(client):
    honeypot = parse(client.get(PRAISE).content).find("input", name="website")
    assert (honeypot.get("tabindex"), honeypot.get("autocomplete")) == ("-1", "off")
    assert honeypot.parent.get("aria-hidden") == "true" and "honeypot" in honeypot.parent.classes


def test_the_praise_form_is_limited_per_address(client, alice):
    for n in range(10):
        assert client.post(PRAISE, {"about": "Alice", "story": f"Thanks {n}"}).status_code == 201
    refused = client.post(PRAISE, {"about": "Alice", "story": "Thanks again"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0


def test_a_resolved_cases_status_page_asks_to_thank_its_owner(client, alice):
    case = make_case()
    case_services.case_take(case=case, agent=alice)
    case_services.case_send_message(case=case, by=alice, text="Sorted.", await_reply=False)
    status_url = reverse("case-status", args=[case.public_token])
    assert "Would you like to thank" not in client.get(status_url).content.decode()
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Fixed", root_cause="process")
    page = client.get(status_url).content.decode()
    thank_url = reverse("praise-case", args=[case.public_token])
    assert "Would you like to thank Alice?" in page and thank_url in page
    form = client.get(thank_url).content.decode()
    assert 'value="Alice"' in form
    assert client.post(thank_url, {"about": "Alice", "story": "Quick and kind."}).status_code == 201
    story = Story.objects.get()
    assert story.case == case and list(story.about.all()) == [alice]
    assert client.get(reverse("praise-case", args=["not-a-token"])).status_code == 404


def test_two_hundred_xss_payloads_come_back_as_text_on_every_page_and_in_every_email(
    as_user, client, alice, bob, charlie, lena
):
    assert len(PAYLOADS) >= 200
    chunks = [PAYLOADS[i : i + 30] for i in range(0, len(PAYLOADS), 30)]
    stories = []
    for chunk in chunks:
        text = "\n".join(chunk)
        story = published(charlie, [alice], moderator=lena, story=text)
        services.story_comment(story=story, by=bob, text=text)
        stories.append(story)
    client.post(PRAISE, {"about": "Alice", "story": "\n".join(PAYLOADS[:100]), "name": PAYLOADS[100]})
    pages = [page_of(as_user(bob), BOARD, page=n) for n in (1, 2)]
    pages += [page_of(as_user(bob), reverse("recognition:story", args=[s.pk])) for s in stories]
    pages.append(page_of(as_user(lena), MODERATE))
    everything = "".join(pages)
    for payload in PAYLOADS:
        assert payload not in everything, payload
    for story, page in zip(stories, pages[2:], strict=False):
        for payload in story.text.split("\n"):
            assert escape(payload) in page, payload
    for email in OutboundEmail.objects.filter(key__startswith="story:"):
        assert email.body_html == ""  # plain text: nothing a mail reader would run


@pytest.mark.parametrize("url", [BOARD, MODERATE])
def test_board_and_moderation_do_not_grow_queries_with_rows(
    as_user, alice, bob, charlie, lena, url, django_assert_max_num_queries
):
    client = as_user(lena)
    published(charlie, [alice], moderator=lena)
    tell(charlie, [bob])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(10):
        story = published(charlie, [alice, bob], moderator=lena)
        services.story_give_kudos(story=story, by=charlie)
        tell(bob, [charlie])
    with django_assert_max_num_queries(len(one)):
        client.get(url)
