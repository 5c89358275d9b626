"""Fixtures of the incident tests: a service, and an incident on it."""

import pytest

from complaints.incidents import services as incident_services
from tests.crm.factories import ServiceFactory


@pytest.fixture
def broadband(db):
    return ServiceFactory(slug="broadband", name="Broadband")


@pytest.fixture
def incident(lena, broadband):
    return incident_services.incident_declare(
        by=lena, title="Broadband outage", services=[broadband], regions=["North"]
    )
