import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm.models import NameChange, OutboundEmail
from tests.crm.factories import CustomerFactory


@pytest.fixture
def admin_client(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "a long admin passphrase")
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", [NameChange, OutboundEmail])
def test_history_and_outbox_cannot_be_edited_in_the_admin(admin_client, model):
    customer = CustomerFactory()
    if model is NameChange:
        row = NameChange.objects.create(customer=customer, field="full_name", before="A", after="B")
    else:
        row = OutboundEmail.objects.create(
            key="k", to_email="a@example.com", subject="s", body_text="b", message_id="<x@gemdesk>"
        )
    name = model._meta.model_name
    assert admin_client.get(reverse(f"admin:crm_{name}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:crm_{name}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=row.pk).exists()


def test_a_name_changed_in_the_admin_is_kept_in_the_name_history(admin_client):
    customer = CustomerFactory(full_name="Peggy Thomas", email="peggy@example.test")
    url = reverse("admin:crm_customer_change", args=[customer.pk])
    form = {"full_name": "Margaret Thomas", "email": "peggy@example.test", "preferred_channel": "email"}
    form |= {f"subscriptions-{key}": value for key, value in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()}
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    customer.refresh_from_db()
    assert customer.full_name == "Margaret Thomas"
    [change] = NameChange.objects.filter(customer=customer)
    assert (change.field, change.before, change.after, change.changed_by.username) == (
        "full_name",
        "Peggy Thomas",
        "Margaret Thomas",
        "root",
    )


def test_the_admin_refuses_a_bad_value_with_the_reason_on_the_field(admin_client):
    customer = CustomerFactory(full_name="Ana")
    url = reverse("admin:crm_customer_change", args=[customer.pk])
    form = {"full_name": "Ana\nBcc: x@evil.test", "preferred_channel": "email"}
    form |= {f"subscriptions-{key}": value for key, value in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()}
    response = admin_client.post(url, form)
    assert response.status_code == 200 and "Remove line breaks" in response.content.decode()
    customer.refresh_from_db()
    assert customer.full_name == "Ana" and not NameChange.objects.exists()
