"""Input rules of recognition, shared by its services."""

from complaints.validation import TEXT_CONTROL_CHARACTERS
from crm.exceptions import InvalidInput

STORY_MAX_LENGTH = 5_000
DECLINE_REASON_MIN_LENGTH = 10


def story_text(value: str, *, field: str = "story", errors: dict[str, list[str]]) -> str:
    """What someone wrote (a story, a comment): kept as written, line breaks too; it must be there."""
    value = (value or "").replace("\r\n", "\n").strip()
    if not value:
        errors[field] = ["Tell us what happened."]
    elif len(value) > STORY_MAX_LENGTH:
        errors[field] = [f"Keep it under {STORY_MAX_LENGTH:,} characters (it has {len(value):,})."]
    elif TEXT_CONTROL_CHARACTERS.search(value):
        errors[field] = ["This contains characters that cannot be stored. Type it as text."]
    return value


def require_story_text(value: str, *, field: str = "story") -> str:
    errors: dict[str, list[str]] = {}
    value = story_text(value, field=field, errors=errors)
    if errors:
        raise InvalidInput("This needs some words.", errors=errors)
    return value
