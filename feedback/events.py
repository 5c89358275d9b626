"""One constructor per kind of suggestion event: the only code that writes SuggestionEvent."""

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from crm.permissions import StaffUser
from feedback.models import Suggestion, SuggestionEvent, SuggestionEventKind


def _record(
    suggestion: Suggestion, kind: str, *, by: StaffUser | None, at: datetime | None = None, **data: Any
) -> SuggestionEvent:
    return SuggestionEvent.objects.create(
        suggestion=suggestion, kind=kind, actor=by, created_at=at or timezone.now(), data=data
    )


def submitted(suggestion: Suggestion, *, by: StaffUser) -> SuggestionEvent:
    return _record(
        suggestion,
        SuggestionEventKind.SUBMITTED,
        by=by,
        at=suggestion.submitted_at,
        policy=suggestion.policy_id,
        show_name=suggestion.show_name,
        decision_due_at=suggestion.decision_due_at.isoformat(),
    )


def edited(suggestion: Suggestion, *, by: StaffUser, fields: list[str]) -> SuggestionEvent:
    return _record(suggestion, SuggestionEventKind.EDITED, by=by, fields=fields)


def status_changed(
    suggestion: Suggestion, *, by: StaffUser, from_status: str, decision: str = "", **extra: Any
) -> SuggestionEvent:
    return _record(
        suggestion,
        SuggestionEventKind.STATUS_CHANGED,
        by=by,
        from_status=from_status,
        to_status=suggestion.status,
        decision=decision,
        **extra,
    )


def implemented(suggestion: Suggestion, *, by: StaffUser, on: date) -> SuggestionEvent:
    return status_changed(suggestion, by=by, from_status="accepted", implemented_on=on.isoformat())


def endorsed(suggestion: Suggestion, *, by: StaffUser) -> SuggestionEvent:
    return _record(suggestion, SuggestionEventKind.ENDORSED, by=by)


def endorsement_withdrawn(suggestion: Suggestion, *, by: StaffUser) -> SuggestionEvent:
    return _record(suggestion, SuggestionEventKind.ENDORSEMENT_WITHDRAWN, by=by)


def commented(suggestion: Suggestion, *, by: StaffUser, comment_id: int) -> SuggestionEvent:
    return _record(suggestion, SuggestionEventKind.COMMENTED, by=by, comment=comment_id)


def case_linked(suggestion: Suggestion, *, by: StaffUser, reference: str) -> SuggestionEvent:
    return _record(suggestion, SuggestionEventKind.CASE_LINKED, by=by, reference=reference)


def merged_in(target: Suggestion, *, by: StaffUser, merged: Suggestion) -> SuggestionEvent:
    """Recorded on the suggestion that absorbed another."""
    return _record(target, SuggestionEventKind.MERGED_IN, by=by, merged=merged.pk)


def reminded(suggestion: Suggestion, *, at: datetime) -> SuggestionEvent:
    return _record(suggestion, SuggestionEventKind.REMINDED, by=None, at=at)


def escalated(suggestion: Suggestion, *, at: datetime, to: list[str]) -> SuggestionEvent:
    return _record(suggestion, SuggestionEventKind.ESCALATED, by=None, at=at, to=to)
