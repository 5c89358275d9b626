"""Policies and suggestions made the way the product makes them: through the services."""

from feedback.models import Policy
from feedback.policies.services import policy_save
from feedback.suggestions import services

DECISION = "We will try this for one quarter and measure the complaints."


def make_policy(*, by, manager=None, name="Refund policy", categories=None, root_causes=None) -> Policy:
    return policy_save(
        by=by,
        name=name,
        manager=manager or by,
        description="When and how we refund.",
        categories=categories or [],
        root_causes=root_causes if root_causes is not None else ["policy"],
    )


def make_suggestion(*, author, policy=None, subject="", cases=None, show_name=True, **texts):
    return services.suggestion_submit(
        author=author,
        policy=policy,
        subject=subject or ("" if policy else "Opening hours"),
        problem=texts.get("problem", "Customers wait three weeks for a refund of a duplicate charge."),
        proposal=texts.get("proposal", "Refund duplicate charges at once, on the first call."),
        expected_benefit=texts.get("expected_benefit", "Fewer repeat calls about refunds."),
        cases=cases or [],
        show_name=show_name,
    )
