"""Creating, taking, handing over, escalating, messaging, resolving, reopening, closing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import emails, events, permissions, tasks
from complaints.cases import selectors as case_selectors
from complaints.cases import services as case_services
from complaints.exceptions import AlreadyOwned
from complaints.models import Case, CaseEvent, CaseStatus, EventKind
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution_services
from crm.exceptions import Conflict, InvalidInput, NotAllowedInStatus, NotPermitted
from crm.models import OutboundEmail
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("channel", ["phone", "letter", "in_person"])
def test_a_logged_contact_is_owned_by_the_agent_from_the_start(alice, channel):
    case = make_case(by=alice, channel=channel)
    assert (case.owner, case.status) == (alice, CaseStatus.OPEN)
    assert list(case.events.values_list("kind", flat=True)) == ["created", "call_logged"]


def test_a_web_complaint_waits_unowned_in_the_queue(alice):
    case = make_case()
    assert (case.owner, case.status) == (None, CaseStatus.NEW)
    assert list(case_selectors.team_queue(user=alice)) == [case]


def test_references_are_readable_unique_and_tokens_are_long_and_random():
    cases = [make_case() for _ in range(3)]
    assert [c.reference for c in cases] == [f"GD-{c.pk:06d}" for c in cases]
    assert len({c.public_token for c in cases}) == 3
    assert all(len(c.public_token) >= 32 for c in cases)  # 192 bits, URL-safe


def test_second_agent_cannot_take_owned_case(alice, bob):
    case = make_case()
    case_services.case_take(case=case, agent=alice)
    with pytest.raises(AlreadyOwned) as refused:
        case_services.case_take(case=case, agent=bob)
    assert refused.value.errors == {"owner": ["alice"]}


def test_handover_needs_a_real_reason_and_tells_the_customer(alice, bob):
    case = make_case(by=alice)
    with pytest.raises(InvalidInput):
        case_services.case_handover(case=case, to="bob", reason="busy", by=alice)
    case_services.case_handover(case=case, to="bob", reason="I am on leave from Monday", by=alice)
    case.refresh_from_db()
    assert case.owner == bob
    event = CaseEvent.objects.get(case=case, kind=EventKind.HANDED_OVER)
    email = OutboundEmail.objects.get(key=f"case:{case.pk}:handover:{event.pk}")
    assert "Bob" in email.body_text and "I am on leave from Monday" in email.body_text
    assert case_selectors.team_handover_count(lead=case.owner.staff_profile.team.lead) == 1


def test_handover_is_all_or_nothing(alice, bob, monkeypatch):
    case = make_case(by=alice)

    def mail_server_down(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(emails, "queue_email", mail_server_down)
    with pytest.raises(RuntimeError):
        case_services.case_handover(case=case, to="bob", reason="I am on leave from Monday", by=alice)
    case.refresh_from_db()
    assert case.owner == alice
    assert not CaseEvent.objects.filter(kind=EventKind.HANDED_OVER).exists()
    assert not OutboundEmail.objects.filter(key__contains=":handover:").exists()


def test_only_the_owner_their_lead_or_a_manager_hands_over(alice, bob, charlie, lena, mona):
    case = make_case(by=alice)
    for outsider in (bob, charlie):
        with pytest.raises(NotPermitted):
            case_services.case_handover(case=case, to="charlie", reason="Reassigning for balance", by=outsider)
    case_services.case_handover(case=case, to="bob", reason="Reassigning for balance", by=lena)
    case_services.case_handover(case=case, to="alice", reason="Back from leave this week", by=mona)


@pytest.mark.parametrize("level", ["lead", "manager", "executive"])
def test_escalation_adds_a_senior_person_and_never_changes_the_owner(alice, lena, mona, erin, level):
    case = make_case(by=alice)
    collaborator = case_services.case_escalate(case=case, by=alice, level=level, reason="Third outage this month")
    case.refresh_from_db()
    assert case.owner == alice
    target = {"lead": lena, "manager": mona, "executive": erin}[level]
    assert collaborator.user == target
    assert permissions.visible_cases(target).filter(pk=case.pk).exists()
    assert [c.case for c in case_selectors.escalations_waiting(user=target)] == [case]
    assert OutboundEmail.objects.get(key=f"case:{case.pk}:escalation:{collaborator.pk}").to_email == target.email
    with pytest.raises(Conflict):
        case_services.case_escalate(case=case, by=alice, level=level, reason="again")


def test_message_to_the_customer_sets_first_response_once_and_can_wait_for_a_reply(alice):
    case = make_case(by=alice)
    case_services.case_send_message(case=case, by=alice, text="We are on it.", await_reply=True)
    case.refresh_from_db()
    first = case.first_response_at
    assert case.status == CaseStatus.WAITING_ON_CUSTOMER and first is not None
    case_services.case_send_message(case=case, by=alice, text="Any news?")
    case.refresh_from_db()
    assert case.first_response_at == first and case.status == CaseStatus.OPEN
    assert case.events.filter(kind=EventKind.STATUS_CHANGED).count() == 2


def test_message_to_a_customer_without_email_is_refused(alice):
    case = make_case(by=alice, customer=CustomerFactory(email=""))
    with pytest.raises(InvalidInput) as refused:
        case_services.case_send_message(case=case, by=alice, text="Hello")
    assert "customer" in refused.value.errors


def test_any_staff_member_who_can_see_the_case_adds_notes(settings, alice, bob, charlie):
    case = make_case(by=alice)
    case_services.case_add_note(case=case, by=bob, text="They called the shop too.")
    case_services.case_add_note(case=case, by=charlie, text="They called me in the south office.")
    settings.CASE_VISIBILITY = "team"
    with pytest.raises(NotPermitted):
        case_services.case_add_note(case=case, by=charlie, text="I should not see this case.")


def test_first_contact_resolution_comes_from_the_history(alice, bob):
    quick = make_case(by=alice)
    resolution_services.case_resolve(case=quick, by=alice, resolution_summary="Refunded", root_cause="process")
    handed = make_case(by=alice)
    case_services.case_handover(case=handed, to="bob", reason="Specialist in billing", by=alice)
    resolution_services.case_resolve(case=handed, by=bob, resolution_summary="Refunded", root_cause="process")
    replied = make_case(by=alice)
    events.message_received(replied, text="Still broken", channel="email", at=timezone.now())
    resolution_services.case_resolve(case=replied, by=alice, resolution_summary="Fixed", root_cause="system")
    flags = {c.pk: c.resolved_on_first_contact for c in Case.objects.all()}
    assert flags == {quick.pk: True, handed.pk: False, replied.pk: False}


def test_reopen_goes_back_to_the_same_owner(alice):
    case = make_case(by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Fixed", root_cause="system")
    case = resolution_services.case_reopen(case=case, by=alice, reason="It broke again")
    assert (case.owner, case.status, case.resolved_at) == (alice, CaseStatus.OPEN, None)


def test_reopen_when_the_owner_has_left_goes_to_their_lead_recorded(alice, lena):
    case = make_case(by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Fixed", root_cause="system")
    alice.is_active = False
    alice.save()
    case = resolution_services.case_reopen(case=case, by=lena, reason="Customer called back")
    assert case.owner == lena
    event = case.events.get(kind=EventKind.REOPENED)
    assert event.data["previous_owner"] == "alice" and event.data["owner"] == "lena"


def test_resolved_cases_close_by_themselves_after_the_configured_time(alice, settings):
    settings.CASE_AUTO_CLOSE_AFTER_HOURS = 24
    case = make_case(by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Fixed", root_cause="system")
    assert tasks.close_resolved_cases() == 0
    Case.objects.filter(pk=case.pk).update(resolved_at=timezone.now() - timedelta(hours=25))
    assert tasks.close_resolved_cases() == 1
    assert tasks.close_resolved_cases() == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.events.filter(kind=EventKind.CLOSED).count() == 1


ACTIONS = {
    "resolve": lambda case, by: resolution_services.case_resolve(
        case=case, by=by, resolution_summary="x", root_cause="system"
    ),
    "message": lambda case, by: case_services.case_send_message(case=case, by=by, text="x"),
    "escalate": lambda case, by: case_services.case_escalate(case=case, by=by, level="executive", reason="why"),
    "reopen": lambda case, by: resolution_services.case_reopen(case=case, by=by, reason="why"),
    "promise": lambda case, by: promise_services.promise_make(
        case=case, by=by, text="x", due_at=timezone.now() + timedelta(days=1)
    ),
}
ALLOWED = {
    CaseStatus.OPEN: {"resolve", "message", "escalate", "promise"},
    CaseStatus.WAITING_ON_CUSTOMER: {"resolve", "message", "escalate", "promise"},
    CaseStatus.RESOLVED: {"reopen"},
    CaseStatus.CLOSED: {"reopen"},
}


@pytest.mark.parametrize("status", list(ALLOWED))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_moves_outside_the_transitions_are_refused_naming_the_status(alice, erin, status, action):
    case = make_case(by=alice)
    Case.objects.filter(pk=case.pk).update(status=status)
    if action in ALLOWED[status]:
        ACTIONS[action](case, alice)
    else:
        with pytest.raises(NotAllowedInStatus) as refused:
            ACTIONS[action](case, alice)
        assert status in refused.value.detail


def _outbox_down(monkeypatch):
    """The last step of each service fails: everything it wrote before must roll back with it."""

    def mail_server_down(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(emails, "queue_email", mail_server_down)


def test_assign_is_all_or_nothing(alice, lena, monkeypatch):
    case = make_case()
    events_before = case.events.count()
    _outbox_down(monkeypatch)
    with pytest.raises(RuntimeError):
        case_services.case_assign(case=case, to="alice", by=lena)
    case.refresh_from_db()
    assert (case.owner, case.status) == (None, CaseStatus.NEW)
    assert case.events.count() == events_before


def test_resolve_is_all_or_nothing(alice, monkeypatch):
    case = make_case(by=alice)
    _outbox_down(monkeypatch)
    with pytest.raises(RuntimeError):
        resolution_services.case_resolve(case=case, by=alice, resolution_summary="Refunded", root_cause="process")
    case.refresh_from_db()
    assert (case.status, case.resolution_summary, case.resolved_at) == (CaseStatus.OPEN, "", None)
    assert not case.events.filter(kind=EventKind.RESOLVED).exists()


def test_a_customer_reopen_is_all_or_nothing(alice, monkeypatch):
    case = make_case(by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Refunded", root_cause="process")
    _outbox_down(monkeypatch)
    with pytest.raises(RuntimeError):
        resolution_services.case_reopen(case=case, by=None, reason="Still charged", actor_kind="customer")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.resolved_at is not None
    assert not case.events.filter(kind=EventKind.REOPENED).exists() and not case.promises.exists()


def test_resolving_with_an_open_promise_is_refused_listing_it(alice):
    case = make_case(by=alice)
    promise = promise_services.promise_make(
        case=case, by=alice, text="Refund the days", due_at=timezone.now() + timedelta(days=1)
    )
    with pytest.raises(Conflict) as refused:
        resolution_services.case_resolve(case=case, by=alice, resolution_summary="Done", root_cause="process")
    assert refused.value.status_code == 409 and "Refund the days" in refused.value.errors["promises"][0]
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    promise_services.promise_withdraw(promise=promise, by=alice, reason="The customer cancelled the refund")
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Done", root_cause="process")
    email = OutboundEmail.objects.get(key__contains=":resolved:")
    assert email.to_email == case.customer.email
    assert "Done" in email.body_text and "Alice" in email.body_text and case.public_token in email.body_text
    assert "you can reopen the case there until" in email.body_text


def test_assign_tells_the_new_owner_and_records_who_assigned(alice, lena):
    case = make_case()
    case_services.case_assign(case=case, to="alice", by=lena)
    event = case.events.get(kind=EventKind.ASSIGNED)
    assert (event.actor, event.data["to_owner"]) == (lena, "alice")
    email = OutboundEmail.objects.get(key__contains=":assigned:")
    assert email.to_email == alice.email and "Lena" in email.body_text and case.reference in email.subject


def test_handover_emails_the_new_owner(alice, bob):
    case = make_case(by=alice)
    case_services.case_handover(case=case, to="bob", reason="I am on leave from Monday", by=alice)
    email = OutboundEmail.objects.get(to_email=bob.email)
    assert case.reference in email.subject and "I am on leave from Monday" in email.body_text
