import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm.models import NameChange, OutboundEmail
from tests.crm.factories import CustomerFactory

MODELS = ["customer", "namechange", "outboundemail", "team", "staffprofile", "service", "subscription"]


@pytest.fixture
def admin_client(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "a long admin passphrase")
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_every_crm_model_has_an_admin_list(admin_client, model):
    assert admin_client.get(reverse(f"admin:crm_{model}_changelist")).status_code == 200


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
