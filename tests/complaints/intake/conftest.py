import pytest

from complaints.cases import services as case_services
from complaints.models import Case
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution_services
from tests.complaints.factories import make_case


@pytest.fixture
def case(alice):
    """A case alice owns, with an internal note and our message awaiting the customer's reply."""
    case = make_case()
    case_services.case_take(case=case, agent=alice)
    case_services.case_add_note(case=case, by=alice, text="INTERNAL: customer sounded angry")
    case_services.case_send_message(case=case, by=alice, text="We are sending an engineer.", await_reply=True)
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def resolved(case, alice):
    """The test module's `case`, its open promises kept, resolved by alice."""
    for promise in case.promises.open():
        promise_services.promise_keep(promise=promise, by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Line fixed", root_cause="product")
    return Case.objects.get(pk=case.pk)
