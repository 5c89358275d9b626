"""The case lifecycle as a state machine (hypothesis): any sequence of actions by any staff member
keeps one owner on every open case, never moves the case on an escalation, and leaves exactly
one history event per accepted change."""

from collections import Counter

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from complaints.cases import services as case_services
from complaints.models import Case, CaseStatus, PromiseKind
from complaints.resolution import services as resolution_services
from crm.exceptions import DomainError
from tests.complaints.factories import make_case

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# People by their relation to the case, so that generated sequences reach accepted changes as
# often as refusals: the owner (alice when there is none), a teammate, the team's lead, an agent of
# another team, a manager.
PEOPLE = ("owner", "teammate", "lead", "other team", "manager")
# Whom to hand over to: hypothesis favours the first choice, so not the owner (always refused).
HANDOVER_TARGETS = ("teammate", "other team", "lead", "owner", "manager")
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.WAITING_ON_CUSTOMER)


class CaseLifecycle(RuleBasedStateMachine):
    staff: dict = {}  # set by the test: username -> user
    accepted: Counter = Counter()  # accepted actions by name, across all runs

    @initialize(logged_by_phone=st.booleans())
    def a_complaint_arrives(self, logged_by_phone):
        # From the web: in the queue, with a first reply promised; or a call alice logged: hers.
        self.case = make_case(by=self.staff["alice"] if logged_by_phone else None)
        self.events = self.case.events.count()

    def person(self, relation: str):
        owner = Case.objects.get(pk=self.case.pk).owner or self.staff["alice"]
        teammate = self.staff["bob"] if owner == self.staff["alice"] else self.staff["alice"]
        return {
            "owner": owner,
            "teammate": teammate,
            "lead": self.staff["lena"],
            "other team": self.staff["charlie"],
            "manager": self.staff["mona"],
        }[relation]

    def attempt(self, action, expected_events=1) -> None:
        """Run one action; accepted, it adds the expected events; refused, it changes nothing."""
        before = Case.objects.get(pk=self.case.pk)
        events_before = self.case.events.count()
        expected = expected_events(before) if callable(expected_events) else expected_events
        try:
            action()
        except DomainError:
            after = Case.objects.get(pk=self.case.pk)
            assert (after.status, after.owner_id) == (before.status, before.owner_id)
            assert self.case.events.count() == events_before
            return
        self.events += expected
        self.accepted[action.__qualname__.split(".")[1]] += 1

    @rule(who=st.sampled_from(PEOPLE))
    def take(self, who):
        self.attempt(lambda: case_services.case_take(case=self.case, agent=self.person(who)))

    @rule(who=st.sampled_from(PEOPLE), to=st.sampled_from(HANDOVER_TARGETS))
    def assign(self, who, to):
        self.attempt(
            lambda: case_services.case_assign(case=self.case, to=self.person(to).username, by=self.person(who))
        )

    @rule(who=st.sampled_from(PEOPLE), to=st.sampled_from(HANDOVER_TARGETS))
    def hand_over(self, who, to):
        self.attempt(
            lambda: case_services.case_handover(
                case=self.case, to=self.person(to).username, reason="Going on leave for two weeks", by=self.person(who)
            )
        )

    @rule(who=st.sampled_from(PEOPLE), level=st.sampled_from(["lead", "manager", "executive"]))
    def escalate(self, who, level):
        owner = Case.objects.get(pk=self.case.pk).owner_id
        self.attempt(
            lambda: case_services.case_escalate(
                case=self.case, by=self.person(who), reason="Customer asked", level=level
            )
        )
        assert Case.objects.get(pk=self.case.pk).owner_id == owner  # the owner keeps the case

    @rule(who=st.sampled_from(PEOPLE))
    def add_note(self, who):
        self.attempt(lambda: case_services.case_add_note(case=self.case, by=self.person(who), text="Called the depot."))

    @rule(who=st.sampled_from(PEOPLE), await_reply=st.booleans())
    def message_customer(self, who, await_reply):
        target = CaseStatus.WAITING_ON_CUSTOMER if await_reply else CaseStatus.OPEN
        self.attempt(
            lambda: case_services.case_send_message(
                case=self.case, by=self.person(who), text="We are on it.", await_reply=await_reply
            ),
            # The message, a status change of its own when it moves the case, and one "kept" for each
            # reply promise that was open (the acknowledgement's first reply).
            expected_events=lambda before: (
                1 + (before.status != target) + before.promises.open().filter(kind=PromiseKind.REPLY).count()
            ),
        )

    @rule(who=st.sampled_from(PEOPLE))
    def resolve(self, who):
        self.attempt(
            lambda: resolution_services.case_resolve(
                case=self.case, by=self.person(who), resolution_summary="Refunded the days.", root_cause="process"
            )
        )

    @rule(who=st.sampled_from(PEOPLE))
    def reopen(self, who):
        self.attempt(
            lambda: resolution_services.case_reopen(case=self.case, by=self.person(who), reason="Still broken")
        )

    @invariant()
    def an_open_case_has_exactly_one_owner(self):
        case = Case.objects.get(pk=self.case.pk)
        if case.status in OPEN_STATUSES:
            assert case.owner_id is not None
        if case.status == CaseStatus.NEW:
            assert case.owner_id is None

    @invariant()
    def every_accepted_change_is_one_event(self):
        assert self.case.events.count() == self.events


def test_any_sequence_of_actions_keeps_the_case_consistent(alice, bob, charlie, lena, mona):
    CaseLifecycle.staff = {user.username: user for user in (alice, bob, charlie, lena, mona)}
    run_state_machine_as_test(
        CaseLifecycle,
        settings=settings(
            max_examples=100,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,  # the same sequences each run: CI cannot fail by chance
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    # The machine reached every kind of change, not only refusals.
    assert set(CaseLifecycle.accepted) >= {
        "take",
        "assign",
        "hand_over",
        "escalate",
        "add_note",
        "message_customer",
        "resolve",
        "reopen",
    }
