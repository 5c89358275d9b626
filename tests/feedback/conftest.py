import pytest

from tests.complaints.factories import CategoryFactory
from tests.feedback.factories import make_policy, make_suggestion


@pytest.fixture
def billing(db):
    return CategoryFactory(slug="billing", name="Billing")


@pytest.fixture
def refunds(mona, billing):
    """The refund policy: Mona decides; it covers billing cases whose root cause is the policy."""
    return make_policy(by=mona, categories=[billing])


@pytest.fixture
def suggestion(alice, refunds):
    return make_suggestion(author=alice, policy=refunds)


def suggestion_url(suggestion, action=""):
    return f"/api/v1/suggestions/{suggestion.pk}/{action + '/' if action else ''}"
