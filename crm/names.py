"""Names right: the one salutation every letter and screen uses, and the title rule."""

import re

from crm.models import KnownTitle

# Line breaks and other control characters never reach a letter or an email header.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_KNOWN_BY_KEY = {title.value.casefold(): title.value for title in KnownTitle}
# The customer's own title: letters in any script (with combining marks), spaces, dots, hyphens, apostrophes.
OWN_TITLE = re.compile(r"^[^\W\d_](?:[^\W\d_]|[\u0300-\u036f\u0900-\u097f\u0e00-\u0e7f .'\u2019-])*$")
TITLE_MAX_LENGTH = 40


def clean_text(value: str) -> str:
    """A name part as stored, without control characters, with spaces collapsed at the ends."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value or "").split())


def normalise_title(raw: str) -> str:
    """A known title in its usual spelling ('mrs.' -> 'Mrs'), the customer's own title as written, or ''.

    Raises ValueError with the reason for anything that cannot be a title."""
    title = clean_text(raw)
    if not title:
        return ""
    known = _KNOWN_BY_KEY.get(title.rstrip(".").casefold())
    if known:
        return known
    if len(title) > TITLE_MAX_LENGTH:
        raise ValueError(f"A title can have at most {TITLE_MAX_LENGTH} characters.")
    if not OWN_TITLE.match(title):
        raise ValueError("A title can only contain letters, spaces, dots, hyphens and apostrophes.")
    return title


def salutation(customer) -> str:
    """'Dear Mrs Thomas' with a title and formal name; else 'Dear Bill' with a preferred name;
    else 'Dear <full name>'. Never guesses a title, never emits a line break."""
    title = clean_text(customer.title)
    formal_name = clean_text(customer.formal_name)
    if title and formal_name:
        return f"Dear {title} {formal_name}"
    preferred = clean_text(customer.preferred_name)
    if preferred:
        return f"Dear {preferred}"
    full_name = clean_text(customer.full_name)
    return f"Dear {full_name}" if full_name else "Dear customer"


def staff_display_name(user) -> str:
    """The name customers and colleagues see for a staff member: display name, else full name, else username."""
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    return (profile.display_name if profile else "") or user.get_full_name() or user.username
