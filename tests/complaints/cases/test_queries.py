"""The case page and the case API read a fixed number of queries, however many promises, people on the
case, attachments and events it has (a promise's maker was one query each)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.cases import services as case_services
from complaints.promises import services as promise_services
from tests.complaints.factories import make_case
from tests.crm.factories import StaffFactory
from tests.queries import queries

pytestmark = pytest.mark.django_db


def grow(case, owner, size: int) -> None:
    """`size` promises (made by different people's cases' owner), notes and escalations."""
    for n in range(size):
        due = timezone.now() + timedelta(days=n + 1)
        promise_services.promise_make(case=case, by=owner, text=f"Promise {n}", due_at=due)
        case_services.case_add_note(case=case, by=owner, text=f"Note {n}")
    for n in range(min(size, 3)):
        senior = StaffFactory(username=f"senior{n}", role="manager", team_name="Management")
        case_services.case_escalate(case=case, by=owner, to=senior.username, reason="Needs a decision")


@pytest.mark.parametrize("surface", ["page", "api"])
def test_the_case_page_and_api_cost_the_same_for_one_promise_and_for_ten(
    surface, as_user, api_as, alice, django_assert_max_num_queries
):
    small, large = make_case(by=alice), make_case(by=alice)
    grow(small, alice, 1)
    grow(large, alice, 10)
    client = as_user(alice) if surface == "page" else api_as(alice)

    def url(case):
        return (
            reverse("complaints:case-detail", args=[case.reference])
            if surface == "page"
            else f"/api/v1/cases/{case.reference}/"
        )

    baseline = queries(lambda: client.get(url(small)))
    with django_assert_max_num_queries(baseline):
        client.get(url(large))
    # The page: 16, the stories told about the case, and the customer's other cases beside the conversation.
    assert baseline <= (18 if surface == "page" else 8)
