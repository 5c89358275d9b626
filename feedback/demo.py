"""Demo data for feedback, added by `seed_demo` after complaints' own: policies, and suggestions in every
status, one implemented eight weeks ago with five months of billing complaints around it, so its page
shows what the change did. Everything goes through the services, run as if on the days it happened."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from complaints.cases.services import case_create
from complaints.models import Category
from complaints.resolution.services import case_resolve
from crm.backdating import on
from crm.customers.services import customer_create
from crm.permissions import StaffUser
from feedback.models import Suggestion
from feedback.policies.services import policy_save
from feedback.suggestions import services

DECISION = "Agreed: this removes a step customers keep complaining about, and costs us little."


def seed() -> None:
    if Suggestion.objects.exists():
        return  # demo history: made once
    users = get_user_model().objects
    manager, agent, agent2, lead = (users.get(username=u) for u in ("manager", "agent", "agent2", "lead"))
    billing, visits = Category.objects.get(slug="billing"), Category.objects.get(slug="engineer-visit")
    now = timezone.now()
    refunds = policy_save(
        by=manager,
        name="Refund policy",
        manager=manager,
        description="When and how customers get their money back.",
        categories=[billing],
        root_causes=["policy"],
    )
    appointments = policy_save(
        by=manager,
        name="Engineer appointments",
        manager=manager,
        description="How engineer visits are booked and kept.",
        categories=[visits],
        root_causes=["process"],
    )
    change = _refund_complaints(agent, billing, now)

    with on(now - timedelta(weeks=16)):
        implemented = services.suggestion_submit(
            author=agent,
            policy=refunds,
            problem="Customers charged twice wait three weeks for the refund and call us every few days.",
            proposal="Let the agent on the call refund a duplicate charge at once, up to £100.",
            expected_benefit="Far fewer repeat calls and complaints about duplicate charges.",
        )
        services.suggestion_endorse(suggestion=implemented, by=agent2)
    with on(now - timedelta(weeks=14)):
        services.suggestion_decide(suggestion=implemented, by=manager, status="accepted", decision=DECISION)
    with on(change):
        services.suggestion_mark_implemented(suggestion=implemented, by=manager, on=change.date())

    with on(now - timedelta(days=20)):
        accepted = services.suggestion_submit(
            author=agent2,
            policy=appointments,
            problem="Customers take a day off and the engineer does not come; nobody tells them.",
            proposal="Text the customer the morning of the visit with a two-hour window.",
            expected_benefit="Fewer missed visits and fewer complaints about wasted days off.",
        )
    with on(now - timedelta(days=5)):
        services.suggestion_decide(suggestion=accepted, by=manager, status="accepted", decision=DECISION)
    with on(now - timedelta(days=10)):
        asked = services.suggestion_submit(
            author=lead,
            policy=refunds,
            problem="Goodwill credits need a manager's approval, which takes days.",
            proposal="Let leads approve goodwill credits up to £50.",
            expected_benefit="Faster apologies that customers can feel.",
        )
    services.suggestion_decide(
        suggestion=asked,
        by=manager,
        status="needs_info",
        decision="How many credits a week would this be, and of what size? Please add the cases.",
    )
    reviewing = services.suggestion_submit(
        author=agent,
        subject="Hold music",
        problem="Callers hear the same ten seconds of music for twenty minutes.",
        proposal="Tell callers their place in the queue instead.",
        expected_benefit="Less anger by the time we answer.",
        show_name=False,
    )
    services.suggestion_decide(suggestion=reviewing, by=manager, status="under_review")
    with on(now - timedelta(days=16)):
        services.suggestion_submit(
            author=agent2,
            policy=appointments,
            problem="Visits are booked for 8am to 6pm: a whole day.",
            proposal="Offer morning or afternoon slots.",
            expected_benefit="Customers lose half a day, not a whole one.",
        )  # waiting past its decision date
    declined = services.suggestion_submit(
        author=agent2,
        policy=refunds,
        problem="Refunds go back to the card, which some customers have cancelled.",
        proposal="Refund everything by bank transfer.",
        expected_benefit="No failed refunds.",
    )
    services.suggestion_decide(
        suggestion=declined,
        by=manager,
        status="declined",
        decision="Bank transfers need details we must not hold; failed card refunds are retried by the bank.",
    )
    duplicate = services.suggestion_submit(
        author=lead,
        policy=refunds,
        problem="Duplicate charges take weeks to refund.",
        proposal="Refund them on the call.",
        expected_benefit="Fewer calls.",
    )
    services.suggestion_submit(
        author=agent,
        policy=refunds,
        problem="Customers cannot see when a refund will arrive.",
        proposal="Email the expected date when we start a refund.",
        expected_benefit="Fewer 'where is my refund' calls.",
    )
    services.suggestion_merge(suggestion=duplicate, into=accepted.pk, by=manager)


def _refund_complaints(agent: StaffUser, billing: Category, now: datetime) -> datetime:
    """Billing complaints caused by the refund policy: five a week for the twelve weeks before the change,
    two a week since; returns the day it went live. The customers have no email address, so the demo sends
    none of their mail."""
    customers = [
        customer_create(by=None, full_name=f"Demo Customer {n}", phone=f"+44 20 7946 9{n:03d}") for n in range(5)
    ]
    # Weeks from Monday, as the trend counts them; the change went live on a Monday eight weeks ago.
    eight_weeks_ago = timezone.localtime(now) - timedelta(weeks=8)
    change = (eight_weeks_ago - timedelta(days=eight_weeks_ago.weekday())).replace(hour=10, minute=0)
    weeks = [(change - timedelta(weeks=w), 5) for w in range(12, 0, -1)] + [
        (change + timedelta(weeks=w), 2) for w in range(8)
    ]
    for start, count in weeks:
        for n in range(count):
            with on(start + timedelta(days=n, hours=2)):
                case = case_create(
                    customer=customers[n],
                    channel="phone",
                    subject="Charged twice, still no refund",
                    description="Charged twice; the refund has not arrived.",
                    by=agent,
                    category=billing,
                )
                case_resolve(case=case, by=agent, resolution_summary="Refund chased", root_cause="policy")
    return change
