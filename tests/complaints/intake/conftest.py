import pytest

from complaints.models import Case
from complaints.promises import services as promise_services
from complaints.resolution import services as resolution_services


@pytest.fixture
def resolved(case, alice):
    """The test module's `case`, its open promises kept, resolved by alice."""
    for promise in case.promises.open():
        promise_services.promise_keep(promise=promise, by=alice)
    resolution_services.case_resolve(case=case, by=alice, resolution_summary="Line fixed", root_cause="product")
    return Case.objects.get(pk=case.pk)
