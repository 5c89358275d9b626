"""Staff suggestions: submitted (from the board or a case), endorsed, discussed, decided by a manager with a
reason by a deadline, merged, implemented. Every write is here, in a transaction; every change is an event;
every status change emails the author and the endorsers, once each."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from complaints import permissions as case_permissions
from complaints.models import Case
from complaints.validation import subject_from
from crm.exceptions import Conflict, InvalidInput, NotPermitted
from crm.models import Role
from crm.names import staff_display_name
from crm.permissions import StaffUser
from crm.staff.selectors import active_in_roles, first_active_in_role
from crm.times import absolute, absolute_for
from feedback import emails, events, permissions
from feedback.models import (
    REASONED_DECISIONS,
    Comment,
    Endorsement,
    Policy,
    Suggestion,
    SuggestionAction,
    SuggestionEvent,
    SuggestionStatus,
)
from feedback.validation import (
    COMMENT_MAX_LENGTH,
    SUGGESTION_TEXT_MAX_LENGTH,
    decision_text,
    staff_text,
    suggestion_subject,
    suggestion_texts,
)

# Decisions a manager takes with the decide action (implemented and merged have their own).
DECISIONS = (SuggestionStatus.UNDER_REVIEW, *REASONED_DECISIONS)
REMIND_BEFORE = timedelta(days=2)
BEAT_BATCH = 500


def decision_due(submitted_at: datetime) -> datetime:
    return submitted_at + timedelta(days=settings.SUGGESTION_DECISION_DAYS)


def _cases_by_reference(references: list[str], *, user: StaffUser, field: str = "cases") -> list[Case]:
    """The cases named, each one the user can see; else InvalidInput naming the missing ones."""
    wanted = list(dict.fromkeys(r.strip().upper() for r in references if r and r.strip()))
    found = {c.reference: c for c in case_permissions.visible_cases(user).filter(reference__in=wanted)}
    missing = [r for r in wanted if r not in found]
    if missing:
        raise InvalidInput(
            "Some cases were not found.", errors={field: [f"No case {r} that you can see." for r in missing]}
        )
    return [found[r] for r in wanted]


def _deciding_manager(policy: Policy | None) -> StaffUser | None:
    if policy is not None and policy.manager.is_active:
        return policy.manager
    return first_active_in_role(Role.MANAGER)


def _lock(suggestion: Suggestion) -> Suggestion:
    return Suggestion.objects.select_for_update(of=("self",)).select_related("author", "policy").get(pk=suggestion.pk)


def _announce(suggestion: Suggestion, event: SuggestionEvent, *, by: StaffUser, into: Suggestion | None = None) -> None:
    """A status change, emailed to the author and every endorser (not to whoever made it), once each."""
    endorsers = [e.user for e in suggestion.endorsements.select_related("user__staff_profile")]
    for user in [suggestion.author, *endorsers]:
        if user.pk == by.pk:
            continue
        emails.email_staff(
            user,
            key=emails.status_change_key(event, user),
            template="suggestions/email/status_changed",
            subject=f"Your suggestion #{suggestion.pk} is now {suggestion.get_status_display().lower()}",
            suggestion=suggestion,
            is_author=user.pk == suggestion.author_id,
            by_name=staff_display_name(by),
            into=into,
            into_url=emails.suggestion_url(into) if into is not None else "",
        )


# --- Submitting and editing ---------------------------------------------------------------------------


@transaction.atomic(durable=True)
def suggestion_submit(
    *,
    author: StaffUser,
    problem: str,
    proposal: str,
    expected_benefit: str,
    policy: Policy | None = None,
    subject: str = "",
    cases: list[str] | None = None,
    show_name: bool = True,
) -> Suggestion:
    """A suggestion about a policy (or "other", with a subject of the author's), with the cases that prove the
    problem. It goes to the policy's manager, to decide within SUGGESTION_DECISION_DAYS."""
    permissions.require_staff(author)
    errors: dict[str, list[str]] = {}
    texts = suggestion_texts(
        {"problem": problem, "proposal": proposal, "expected_benefit": expected_benefit}, errors=errors
    )
    if policy is not None and not policy.active:
        errors["policy"] = ["This policy is no longer in use: choose another, or 'other'."]
    if policy is None and not (subject or "").strip():
        errors["subject"] = ["Say what it is about when it is about no listed policy."]
    elif (subject or "").strip():
        subject = suggestion_subject(subject, errors=errors)
    try:
        linked = _cases_by_reference(cases or [], user=author)
    except InvalidInput as error:
        errors.update(error.errors)
        linked = []
    if errors:
        raise InvalidInput("Some answers need another look.", errors=errors)
    now = timezone.now()
    suggestion = Suggestion.objects.create(
        author=author,
        show_name=show_name,
        policy=policy,
        subject=(subject or "").strip() or subject_from(texts["proposal"]),
        deciding_manager=_deciding_manager(policy),
        submitted_at=now,
        decision_due_at=decision_due(now),
        case_count=len(linked),
        **texts,
    )
    suggestion.cases.set(linked)
    events.submitted(suggestion, by=author)
    return suggestion


EDITABLE_FIELDS = ("subject", "problem", "proposal", "expected_benefit", "show_name")


@transaction.atomic(durable=True)
def suggestion_edit(*, suggestion: Suggestion, by: StaffUser, **fields: str | bool) -> Suggestion:
    """The author changes their suggestion until review starts. Answering a manager's question (needs info)
    puts it back under review."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput("Unknown fields.", errors={name: ["This cannot be changed."] for name in sorted(unknown)})
    suggestion = _lock(suggestion)
    permissions.require_edit(by, suggestion)
    suggestion.require(SuggestionAction.EDIT)
    errors: dict[str, list[str]] = {}
    changed: list[str] = []
    for name, value in fields.items():
        if name == "show_name":
            cleaned: str | bool = bool(value)
        elif name == "subject":
            cleaned = suggestion_subject(str(value), errors=errors)
        else:
            cleaned = staff_text(str(value), field=name, errors=errors, max_length=SUGGESTION_TEXT_MAX_LENGTH)
        if getattr(suggestion, name) != cleaned:
            setattr(suggestion, name, cleaned)
            changed.append(name)
    if errors:
        raise InvalidInput("Some answers need another look.", errors=errors)
    if not changed:
        return suggestion
    answered = suggestion.status == SuggestionStatus.NEEDS_INFO
    before = suggestion.move_to(SuggestionStatus.UNDER_REVIEW, action=SuggestionAction.EDIT) if answered else ""
    suggestion.save()
    events.edited(suggestion, by=by, fields=changed)
    if answered:
        event = events.status_changed(suggestion, by=by, from_status=before)
        _announce(suggestion, event, by=by)
        if suggestion.deciding_manager is not None:
            emails.email_staff(
                suggestion.deciding_manager,
                key=emails.status_change_key(event, suggestion.deciding_manager),
                template="suggestions/email/answered",
                subject=f"Suggestion #{suggestion.pk} answered your question",
                suggestion=suggestion,
            )
    return suggestion


# --- Taking part -----------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def suggestion_endorse(*, suggestion: Suggestion, by: StaffUser) -> Suggestion:
    """'I see this too.' Once per person; never one's own."""
    if not permissions.is_staff_member(by):
        raise NotPermitted("Only staff endorse suggestions.")
    suggestion = _lock(suggestion)
    if suggestion.author_id == by.pk:
        raise InvalidInput("You wrote it.", errors={"suggestion": ["You cannot endorse your own suggestion."]})
    suggestion.require(SuggestionAction.ENDORSE)
    try:
        with transaction.atomic():
            Endorsement.objects.create(suggestion=suggestion, user=by)
    except IntegrityError:
        raise Conflict("You have already endorsed this suggestion.") from None
    Suggestion.objects.filter(pk=suggestion.pk).update(endorsement_count=F("endorsement_count") + 1)
    events.endorsed(suggestion, by=by)
    suggestion.refresh_from_db(fields=["endorsement_count"])
    return suggestion


@transaction.atomic(durable=True)
def suggestion_withdraw_endorsement(*, suggestion: Suggestion, by: StaffUser) -> Suggestion:
    suggestion = _lock(suggestion)
    suggestion.require(SuggestionAction.ENDORSE)
    deleted, _ = Endorsement.objects.filter(suggestion=suggestion, user=by).delete()
    if not deleted:
        raise Conflict("You have not endorsed this suggestion.")
    Suggestion.objects.filter(pk=suggestion.pk).update(endorsement_count=F("endorsement_count") - 1)
    events.endorsement_withdrawn(suggestion, by=by)
    suggestion.refresh_from_db(fields=["endorsement_count"])
    return suggestion


@transaction.atomic(durable=True)
def suggestion_comment(*, suggestion: Suggestion, by: StaffUser, text: str) -> Comment:
    permissions.require_staff(by)
    errors: dict[str, list[str]] = {}
    text = staff_text(text, field="text", errors=errors, max_length=COMMENT_MAX_LENGTH)
    if errors:
        raise InvalidInput("The comment needs another look.", errors=errors)
    suggestion = _lock(suggestion)
    suggestion.require(SuggestionAction.COMMENT)
    comment = Comment.objects.create(suggestion=suggestion, author=by, text=text)
    events.commented(suggestion, by=by, comment_id=comment.pk)
    return comment


@transaction.atomic(durable=True)
def suggestion_link_case(*, suggestion: Suggestion, by: StaffUser, reference: str) -> Suggestion:
    """Another case that shows the problem (from the case page, or the suggestion's). Linking twice is harmless."""
    permissions.require_staff(by)
    [case] = _cases_by_reference([reference], user=by, field="case")
    suggestion = _lock(suggestion)
    suggestion.require(SuggestionAction.LINK_CASE)
    if not suggestion.cases.filter(pk=case.pk).exists():
        suggestion.cases.add(case)
        Suggestion.objects.filter(pk=suggestion.pk).update(case_count=F("case_count") + 1)
        events.case_linked(suggestion, by=by, reference=case.reference or "")
    return suggestion


# --- Deciding ----------------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def suggestion_decide(*, suggestion: Suggestion, by: StaffUser, status: str, decision: str = "") -> Suggestion:
    """A manager moves it under review, asks for information, accepts or declines: the last three with a
    reason of at least 30 characters the author and endorsers are sent."""
    permissions.require_decide(by)
    if status not in DECISIONS:
        choices = ", ".join(DECISIONS)
        raise InvalidInput("Not a decision.", errors={"status": [f"Choose one of {choices}."]})
    text = decision_text(decision) if status in REASONED_DECISIONS else (decision or "").strip()
    suggestion = _lock(suggestion)
    suggestion.require(SuggestionAction.DECIDE)
    before = suggestion.move_to(status, action=SuggestionAction.DECIDE)
    now = timezone.now()
    if status in REASONED_DECISIONS:
        suggestion.decision = text
    if status in (SuggestionStatus.ACCEPTED, SuggestionStatus.DECLINED):
        suggestion.decided_by, suggestion.decided_at = by, now
    if status == SuggestionStatus.ACCEPTED:
        suggestion.accepted_at = now
    suggestion.save()
    event = events.status_changed(suggestion, by=by, from_status=before, decision=text)
    _announce(suggestion, event, by=by)
    return suggestion


@transaction.atomic(durable=True)
def suggestion_mark_implemented(*, suggestion: Suggestion, by: StaffUser, on: date) -> Suggestion:
    """The accepted change is live since `on` (not in the future, not before it was accepted): from then
    on its page compares the complaints before and after."""
    permissions.require_decide(by)
    suggestion = _lock(suggestion)
    suggestion.require(SuggestionAction.IMPLEMENT)
    if on > timezone.localdate():
        raise InvalidInput("Not yet.", errors={"on": ["The date it went live cannot be in the future."]})
    accepted_on = timezone.localdate(suggestion.accepted_at) if suggestion.accepted_at else None
    if accepted_on is not None and on < accepted_on:
        raise InvalidInput(
            "Before it was accepted.",
            errors={"on": [f"It was accepted on {absolute(accepted_on)}: give that day or later."]},
        )
    suggestion.move_to(SuggestionStatus.IMPLEMENTED, action=SuggestionAction.IMPLEMENT)
    suggestion.implemented_on = on
    suggestion.save()
    event = events.implemented(suggestion, by=by, on=on)
    _announce(suggestion, event, by=by)
    return suggestion


@transaction.atomic(durable=True)
def suggestion_merge(*, suggestion: Suggestion, into: int, by: StaffUser) -> Suggestion:
    """Two suggestions about one thing become one: the endorsements (the author's too), the evidence and the
    comments follow into suggestion number `into`; the author and endorsers are told where it went."""
    permissions.require_decide(by)
    if suggestion.pk == into:
        raise InvalidInput("The same suggestion.", errors={"into": ["A suggestion cannot be merged into itself."]})
    # Both rows locked, lower id first, so two merges of the same pair cannot deadlock.
    pair = Suggestion.objects.select_for_update(of=("self",)).select_related("author")
    locked = {s.pk: s for s in pair.filter(pk__in=[suggestion.pk, into]).order_by("pk")}
    if into not in locked:
        raise InvalidInput("No such suggestion.", errors={"into": [f"There is no suggestion #{into}."]})
    suggestion, target = locked[suggestion.pk], locked[into]
    suggestion.require(SuggestionAction.MERGE)
    if not target.can(SuggestionAction.ENDORSE):
        raise Conflict(
            f"Suggestion #{target.pk} is {target.get_status_display().lower()}: merge into one still open.",
            errors={"into": [target.status]},
        )
    before = suggestion.move_to(SuggestionStatus.MERGED, action=SuggestionAction.MERGE)
    suggestion.merged_into = target
    suggestion.save()
    # The author supports it too, unless they chose not to be named (an endorsement names its giver).
    supporters = {e.user_id for e in suggestion.endorsements.all()} | (
        {suggestion.author_id} if suggestion.show_name else set()
    )
    already = set(target.endorsements.values_list("user_id", flat=True)) | {target.author_id}
    Endorsement.objects.bulk_create(Endorsement(suggestion=target, user_id=u) for u in sorted(supporters - already))
    target.cases.add(*suggestion.cases.all())
    target.endorsement_count, target.case_count = target.endorsements.count(), target.cases.count()
    target.save(update_fields=["endorsement_count", "case_count", "updated_at"])
    Comment.objects.filter(suggestion=suggestion).update(suggestion=target, moved_from=suggestion)
    event = events.status_changed(suggestion, by=by, from_status=before, into=target.pk)
    events.merged_in(target, by=by, merged=suggestion)
    _announce(suggestion, event, by=by, into=target)
    return suggestion


# --- The beat: decisions on time ------------------------------------------------------------------------------


def suggestions_remind_due(*, now: datetime | None = None) -> int:
    """Remind the deciding manager two days before a decision is due. Once per suggestion."""
    now = now or timezone.now()
    due_ids = list(
        Suggestion.objects.undecided()
        .filter(reminded_at__isnull=True, decision_due_at__gt=now, decision_due_at__lte=now + REMIND_BEFORE)
        .values_list("pk", flat=True)[:BEAT_BATCH]
    )
    reminded = 0
    for suggestion_id in due_ids:
        with transaction.atomic():
            # Compare-and-swap: two beat runs never remind twice.
            if not Suggestion.objects.filter(pk=suggestion_id, reminded_at__isnull=True).update(reminded_at=now):
                continue
            suggestion = Suggestion.objects.select_related("deciding_manager", "author").get(pk=suggestion_id)
            events.reminded(suggestion, at=now)
            for manager in _deciders(suggestion):
                due = absolute_for(manager, suggestion.decision_due_at)  # in the manager's own time zone
                emails.email_staff(
                    manager,
                    key=emails.reminder_key(suggestion, manager),
                    template="suggestions/email/reminder",
                    subject=f"Suggestion #{suggestion.pk}: your decision is due {due}",
                    suggestion=suggestion,
                    author_name=_author_name_for(manager, suggestion),
                )
            reminded += 1
    return reminded


def suggestions_escalate_overdue(*, now: datetime | None = None) -> int:
    """A decision past due: the deciding manager's own manager (the lead of their team) is told, or every
    executive when there is none. Once per suggestion."""
    now = now or timezone.now()
    overdue_ids = list(
        Suggestion.objects.overdue(now).filter(escalated_at__isnull=True).values_list("pk", flat=True)[:BEAT_BATCH]
    )
    escalated = 0
    for suggestion_id in overdue_ids:
        with transaction.atomic():
            if not Suggestion.objects.filter(pk=suggestion_id, escalated_at__isnull=True).update(escalated_at=now):
                continue
            suggestion = Suggestion.objects.select_related("deciding_manager", "author").get(pk=suggestion_id)
            told = _above(suggestion.deciding_manager)
            events.escalated(suggestion, at=now, to=[u.username for u in told])
            for person in told:
                emails.email_staff(
                    person,
                    key=emails.overdue_key(suggestion, person),
                    template="suggestions/email/overdue",
                    subject=f"Suggestion #{suggestion.pk} is waiting past its decision date",
                    suggestion=suggestion,
                    manager_name=staff_display_name(suggestion.deciding_manager) or "no manager",
                )
            escalated += 1
    return escalated


def _deciders(suggestion: Suggestion) -> list[StaffUser]:
    """Whom a reminder goes to: the deciding manager, or every manager when it has none."""
    if suggestion.deciding_manager is not None and suggestion.deciding_manager.is_active:
        return [suggestion.deciding_manager]
    return list(active_in_roles([Role.MANAGER]))


def _above(manager: StaffUser | None) -> list[StaffUser]:
    lead = case_permissions.lead_of(manager) if manager is not None else None
    if lead is not None and lead.is_active and manager is not None and lead.pk != manager.pk:
        return [lead]
    return list(active_in_roles([Role.EXECUTIVE]))


def _author_name_for(reader: StaffUser, suggestion: Suggestion) -> str:
    if permissions.can_see_author(reader, suggestion):
        return staff_display_name(suggestion.author)
    return "a colleague"
