"""Incidents: who is told, publishing once, the fan-out into the outbox, ordered updates, resolution."""

import pytest

from complaints import tasks
from complaints.emails import incident_update_batch
from complaints.exceptions import AudienceChanged
from complaints.incidents import selectors as incident_selectors
from complaints.incidents import services as incident_services
from complaints.models import IncidentStatus
from crm.customers import selectors as customer_selectors
from crm.exceptions import Conflict, InvalidInput, NotPermitted
from crm.models import Customer, OutboundEmail, Subscription
from crm.outbox import sending as outbox_sending
from tests.complaints.factories import make_case
from tests.complaints.incidents.factories import publish, subscribers
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_audience_is_subscribers_in_the_regions_with_email_not_opted_out_plus_linked_cases(incident, broadband, alice):
    north = subscribers(3, service=broadband, region="north")
    subscribers(2, service=broadband, region="south", prefix="south")
    no_email = CustomerFactory(email="")
    Subscription.objects.create(customer=no_email, service=broadband, region="north")
    Customer.objects.filter(pk=north[0].pk).update(service_notices_opt_out=True)
    Subscription.objects.filter(customer=north[1]).update(active=False)
    linked = make_case(by=alice)
    incident_services.incident_link_case(case=linked, incident=incident, by=alice)
    audience = set(incident_selectors.incident_audience(incident=incident))
    assert audience == {north[2], linked.customer}


def test_only_leads_and_managers_declare_and_publish(alice, broadband, incident):
    with pytest.raises(NotPermitted):
        incident_services.incident_declare(by=alice, title="x", services=[broadband])
    with pytest.raises(NotPermitted):
        publish(incident, alice)


def test_declaring_needs_a_title_and_a_service(lena):
    with pytest.raises(InvalidInput) as refused:
        incident_services.incident_declare(by=lena, title=" ", services=[])
    assert set(refused.value.errors) == {"title", "services"}


def test_publish_records_the_update_and_queues_the_fan_out_after_commit(
    incident, lena, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        update = publish(incident, lena)
    assert len(callbacks) == 1 and update.fanned_out_at is None


def test_publishing_the_same_update_twice_is_one_update(incident, lena):
    assert publish(incident, lena).pk == publish(incident, lena).pk
    assert incident.updates.count() == 1


def test_fan_out_writes_one_row_per_customer_sent_as_a_personal_email(incident, lena, broadband, sink, settings):
    customers = subscribers(5, service=broadband)
    Customer.objects.filter(pk=customers[0].pk).update(title="Dr", formal_name="Okafor")
    update = publish(incident, lena)
    assert tasks.fan_out_incident_update(update.pk) == 5
    assert tasks.fan_out_incident_update(update.pk) == 5
    rows = OutboundEmail.objects.filter(batch=incident_update_batch(update))
    assert rows.count() == 5
    first = rows.get(customer=customers[0])
    assert first.key == f"incident-update:{update.pk}:customer:{customers[0].pk}"
    assert all(row.to_email == row.customer.email for row in rows.select_related("customer"))
    outbox_sending.send_pending(list(rows.values_list("pk", flat=True)))
    message = next(m for m in sink.messages if customers[0].email in m["To"])
    body = message.get_payload(decode=True).decode()
    assert body.startswith("Dear Dr Okafor,") and "Engineers are repairing" in body
    # The link's token is signed with the time it was made: read it back rather than compare strings
    # (made in another second, the same customer's token is spelled differently).
    unsubscribe = "".join(message["List-Unsubscribe"].split())
    prefix = f"<{settings.GEMDESK_BASE_URL}/notices/"
    assert unsubscribe.startswith(prefix) and unsubscribe.endswith("/>")
    token = unsubscribe[len(prefix) : -2]
    assert customer_selectors.customer_from_notices_token(token) == customers[0]
    assert f"/notices/{token}/" in body and message["Subject"] == update.subject


def test_a_second_update_waits_until_the_first_has_gone_out(incident, lena, broadband):
    subscribers(3, service=broadband)
    first = publish(incident, lena)
    second = incident_services.incident_publish_update(
        incident=incident, by=lena, subject="Still working", body="Half of the cable is repaired."
    )
    assert incident_services.incident_fan_out(update_id=second.pk) is None  # first not fanned out yet
    incident_services.incident_fan_out(update_id=first.pk)
    assert incident_services.incident_fan_out(update_id=second.pk) is None  # first's emails still pending
    OutboundEmail.objects.filter(batch=incident_update_batch(first)).update(state="sent")
    assert incident_services.incident_fan_out(update_id=second.pk) == 3


def test_resolution_closes_the_incident_and_tells_linked_case_owners(incident, lena, alice):
    case = make_case(by=alice)
    incident_services.incident_link_case(case=case, incident=incident, by=alice)
    update = publish(incident, lena, is_resolution=True)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    incident_services.incident_fan_out(update_id=update.pk)
    assert OutboundEmail.objects.get(key=f"incident-update:{update.pk}:owner-of:{case.pk}").to_email == alice.email
    with pytest.raises(Conflict):
        incident_services.incident_publish_update(incident=incident, by=lena, subject="more", body="more")


def test_stalled_fan_outs_are_restarted_by_beat(incident, lena, broadband, settings):
    settings.OUTBOX_STALE_PENDING_SECONDS = -1
    update = publish(incident, lena)
    assert incident_selectors.updates_to_restart() == [update.pk]
    incident_services.incident_fan_out(update_id=update.pk)
    assert incident_selectors.updates_to_restart() == []


def test_publishing_for_a_number_of_customers_that_changed_sends_nothing(incident, lena, broadband):
    subscribers(2, service=broadband)
    with pytest.raises(AudienceChanged) as changed:
        publish(incident, lena, expected_recipients=3)
    assert (changed.value.errors, changed.value.status_code) == ({"expected_recipients": ["2"]}, 409)
    assert not incident.updates.exists()
    assert publish(incident, lena, expected_recipients=2).incident == incident


def test_the_status_changes_while_open_by_leads_and_managers_only(incident, lena, mona, alice):
    with pytest.raises(NotPermitted):
        incident_services.incident_change_status(incident=incident, by=alice, status=IncidentStatus.IDENTIFIED)
    changed = incident_services.incident_change_status(incident=incident, by=mona, status=IncidentStatus.IDENTIFIED)
    assert changed.status == IncidentStatus.IDENTIFIED
    again = incident_services.incident_change_status(incident=incident, by=lena, status=IncidentStatus.IDENTIFIED)
    assert again.status == IncidentStatus.IDENTIFIED  # the same status: nothing to do, no error
    for refused in (IncidentStatus.RESOLVED, "fixed"):
        with pytest.raises(InvalidInput) as error:
            incident_services.incident_change_status(incident=incident, by=lena, status=refused)
        assert "status" in error.value.errors
    publish(incident, lena, is_resolution=True)
    with pytest.raises(Conflict):
        incident_services.incident_change_status(incident=incident, by=lena, status=IncidentStatus.MONITORING)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
