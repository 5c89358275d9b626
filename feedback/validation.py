"""Input rules of feedback, shared by its services: every problem of a suggestion named in one answer."""

from complaints.validation import require_subject, typed_text
from crm.exceptions import InvalidInput

SUGGESTION_TEXT_MAX_LENGTH = 5_000
DECISION_MIN_LENGTH = 30
COMMENT_MAX_LENGTH = 5_000


def staff_text(value: str, *, field: str, errors: dict[str, list[str]], max_length: int) -> str:
    """Text a member of staff wrote that must be there, trimmed; a problem goes into `errors`."""
    return typed_text(value, field=field, max_length=max_length, errors=errors, missing="Write something here.")


def suggestion_texts(fields: dict[str, str], *, errors: dict[str, list[str]]) -> dict[str, str]:
    """The problem, the proposal and the expected benefit, checked together."""
    return {
        name: staff_text(fields.get(name, ""), field=name, errors=errors, max_length=SUGGESTION_TEXT_MAX_LENGTH)
        for name in ("problem", "proposal", "expected_benefit")
    }


def suggestion_subject(subject: str, *, errors: dict[str, list[str]]) -> str:
    """One line (it becomes the subject of every email about the suggestion)."""
    try:
        return require_subject(subject)[:200]
    except InvalidInput as error:
        errors.update(error.errors)
        return subject


def decision_text(text: str) -> str:
    text = (text or "").strip()
    if len(text) < DECISION_MIN_LENGTH:
        raise InvalidInput(
            "Say why, for the author and everyone who endorsed it.",
            errors={"decision": [f"Write at least {DECISION_MIN_LENGTH} characters (it has {len(text)})."]},
        )
    return text
