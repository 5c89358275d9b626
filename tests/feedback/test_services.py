"""Suggestions through their services: submitted with evidence, endorsed, discussed, decided with a reason
by a deadline, merged, implemented; every refusal a clear error with nothing half-written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.resolution import services as resolution_services
from crm.exceptions import Conflict, InvalidInput, NotAllowedInStatus, NotPermitted
from crm.models import OutboundEmail
from feedback import emails
from feedback.models import Comment, Suggestion, SuggestionEvent, SuggestionEventKind, SuggestionStatus
from feedback.suggestions import services
from feedback.suggestions.selectors import evidence_counts
from tests.complaints.factories import make_case
from tests.feedback.factories import DECISION, make_policy, make_suggestion

pytestmark = pytest.mark.django_db


def kinds(suggestion):
    return list(SuggestionEvent.objects.filter(suggestion=suggestion).values_list("kind", flat=True))


def test_a_suggestion_goes_to_the_policys_manager_due_in_fourteen_days_with_its_cases(alice, mona, refunds):
    case = make_case(by=alice)
    suggestion = make_suggestion(author=alice, policy=refunds, cases=[case.reference.lower()])
    assert (suggestion.status, suggestion.deciding_manager, suggestion.policy) == ("submitted", mona, refunds)
    assert suggestion.decision_due_at - suggestion.submitted_at == timedelta(days=14)
    assert list(suggestion.cases.all()) == [case]
    assert suggestion.subject == "Refund duplicate charges at once, on the first call."
    assert kinds(suggestion) == [SuggestionEventKind.SUBMITTED]


def test_other_needs_a_subject_and_every_problem_is_named_at_once(alice):
    with pytest.raises(InvalidInput) as refused:
        services.suggestion_submit(
            author=alice, problem=" ", proposal="x" * 5001, expected_benefit="", cases=["GD-999999"]
        )
    assert set(refused.value.errors) == {"problem", "proposal", "expected_benefit", "subject", "cases"}
    assert not Suggestion.objects.exists()


def test_a_subject_is_one_line(alice):
    with pytest.raises(InvalidInput) as refused:
        make_suggestion(author=alice, subject="Opening\nhours")
    assert "subject" in refused.value.errors


def test_only_staff_suggest(db, django_user_model):
    with pytest.raises(NotPermitted):
        make_suggestion(author=django_user_model.objects.create_user("visitor"))


def test_the_author_edits_until_review_starts(alice, bob, mona, suggestion):
    with pytest.raises(NotPermitted):
        services.suggestion_edit(suggestion=suggestion, by=bob, proposal="Mine now")
    services.suggestion_edit(suggestion=suggestion, by=alice, proposal="Refund within a day.")
    services.suggestion_decide(suggestion=suggestion, by=mona, status="under_review")
    with pytest.raises(NotAllowedInStatus):
        services.suggestion_edit(suggestion=suggestion, by=alice, proposal="Too late")
    suggestion.refresh_from_db()
    assert suggestion.proposal == "Refund within a day."


def test_answering_a_question_puts_it_back_under_review_and_tells_the_manager(alice, mona, suggestion):
    services.suggestion_decide(suggestion=suggestion, by=mona, status="needs_info", decision=DECISION)
    services.suggestion_edit(suggestion=suggestion, by=alice, problem="It happened 40 times last month.")
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.UNDER_REVIEW
    assert OutboundEmail.objects.filter(to_email=mona.email, subject__contains="answered your question").exists()


def test_endorsing_once_and_never_ones_own(alice, bob, suggestion):
    with pytest.raises(InvalidInput):
        services.suggestion_endorse(suggestion=suggestion, by=alice)
    services.suggestion_endorse(suggestion=suggestion, by=bob)
    with pytest.raises(Conflict):
        services.suggestion_endorse(suggestion=suggestion, by=bob)
    suggestion.refresh_from_db()
    assert suggestion.endorsement_count == 1
    services.suggestion_withdraw_endorsement(suggestion=suggestion, by=bob)
    suggestion.refresh_from_db()
    assert suggestion.endorsement_count == 0
    with pytest.raises(Conflict):
        services.suggestion_withdraw_endorsement(suggestion=suggestion, by=bob)


def test_decisions_need_a_reason_of_thirty_characters_and_a_manager(alice, bob, lena, mona, suggestion):
    for who in (alice, lena):
        with pytest.raises(NotPermitted):
            services.suggestion_decide(suggestion=suggestion, by=who, status="accepted", decision=DECISION)
    with pytest.raises(InvalidInput) as short:
        services.suggestion_decide(suggestion=suggestion, by=mona, status="declined", decision="No.")
    assert "decision" in short.value.errors
    with pytest.raises(InvalidInput):
        services.suggestion_decide(suggestion=suggestion, by=mona, status="implemented", decision=DECISION)
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.SUBMITTED and kinds(suggestion) == ["submitted"]


def test_a_decision_emails_the_author_and_every_endorser_exactly_once(alice, bob, charlie, mona, suggestion):
    services.suggestion_endorse(suggestion=suggestion, by=bob)
    services.suggestion_endorse(suggestion=suggestion, by=charlie)
    services.suggestion_decide(suggestion=suggestion, by=mona, status="accepted", decision=DECISION)
    suggestion.refresh_from_db()
    assert (suggestion.decided_by, suggestion.status) == (mona, SuggestionStatus.ACCEPTED)
    sent = OutboundEmail.objects.filter(key__startswith=f"suggestion:{suggestion.pk}:event:")
    assert sorted(sent.values_list("to_email", flat=True)) == sorted([alice.email, bob.email, charlie.email])
    assert all(DECISION in email.body_text for email in sent)
    with pytest.raises(NotAllowedInStatus):  # a decision is final
        services.suggestion_decide(suggestion=suggestion, by=mona, status="declined", decision=DECISION)
    assert sent.count() == 3


def test_marking_implemented_refuses_a_future_date_or_one_before_acceptance(mona, suggestion):
    today = timezone.localdate()
    with pytest.raises(NotAllowedInStatus):
        services.suggestion_mark_implemented(suggestion=suggestion, by=mona, on=today)
    services.suggestion_decide(suggestion=suggestion, by=mona, status="accepted", decision=DECISION)
    with pytest.raises(InvalidInput) as future:
        services.suggestion_mark_implemented(suggestion=suggestion, by=mona, on=today + timedelta(days=1))
    with pytest.raises(InvalidInput) as early:
        services.suggestion_mark_implemented(suggestion=suggestion, by=mona, on=today - timedelta(days=1))
    assert "on" in future.value.errors and "on" in early.value.errors
    services.suggestion_mark_implemented(suggestion=suggestion, by=mona, on=today)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.implemented_on) == (SuggestionStatus.IMPLEMENTED, today)


def test_merging_moves_endorsements_evidence_and_comments_and_tells_where_it_went(
    alice, bob, charlie, lena, mona, refunds
):
    case_a, case_b = make_case(by=alice), make_case(by=bob)
    source = make_suggestion(author=alice, policy=refunds, cases=[case_a.reference])
    target = make_suggestion(author=bob, policy=refunds, cases=[case_b.reference])
    services.suggestion_endorse(suggestion=source, by=charlie)
    services.suggestion_endorse(suggestion=source, by=bob)  # bob wrote the target: not an endorser of his own
    services.suggestion_comment(suggestion=source, by=lena, text="Same as the other one.")
    services.suggestion_merge(suggestion=source, into=target.pk, by=mona)
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.merged_into) == (SuggestionStatus.MERGED, target)
    assert set(target.endorsements.values_list("user__username", flat=True)) == {"alice", "charlie"}
    assert target.endorsement_count == 2
    assert set(target.cases.all()) == {case_a, case_b}
    assert Comment.objects.get().suggestion == target and Comment.objects.get().moved_from == source
    told = OutboundEmail.objects.filter(key__startswith=f"suggestion:{source.pk}:event:")
    assert sorted(told.values_list("to_email", flat=True)) == sorted([alice.email, bob.email, charlie.email])
    assert all(emails.suggestion_url(target) in email.body_text for email in told)


def test_merging_into_itself_a_missing_or_a_merged_one_is_refused(alice, bob, mona, refunds):
    one, two, three = (make_suggestion(author=alice, policy=refunds) for _ in range(3))
    with pytest.raises(InvalidInput):
        services.suggestion_merge(suggestion=one, into=one.pk, by=mona)
    with pytest.raises(InvalidInput):
        services.suggestion_merge(suggestion=one, into=999_999, by=mona)
    services.suggestion_merge(suggestion=two, into=three.pk, by=mona)
    with pytest.raises(Conflict):
        services.suggestion_merge(suggestion=one, into=two.pk, by=mona)
    with pytest.raises(NotPermitted):
        services.suggestion_merge(suggestion=one, into=three.pk, by=bob)
    one.refresh_from_db()
    assert one.status == SuggestionStatus.SUBMITTED


def _outbox_down(monkeypatch):
    def mail_server_down(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(emails, "queue_email", mail_server_down)


def test_a_decision_is_all_or_nothing(bob, mona, suggestion, monkeypatch):
    services.suggestion_endorse(suggestion=suggestion, by=bob)
    _outbox_down(monkeypatch)
    with pytest.raises(RuntimeError):
        services.suggestion_decide(suggestion=suggestion, by=mona, status="accepted", decision=DECISION)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decision, suggestion.decided_at) == ("submitted", "", None)
    assert not SuggestionEvent.objects.filter(kind=SuggestionEventKind.STATUS_CHANGED).exists()


def test_a_merge_is_all_or_nothing(alice, bob, charlie, mona, refunds, monkeypatch):
    source = make_suggestion(author=alice, policy=refunds)
    target = make_suggestion(author=bob, policy=refunds)
    services.suggestion_endorse(suggestion=source, by=charlie)
    _outbox_down(monkeypatch)
    with pytest.raises(RuntimeError):
        services.suggestion_merge(suggestion=source, into=target.pk, by=mona)
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.merged_into, target.endorsement_count) == ("submitted", None, 0)


def test_a_case_linked_twice_is_linked_once(alice, bob, suggestion):
    case = make_case(by=bob)
    services.suggestion_link_case(suggestion=suggestion, by=bob, reference=case.reference)
    services.suggestion_link_case(suggestion=suggestion, by=alice, reference=case.reference)
    assert suggestion.cases.count() == 1 and kinds(suggestion).count("case_linked") == 1
    with pytest.raises(InvalidInput):
        services.suggestion_link_case(suggestion=suggestion, by=bob, reference="GD-999999")


def test_an_other_suggestion_goes_to_the_first_manager_and_an_inactive_policy_is_refused(alice, mona, erin):
    other = make_suggestion(author=alice, subject="The hold music")
    assert other.deciding_manager == mona and other.policy is None
    retired = make_policy(by=mona, name="Old terms")
    retired.active = False
    retired.save()
    with pytest.raises(InvalidInput) as refused:
        make_suggestion(author=alice, policy=retired)
    assert "policy" in refused.value.errors


def test_policies_are_kept_by_managers_with_real_root_causes(alice, mona):
    with pytest.raises(NotPermitted):
        make_policy(by=alice, manager=mona)
    with pytest.raises(InvalidInput) as refused:
        make_policy(by=mona, root_causes=["astrology"])
    assert "root_causes" in refused.value.errors


def test_resolved_cases_count_as_evidence_by_category_and_root_cause(alice, mona, billing, refunds):
    matching = make_case(by=alice, category=billing)
    resolution_services.case_resolve(case=matching, by=alice, resolution_summary="Refunded", root_cause="policy")
    wrong_cause = make_case(by=alice, category=billing)
    resolution_services.case_resolve(case=wrong_cause, by=alice, resolution_summary="Fixed", root_cause="system")
    make_case(by=alice)  # no category
    assert evidence_counts([refunds]) == {refunds.pk: 1}
