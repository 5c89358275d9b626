"""Input rules the complaints services share. Each raises InvalidInput naming the field."""

import re
from datetime import datetime

from django.utils import timezone

from crm.exceptions import InvalidInput

# What a customer's message (form, status page, email) may hold, in characters; a longer email is kept whole
# as a file beside the case.
CUSTOMER_TEXT_MAX_LENGTH = 10_000
REASON_MIN_LENGTH = 3
HANDOVER_REASON_MIN_LENGTH = 15
SUBJECT_LENGTH = 80
# Text a customer writes: line breaks and tabs are theirs; other control characters and lone surrogates
# (which PostgreSQL cannot store) are not text.
TEXT_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\ud800-\udfff]")
# Text bound for an email header (a subject): one line.
HEADER_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def require_text(value: str, *, field: str, min_length: int = 1) -> str:
    """Staff text that must be there (a note, a message, a reason, a summary), trimmed."""
    value = (value or "").strip()
    if len(value) < min_length:
        need = "Write something here." if min_length == 1 else f"Give at least {min_length} characters."
        raise InvalidInput("This needs some words.", errors={field: [need]})
    return value


def require_reason(reason: str, *, min_length: int = REASON_MIN_LENGTH, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if len(reason) < min_length:
        raise InvalidInput(
            "A reason is required.", errors={field: [f"Give a reason of at least {min_length} characters."]}
        )
    return reason


def require_future(due_at: datetime, *, field: str = "due_at") -> datetime:
    if timezone.is_naive(due_at):
        raise InvalidInput("Give the time with its offset.", errors={field: ["Include a time zone offset."]})
    if due_at <= timezone.now():
        raise InvalidInput("The due time is in the past.", errors={field: ["The due time must be in the future."]})
    return due_at


def require_subject(subject: str, *, field: str = "subject") -> str:
    """A case subject: one line, because it becomes the subject of every email about the case."""
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput("A subject is required.", errors={field: ["This field may not be blank."]})
    if HEADER_CONTROL_CHARACTERS.search(subject):
        raise InvalidInput("A subject is one line.", errors={field: ["Remove the line breaks and control characters."]})
    return subject


def typed_text(
    value: str,
    *,
    field: str,
    max_length: int,
    errors: dict[str, list[str]],
    required: bool = True,
    missing: str = "Please tell us this.",
) -> str:
    """What someone typed (a customer's complaint, a colleague's story or suggestion), kept as typed: ends
    trimmed, line endings made \\n. A problem is added to `errors`, so a form names every field at once."""
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        errors[field] = [missing]
    elif len(value) > max_length:
        errors[field] = [f"Please keep this under {max_length:,} characters (it has {len(value):,})."]
    elif TEXT_CONTROL_CHARACTERS.search(value):
        errors[field] = ["This contains characters we cannot store (binary data?). Please type it as text."]
    return value


def subject_from(text: str) -> str:
    """A subject for a case whose customer gave none: the first line of what they wrote, shortened."""
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "Complaint")
    first_line = HEADER_CONTROL_CHARACTERS.sub(" ", first_line).strip() or "Complaint"
    return first_line if len(first_line) <= SUBJECT_LENGTH else first_line[: SUBJECT_LENGTH - 1].rstrip() + "…"
