"""A customer with a bit of everything every app holds, for the personal-data tests."""

import pytest

from complaints.cases import services as case_services
from complaints.intake import services as intake_services
from complaints.models import Case
from complaints.resolution import services as resolution_services
from crm.customers import services as customer_services
from crm.models import Subscription
from recognition.praise.services import compliment_submit
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory, ServiceFactory


@pytest.fixture
def ada(alice):
    """A customer with a bit of everything: a renamed record, a service, a case with a conversation, an
    internal note, a rating, and a compliment."""
    customer = CustomerFactory(full_name="Ada Obi", email="ada@example.test", phone="+447700900123")
    customer_services.customer_update(customer=customer, by=alice, full_name="Ada Obi-Okafor")
    Subscription.objects.create(customer=customer, service=ServiceFactory(name="Fibre", slug="fibre"), region="N")
    case = make_case(by=alice, customer=customer, description="The router blinks red since Friday.")
    intake_services.case_receive_message(case=case, text="Still red this morning.")
    case_services.case_send_message(case=case, by=alice, text="An engineer comes on Tuesday.")
    case_services.case_add_note(case=case, by=alice, text="INTERNAL: customer sounded upset")
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Router replaced", root_cause="system")
    intake_services.case_rate(case=Case.objects.get(pk=case.pk), score=5, comment="Lovely engineer")
    compliment_submit(story="Alice was kind and quick.", about="Alice", name="Ada", email="ada@example.test")
    return customer
