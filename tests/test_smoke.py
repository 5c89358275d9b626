import pytest

from tests.crm.factories import StaffFactory


@pytest.mark.django_db
def test_role_groups_exist_after_migrate():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {"agent", "lead", "manager", "executive"}


def test_persona_has_role_and_team(alice, lena):
    assert alice.groups.filter(name="agent").exists()
    assert alice.staff_profile.team.lead == lena
    assert StaffFactory(username="alice").pk == alice.pk
