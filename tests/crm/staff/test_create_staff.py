import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from crm.staff import services as staff_services


@pytest.mark.django_db
def test_create_staff_creates_a_user_with_one_role_and_a_password_from_stdin(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    call_command(
        "create_staff",
        "dora",
        "--role",
        "lead",
        "--email",
        "dora@example.com",
        "--password-stdin",
        "--display-name",
        "Dora M",
        "--team",
        "West",
        stdout=io.StringIO(),
    )
    dora = get_user_model().objects.get(username="dora")
    assert list(dora.groups.values_list("name", flat=True)) == ["lead"]
    assert dora.staff_profile.display_name == "Dora M"
    assert dora.staff_profile.team.lead == dora
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="dora", password="a long enough passphrase") == dora


@pytest.mark.django_db
def test_create_staff_again_changes_the_role_and_keeps_one_user():
    call_command("create_staff", "dora", "--role", "agent", stdout=io.StringIO())
    call_command("create_staff", "dora", "--role", "manager", stdout=io.StringIO())
    dora = get_user_model().objects.get(username="dora")
    assert list(dora.groups.values_list("name", flat=True)) == ["manager"]


@pytest.mark.django_db
def test_create_staff_refuses_a_weak_password(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    with pytest.raises(CommandError, match="password"):
        call_command("create_staff", "dora", "--role", "agent", "--password-stdin", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="dora").exists()


@pytest.mark.django_db
def test_a_display_name_with_a_line_break_is_refused_naming_the_field():
    from crm.exceptions import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        staff_services.staff_create_or_update(username="eve", role="agent", display_name="Eve\nBcc: x@evil.test")
    assert "display_name" in refused.value.errors
    assert not get_user_model().objects.filter(username="eve").exists()
