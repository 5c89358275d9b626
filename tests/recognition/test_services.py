"""Stories through their services: told, moderated, published to the people in it once, kudos and comments;
customers' compliments kept however little we can match them; every refusal clear, nothing half-written."""

import pytest

from complaints.intake.selectors import case_for_customer
from complaints.resolution import services as resolution_services
from crm.exceptions import Conflict, InvalidInput, NotAllowedInStatus, NotPermitted
from crm.models import OutboundEmail
from recognition import emails
from recognition.models import Story, StoryPerson, StoryStatus, TellerKind
from recognition.praise import services as praise
from recognition.stories import services
from tests.complaints.factories import make_case
from tests.recognition.factories import tell

pytestmark = pytest.mark.django_db


def test_a_colleague_tells_a_story_that_waits_for_a_moderator(alice, bob):
    case = make_case(by=alice)
    story = tell(bob, [alice], kind="recovery", case=case)
    assert (story.status, story.teller, story.teller_kind, story.case) == ("pending", bob, "colleague", case)
    assert list(story.about.all()) == [alice]
    assert not OutboundEmail.objects.filter(key__startswith="story:").exists()


def test_every_problem_of_a_story_is_named_at_once(bob):
    with pytest.raises(InvalidInput) as refused:
        services.story_nominate(by=bob, about=["nobody"], kind="heroic", story="  ", case="GD-999999")
    assert set(refused.value.errors) == {"about", "kind", "story", "case"}
    assert not Story.objects.exists()


def test_nobody_tells_only_their_own_story(alice, bob):
    with pytest.raises(InvalidInput) as refused:
        tell(alice, [alice])
    assert "about" in refused.value.errors
    tell(alice, [alice, bob])  # a team story with them in it is fine


def test_publishing_tells_each_person_once_and_the_teller(alice, bob, charlie, lena):
    story = tell(bob, [alice, charlie])
    services.story_publish(story=story, by=lena)
    story.refresh_from_db()
    assert (story.status, story.moderated_by, story.kind) == (StoryStatus.PUBLISHED, lena, "delight")
    about = OutboundEmail.objects.filter(key__startswith=f"story:{story.pk}:published:")
    assert sorted(about.values_list("to_email", flat=True)) == sorted([alice.email, charlie.email])
    assert OutboundEmail.objects.get(key=emails.teller_key(story)).to_email == bob.email
    assert set(StoryPerson.objects.values_list("user__username", "kind")) == {
        ("alice", "delight"),
        ("charlie", "delight"),
    }
    with pytest.raises(NotAllowedInStatus):
        services.story_publish(story=story, by=lena)
    assert about.count() == 2


def test_only_leads_and_managers_moderate(alice, bob, erin, lena, mona):
    story = tell(bob, [alice])
    for who in (alice, bob, erin):
        with pytest.raises(NotPermitted):
            services.story_publish(story=story, by=who)
        with pytest.raises(NotPermitted):
            services.story_decline(story=story, by=who, reason="Not a story for the board")
    services.story_decline(story=story, by=mona, reason="Please add what the customer said.")
    story.refresh_from_db()
    assert story.status == StoryStatus.DECLINED and story.decline_reason == "Please add what the customer said."
    assert "Please add what the customer said." in OutboundEmail.objects.get(to_email=bob.email).body_text


def test_a_decline_needs_a_reason(alice, bob, lena):
    story = tell(bob, [alice])
    with pytest.raises(InvalidInput) as refused:
        services.story_decline(story=story, by=lena, reason="no")
    assert "reason" in refused.value.errors
    story.refresh_from_db()
    assert story.status == StoryStatus.PENDING


def test_kudos_once_never_on_a_story_about_oneself_and_only_when_published(alice, bob, charlie, lena):
    story = tell(bob, [alice])
    with pytest.raises(NotAllowedInStatus):
        services.story_give_kudos(story=story, by=charlie)
    services.story_publish(story=story, by=lena)
    with pytest.raises(InvalidInput):
        services.story_give_kudos(story=story, by=alice)
    services.story_give_kudos(story=story, by=charlie)
    with pytest.raises(Conflict):
        services.story_give_kudos(story=story, by=charlie)
    story.refresh_from_db()
    assert story.kudos_count == 1
    services.story_withdraw_kudos(story=story, by=charlie)
    story.refresh_from_db()
    assert story.kudos_count == 0


def test_comments_only_on_published_stories(alice, bob, lena):
    story = tell(bob, [alice])
    with pytest.raises(NotAllowedInStatus):
        services.story_comment(story=story, by=lena, text="Lovely")
    services.story_publish(story=story, by=lena)
    assert services.story_comment(story=story, by=lena, text="Lovely").text == "Lovely"
    with pytest.raises(InvalidInput):
        services.story_comment(story=story, by=lena, text=" ")


def test_a_compliment_about_someone_we_know_is_matched_and_waits_for_its_kind(alice, lena):
    story = praise.compliment_submit(story="Alice fixed it with a smile.", about="alice", name="Ann Customer")
    assert (story.teller_kind, story.teller, story.kind, story.status) == (TellerKind.CUSTOMER, None, "", "pending")
    assert list(story.about.all()) == [alice]
    with pytest.raises(InvalidInput) as no_kind:
        services.story_publish(story=story, by=lena)
    assert "kind" in no_kind.value.errors
    services.story_publish(story=story, by=lena, kind="delight")


def test_a_compliment_about_someone_unknown_is_kept_for_a_moderator_to_match(alice, lena):
    story = praise.compliment_submit(story="The lady on Tuesday was kind.", about="the lady on Tuesday")
    assert story.about.count() == 0 and story.about_as_given == "the lady on Tuesday"
    with pytest.raises(InvalidInput) as unmatched:
        services.story_publish(story=story, by=lena, kind="delight")
    assert "about" in unmatched.value.errors
    services.story_publish(story=story, by=lena, kind="delight", about=["alice"])
    assert list(Story.objects.get(pk=story.pk).about.all()) == [alice]


def test_a_case_reference_counts_only_with_its_status_token(alice):
    case = make_case(by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Fixed", root_cause="process")
    with pytest.raises(InvalidInput) as refused:
        praise.compliment_submit(story="Thanks!", about=case.reference)
    assert "your case's own page" in refused.value.errors["about"][0]
    with pytest.raises(InvalidInput):
        praise.compliment_submit(story="Thanks!", about="", token="not-a-token")
    story = praise.compliment_submit(story="Thanks!", about="", token=case.public_token)
    assert story.case == case_for_customer(token=case.public_token) and list(story.about.all()) == [alice]
    assert story.customer_name == case.customer.full_name


def test_a_customers_email_is_optional_but_must_be_an_address(alice, lena):
    with pytest.raises(InvalidInput) as refused:
        praise.compliment_submit(story="Thanks", about="alice", email="not an address")
    assert "email" in refused.value.errors
    story = praise.compliment_submit(story="Thanks", about="alice", email="ann@example.test")
    services.story_publish(story=story, by=lena, kind="delight")
    thanked = OutboundEmail.objects.get(to_email="ann@example.test")
    assert "Alice" in thanked.body_text


def test_publishing_is_all_or_nothing(alice, bob, lena, monkeypatch):
    story = tell(bob, [alice])

    def mail_server_down(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(emails, "queue_email", mail_server_down)
    with pytest.raises(RuntimeError):
        services.story_publish(story=story, by=lena)
    story.refresh_from_db()
    assert (story.status, story.published_at) == (StoryStatus.PENDING, None)
    assert not StoryPerson.objects.exists()
