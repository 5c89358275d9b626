import io

import pytest
from django.core.management import call_command
from django.test import Client

from complaints.management.commands.seed_demo import DEMO_STAFF
from crm.models import Customer, Service, Subscription


@pytest.mark.django_db
def test_seed_demo_twice_creates_everything_once_and_every_printed_login_works():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (Customer.objects.count(), Service.objects.count(), Subscription.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert counts == (Customer.objects.count(), Service.objects.count(), Subscription.objects.count())
    assert Customer.objects.exclude(email="").count() == 200  # and a few without email for feedback's history
    printed = out.getvalue()
    for username, role, _, password in DEMO_STAFF:
        assert f"{username:<10} {role:<10} {password}" in printed
        response = Client().post("/login/", {"username": username, "password": password}, REMOTE_ADDR="10.1.1.1")
        assert response.status_code == 302, username


@pytest.mark.django_db
def test_seed_demo_names_come_in_many_scripts_and_titles_are_never_guessed():
    call_command("seed_demo", stdout=io.StringIO())
    names = list(Customer.objects.values_list("full_name", "title"))
    assert any("\u0600" <= ch <= "\u06ff" for name, _ in names for ch in name)  # Arabic
    assert any("\u4e00" <= ch <= "\u9fff" for name, _ in names for ch in name)  # Chinese
    assert any("\u0400" <= ch <= "\u04ff" for name, _ in names for ch in name)  # Cyrillic
    assert Customer.objects.get(full_name="Ludwig van Beethoven").title == ""
    assert sum(1 for _, title in names if not title) > 50
