"""Input rules of recognition, shared by its services."""

from complaints.validation import typed_text
from crm.exceptions import InvalidInput

STORY_MAX_LENGTH = 5_000
DECLINE_REASON_MIN_LENGTH = 10


def story_text(value: str, *, field: str = "story", errors: dict[str, list[str]]) -> str:
    """What someone wrote (a story, a comment): kept as written, line breaks too; it must be there."""
    return typed_text(value, field=field, max_length=STORY_MAX_LENGTH, errors=errors, missing="Tell us what happened.")


def require_story_text(value: str, *, field: str = "story") -> str:
    errors: dict[str, list[str]] = {}
    value = story_text(value, field=field, errors=errors)
    if errors:
        raise InvalidInput("This needs some words.", errors=errors)
    return value
