"""A suggestion's statuses and actions as data, and its history append-only (the ORM refuses, and on
PostgreSQL so does the database)."""

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError

from feedback.models import (
    ALLOWED_ACTIONS,
    TRANSITIONS,
    UNDECIDED_STATUSES,
    SuggestionAction,
    SuggestionEvent,
    SuggestionStatus,
)

pytestmark = pytest.mark.django_db


def test_every_status_has_its_moves_and_actions_and_only_decided_ones_are_final():
    assert set(TRANSITIONS) == set(ALLOWED_ACTIONS) == set(SuggestionStatus.values)
    final = {status for status, moves in TRANSITIONS.items() if not moves}
    assert final == {SuggestionStatus.IMPLEMENTED, SuggestionStatus.DECLINED, SuggestionStatus.MERGED}
    for status in UNDECIDED_STATUSES:
        assert {SuggestionAction.DECIDE, SuggestionAction.MERGE} <= ALLOWED_ACTIONS[status]
        assert SuggestionStatus.MERGED in TRANSITIONS[status]
    assert ALLOWED_ACTIONS[SuggestionStatus.MERGED] == set()
    assert ALLOWED_ACTIONS[SuggestionStatus.ACCEPTED] >= {SuggestionAction.IMPLEMENT, SuggestionAction.ENDORSE}


def test_the_orm_refuses_to_change_or_delete_history(suggestion):
    event = SuggestionEvent.objects.get(suggestion=suggestion)
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        SuggestionEvent.objects.filter(pk=event.pk).update(data={})
    with pytest.raises(TypeError):
        SuggestionEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE feedback_suggestionevent SET data = '{}' WHERE id = %s",
        "DELETE FROM feedback_suggestionevent WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_updates_and_deletes(suggestion, sql):
    event = SuggestionEvent.objects.get(suggestion=suggestion)
    with (
        pytest.raises(InternalError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert SuggestionEvent.objects.filter(pk=event.pk, data=event.data).exists()
