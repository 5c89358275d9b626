"""Case events are append-only: the ORM refuses, and on PostgreSQL so does the database."""

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError

from complaints.models import Case, CaseEvent, format_reference
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_the_orm_refuses_to_change_or_delete_events(alice):
    event = make_case(by=alice).events.first()
    event.data = {"rewritten": True}
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(pk=event.pk).update(data={})
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert "rewritten" not in event.data


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    ["UPDATE complaints_caseevent SET data = '{}' WHERE id = %s", "DELETE FROM complaints_caseevent WHERE id = %s"],
)
def test_the_database_refuses_raw_updates_and_deletes(alice, sql):
    event = make_case(by=alice).events.first()
    with (
        pytest.raises(InternalError, match="Cannot (update|delete) rows"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert CaseEvent.objects.filter(pk=event.pk, data=event.data).exists()


@pytest.mark.postgres
def test_the_append_only_trigger_is_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'complaints_caseevent'::regclass")
        names = [row[0] for row in cursor.fetchall()]
    assert any("case_event_append_only" in name for name in names)


@pytest.mark.parametrize(("pk", "reference"), [(7, "GD-000007"), (999_999, "GD-999999"), (1_234_567, "GD-1234567")])
def test_the_reference_the_database_computes_is_the_one_python_formats(pk, reference):
    """Two spellings of one rule (the generated column and format_reference, which search reads with):
    six digits with leading zeros, more when the number needs them."""
    case = Case.objects.create(pk=pk, customer=CustomerFactory(), channel="web", subject="S", description="D")
    assert case.reference == format_reference(pk) == Case.objects.get(pk=pk).reference == reference
