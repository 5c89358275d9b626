"""Every model of every Gemdesk app has an admin list that opens; the list is read from the app registry,
so a model added tomorrow is covered the day it lands."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

GEMDESK_APPS = ["crm", "complaints", "feedback", "recognition"]
MODELS = [model for label in GEMDESK_APPS for model in apps.get_app_config(label).get_models()]


@pytest.fixture
def admin_client(client, db):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "a long admin passphrase")
    client.force_login(root)
    return client


def test_the_registry_walk_finds_the_models():
    assert {"Customer", "OutboundEmail", "BulkEmail", "Case", "CaseEvent", "RejectedEmail", "Incident"} <= {
        model.__name__ for model in MODELS
    }


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_every_model_has_an_admin_list_that_opens(admin_client, model):
    assert admin.site.is_registered(model), f"{model._meta.label} has no admin"
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url).status_code == 200
