"""One owner wins: many agents taking the same case at the same moment, on real PostgreSQL."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from complaints.models import Case, CaseEvent, EventKind
from tests.complaints.factories import make_case
from tests.crm.factories import StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(case: Case, agents) -> list[int]:
    barrier = threading.Barrier(len(agents))
    codes: list[int] = []

    def take(agent):
        client = APIClient()
        client.force_authenticate(agent)
        try:
            barrier.wait()
            codes.append(client.post(f"/api/v1/cases/{case.reference}/take/").status_code)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=take, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return codes


def test_twenty_agents_take_one_case_and_exactly_one_wins():
    agents = [StaffFactory(username=f"racer{n}") for n in range(20)]
    for round_number in range(5):
        case = make_case()
        codes = race(case, agents[: 2 + round_number * 4 if round_number < 4 else 20])
        assert sorted(codes) == [200] + [409] * (len(codes) - 1)
        case.refresh_from_db()
        assert case.owner in agents
        assert CaseEvent.objects.filter(case=case, kind=EventKind.TAKEN).count() == 1
