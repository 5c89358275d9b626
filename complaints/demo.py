"""Twelve weeks of complaints with their whole histories, for the figures dashboard of the demo (seed_demo):
taken, answered, handed over, escalated, promised and kept (or not), resolved with a root cause, rated and
reopened, each step through the services as if on the day it happened, and some left open.

The figures' recompute test draws its cases from case_history too: whatever a history does, the figures
must say what its events say."""

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.test import override_settings
from django.utils import timezone

from complaints import emails
from complaints.cases import services as case_services
from complaints.intake import services as intake
from complaints.models import Case, Category, RootCause
from complaints.promises import services as promises
from complaints.resolution import services as resolution
from crm.backdating import on
from crm.exceptions import DomainError
from crm.models import Customer, Service
from crm.permissions import StaffUser

HISTORY_WEEKS = 12
SUBJECTS = [
    ("Charged twice this month", "My card was charged twice for the same bill and nobody answers my emails."),
    ("Engineer did not come", "I took the day off and the engineer never came, nor did anyone call."),
    ("Broadband drops every evening", "The connection drops around 8pm every evening; I work from home."),
    ("Wrong tariff after renewal", "You moved me to a dearer tariff without asking."),
    ("Router never arrived", "The tracking says delivered, but there is no router here."),
    ("Cancelled but still billed", "I cancelled in March and you still take money every month."),
    ("Rude call centre", "The agent hung up on me when I asked for a manager."),
]


def _attempt(action, *args, **kwargs):  # type: ignore[no-untyped-def]
    """A history tries what people try; when the product refuses (resolving with a promise open, a
    handover to the owner), that step did not happen."""
    try:
        return action(*args, **kwargs)
    except DomainError:
        return None


def case_history(
    rng: random.Random,
    opened: datetime,
    *,
    customer: Customer,
    agents: Sequence[StaffUser],
    categories: Sequence[Category | None],
    services: Sequence[Service | None],
    now: datetime,
) -> Case:
    """One complaint opened at `opened`, and what happened to it until `now` at the latest."""
    clock = opened

    def later(hours: float):  # type: ignore[no-untyped-def]
        nonlocal clock
        clock = min(clock + timedelta(hours=hours), now)
        return on(clock)

    agent = rng.choice(agents)
    subject, description = rng.choice(SUBJECTS)
    with on(clock):
        case = case_services.case_create(
            customer=customer,
            channel=rng.choice(["web", "email", "web", "phone"]),
            subject=subject,
            description=description,
            by=agent if rng.random() < 0.3 else None,
            category=rng.choice(categories),
            service=rng.choice(services),
        )
    if rng.random() < 0.8:
        with later(rng.uniform(0, 0.5)):
            case_services.acknowledgement_sent(key=emails.acknowledgement_key(case), sent_at=clock)
    if case.owner is None:
        if rng.random() < 0.1:
            return case  # still in the queue
        with later(rng.uniform(0.1, 30)):
            case = case_services.case_take(case=case, agent=agent)
    owner = case.owner
    assert owner is not None
    if rng.random() < 0.85:
        with later(rng.uniform(0.1, 40)):
            case_services.case_send_message(case=case, by=owner, text="Thank you for telling us. We are on it.")
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        to = rng.choice([a for a in agents if a != owner])
        with later(rng.uniform(1, 20)):
            reason = "My shift ends and they know this system well"
            if _attempt(case_services.case_handover, case=case, to=to.username, reason=reason, by=owner):
                owner = to
    if rng.random() < 0.2:
        with later(rng.uniform(1, 10)):
            _attempt(case_services.case_escalate, case=case, by=owner, reason="Needs a goodwill decision", level="lead")
    if rng.random() < 0.08:
        with later(rng.uniform(1, 10)):
            _attempt(intake.case_customer_asks_for_manager, case=case, reason="Nobody listens to me")
    if rng.random() < 0.6:
        with later(1):
            promise = _attempt(
                promises.promise_make,
                case=case,
                by=owner,
                text="A refund to your card",
                due_at=clock + timedelta(days=1),
            )
        if promise is not None:
            outcome = rng.choices(["on_time", "late", "reschedule", "break", "withdraw"], [6, 1, 2, 1, 1])[0]
            if outcome == "reschedule":
                with later(5):
                    promise = promises.promise_reschedule(
                        promise=promise,
                        by=owner,
                        due_at=clock + timedelta(days=2),
                        reason="The bank needs two more days",
                    )
            if outcome == "break":
                with later(5):
                    promises.promise_break(promise=promise, by=owner, reason="Finance refused it; we offer a credit")
            elif outcome == "withdraw":
                with later(5):
                    promises.promise_withdraw(promise=promise, by=owner, reason="You asked for a credit instead")
            else:
                with later(30 if outcome == "late" else 5):
                    promises.promise_keep(promise=promise, by=owner)
    for promise in case.promises.open():  # the first reply, when we phoned instead of writing
        with later(1):
            _attempt(promises.promise_break, promise=promise, by=owner, reason="We phoned you instead")
    if rng.random() < 0.75 and clock < now:
        with later(rng.uniform(1, 100)):
            resolved = _attempt(
                resolution.case_resolve,
                case=case,
                by=owner,
                resolution_summary="Put right and explained",
                root_cause=rng.choices(RootCause.values, [5, 8, 3, 6, 2, 4, 1, 2])[0],
            )
        if resolved is not None and clock < now:
            if rng.random() < 0.5:
                with later(2):
                    intake.case_rate(case=case, score=rng.choices([1, 2, 3, 4, 5], [1, 1, 2, 4, 5])[0], comment="")
            if rng.random() < 0.1:
                with later(3):
                    resolution.case_reopen(case=case, by=owner, reason="The customer says it is not fixed")
    return case


def seed_history(
    *,
    agents: Sequence[StaffUser],
    customers: Sequence[Customer],
    categories: Sequence[Category],
    now: datetime | None = None,
) -> int:
    """One to three complaints a working day for the last HISTORY_WEEKS weeks. Their emails go to memory,
    not the console: they were "sent" weeks ago."""
    now = now or timezone.now()
    rng = random.Random(12)
    in_category: list[Category | None] = [*categories, None]
    services = [*Service.objects.order_by("pk"), None]
    made = 0
    start = timezone.localtime(now - timedelta(weeks=HISTORY_WEEKS)).replace(hour=8, minute=0, second=0, microsecond=0)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for day in range(HISTORY_WEEKS * 7):
            morning = start + timedelta(days=day)
            for _ in range(rng.randint(0, 1) if morning.weekday() >= 5 else rng.randint(1, 3)):
                opened = morning + timedelta(minutes=rng.randrange(10 * 60))
                if opened < now:
                    case_history(
                        rng,
                        opened,
                        customer=rng.choice(customers),
                        agents=agents,
                        categories=in_category,
                        services=services,
                        now=now,
                    )
                    made += 1
    return made
