"""Hero stories: told by staff (from the board or a case), moderated by leads and managers, then kudos and
comments. Every write here, in a transaction; every email through the outbox, once."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from complaints import permissions as case_permissions
from complaints.models import Case
from complaints.validation import require_reason
from crm.exceptions import Conflict, InvalidInput
from crm.models import Role
from crm.names import staff_display_name
from crm.permissions import StaffUser
from crm.staff.selectors import active_in_roles
from recognition import emails, permissions
from recognition.board.selectors import forget_balance
from recognition.models import Comment, Kudos, Story, StoryAction, StoryKind, StoryPerson, StoryStatus
from recognition.validation import DECLINE_REASON_MIN_LENGTH, require_story_text, story_text


def staff_by_username(usernames: list[str], *, field: str = "about") -> list[StaffUser]:
    """The active staff members named, each one; else InvalidInput naming who is unknown."""
    wanted = list(dict.fromkeys(u.strip() for u in usernames if u and u.strip()))
    found = {u.username: u for u in active_in_roles(Role.values).filter(username__in=wanted)}
    missing = [u for u in wanted if u not in found]
    if missing:
        raise InvalidInput("Some people were not found.", errors={field: [f"No staff member '{u}'." for u in missing]})
    return [found[u] for u in wanted]


def _case(reference: str, *, user: StaffUser) -> Case:
    case = case_permissions.visible_cases(user).filter(reference=reference.strip().upper()).first()
    if case is None:
        raise InvalidInput("No such case.", errors={"case": [f"No case {reference} that you can see."]})
    return case


def _kind(kind: str, *, required: bool = True) -> str:
    if kind in StoryKind.values:
        return kind
    if not kind and not required:
        return ""
    raise InvalidInput(
        "Delight or recovery?",
        errors={"kind": ["Choose delight (nothing had gone wrong) or recovery (a failure put right)."]},
    )


@transaction.atomic(durable=True)
def story_nominate(*, by: StaffUser, about: list[str], kind: str, story: str, case: str | None = None) -> Story:
    """A colleague's story, waiting for a lead or manager to publish it."""
    permissions.require_staff(by)
    errors: dict[str, list[str]] = {}
    text = story_text(story, errors=errors)
    people: list[StaffUser] = []
    try:
        people = staff_by_username(about)
    except InvalidInput as error:
        errors.update(error.errors)
    if not about:
        errors["about"] = ["Who is it about?"]
    elif people and all(person.pk == by.pk for person in people):
        errors["about"] = ["Tell a colleague's story: yours is for someone else to tell."]
    try:
        kind = _kind(kind)
    except InvalidInput as error:
        errors.update(error.errors)
    linked = None
    if case:
        try:
            linked = _case(case, user=by)
        except InvalidInput as error:
            errors.update(error.errors)
    if errors:
        raise InvalidInput("Some answers need another look.", errors=errors)
    new = Story.objects.create(teller=by, teller_kind=permissions.teller_kind_of(by), kind=kind, text=text, case=linked)
    new.about.set(people)
    return new


def _lock(story: Story) -> Story:
    return Story.objects.select_for_update(of=("self",)).get(pk=story.pk)


@transaction.atomic(durable=True)
def story_publish(*, story: Story, by: StaffUser, kind: str = "", about: list[str] | None = None) -> Story:
    """On the board: the people in it are emailed, the teller is told. The moderator picks the kind when a
    customer told it, and matches who it is about when the customer's words named nobody we know."""
    permissions.require_moderate(by)
    story = _lock(story)
    story.require(StoryAction.MODERATE)
    story.kind = _kind(kind or story.kind)
    if about:
        story.about.set(staff_by_username(about))
    people = list(story.about.select_related("staff_profile"))
    if not people:
        raise InvalidInput("Who is it about?", errors={"about": ["Match the story to the people in it first."]})
    now = timezone.now()
    story.move_to(StoryStatus.PUBLISHED)
    story.moderated_by, story.moderated_at, story.published_at = by, now, now
    story.save()
    StoryPerson.objects.bulk_create(
        StoryPerson(
            story=story,
            user=person,
            team_id=getattr(getattr(person, "staff_profile", None), "team_id", None),
            kind=story.kind,
            published_at=now,
        )
        for person in people
    )
    transaction.on_commit(forget_balance)
    names = ", ".join(staff_display_name(p) for p in people)
    for person in people:
        emails.email_staff(
            person,
            key=emails.published_key(story, person),
            template="stories/email/published",
            subject="A story about you is on the recognition board",
            story=story,
            story_url=emails.story_url(story),
            teller=_teller_name(story),
        )
    _tell_teller(story, names=names)
    return story


@transaction.atomic(durable=True)
def story_decline(*, story: Story, by: StaffUser, reason: str) -> Story:
    """Not published, with a reason the teller sees on the story (and, for staff, by email)."""
    permissions.require_moderate(by)
    reason = require_reason(reason, min_length=DECLINE_REASON_MIN_LENGTH)
    story = _lock(story)
    story.require(StoryAction.MODERATE)
    story.move_to(StoryStatus.DECLINED)
    story.moderated_by, story.moderated_at, story.decline_reason = by, timezone.now(), reason
    story.save()
    if story.teller is not None:
        emails.email_staff(
            story.teller,
            key=emails.teller_key(story),
            template="stories/email/declined",
            subject="About the story you told",
            story=story,
            story_url=emails.story_url(story),
        )
    return story


def _teller_name(story: Story) -> str:
    if story.teller is not None:
        return staff_display_name(story.teller)
    return "a customer"


def _tell_teller(story: Story, *, names: str) -> None:
    if story.teller is not None:
        emails.email_staff(
            story.teller,
            key=emails.teller_key(story),
            template="stories/email/published_teller",
            subject="The story you told is on the board",
            story=story,
            story_url=emails.story_url(story),
            names=names,
        )
    elif story.customer_email:
        emails.send(
            story.customer_email,
            story.customer_name,
            key=emails.teller_key(story),
            template="praise/email/passed_on",
            subject="Thank you: we passed your words on",
            story=story,
            names=names,
        )


@transaction.atomic(durable=True)
def story_give_kudos(*, story: Story, by: StaffUser) -> Story:
    permissions.require_staff(by)
    story = _lock(story)
    story.require(StoryAction.KUDOS)
    if permissions.is_about(by, story):
        refusal = "Kudos are for colleagues' stories: this one is about you."
        raise InvalidInput(refusal, errors={"story": [refusal]})
    try:
        with transaction.atomic():
            Kudos.objects.create(story=story, user=by)
    except IntegrityError:
        raise Conflict("You have already given kudos to this story.") from None
    Story.objects.filter(pk=story.pk).update(kudos_count=F("kudos_count") + 1)
    story.refresh_from_db(fields=["kudos_count"])
    return story


@transaction.atomic(durable=True)
def story_withdraw_kudos(*, story: Story, by: StaffUser) -> Story:
    story = _lock(story)
    deleted, _ = Kudos.objects.filter(story=story, user=by).delete()
    if not deleted:
        raise Conflict("You have not given kudos to this story.")
    Story.objects.filter(pk=story.pk).update(kudos_count=F("kudos_count") - 1)
    story.refresh_from_db(fields=["kudos_count"])
    return story


@transaction.atomic(durable=True)
def story_comment(*, story: Story, by: StaffUser, text: str) -> Comment:
    permissions.require_staff(by)
    text = require_story_text(text, field="text")
    story = _lock(story)
    story.require(StoryAction.COMMENT)
    return Comment.objects.create(story=story, author=by, text=text)
