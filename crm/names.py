"""Names right: the one salutation every letter and screen uses, and the title rule. Pure: no tables here."""

import re
import unicodedata
from typing import TYPE_CHECKING, Protocol

from django.db.models import TextChoices

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class KnownTitle(TextChoices):
    """Titles offered in forms. A customer may also give their own (kept as written)."""

    MR = "Mr"
    MRS = "Mrs"
    MS = "Ms"
    MISS = "Miss"
    MX = "Mx"
    DR = "Dr"
    PROF = "Prof"
    REV = "Rev"
    SIR = "Sir"
    DAME = "Dame"


class NamedPerson(Protocol):
    """What the salutation reads: a Customer, or anything with its name fields."""

    full_name: str
    preferred_name: str
    title: str
    formal_name: str


# Line breaks and other control characters never reach a letter or an email header. Lone
# surrogates (possible in JSON) cannot be stored or sent either.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_KNOWN_BY_KEY = {title.value.casefold(): title.value for title in KnownTitle}
TITLE_MAX_LENGTH = 40
# Besides letters and marks of every script and spaces, a title may hold these: dots (Latin, full-width,
# ideographic), apostrophes (ASCII, typographic, Hebrew geresh) and hyphens (ASCII, Unicode, Hebrew maqaf).
TITLE_PUNCTUATION = frozenset(".．。'’ʼ׳-‐‑־")


def clean_text(value: str) -> str:
    """A name part as the customer wrote it: the ends trimmed, every character inside kept
    (an ideographic space stays an ideographic space). Control characters are refused at input
    (crm.validation); anything that reached a record some other way becomes a space here."""
    return CONTROL_CHARACTERS.sub(" ", value or "").strip()


def _is_title_character(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] in "LM" or category == "Zs" or character in TITLE_PUNCTUATION


def normalise_title(raw: str) -> str:
    """A known title in its usual spelling ('mrs.' -> 'Mrs'), the customer's own title as written, or ''.

    Raises ValueError with the reason for anything that cannot be a title."""
    title = (raw or "").strip()
    if not title:
        return ""
    known = _KNOWN_BY_KEY.get(title.rstrip(".").casefold())
    if known:
        return known
    if len(title) > TITLE_MAX_LENGTH:
        raise ValueError(f"A title can have at most {TITLE_MAX_LENGTH} characters.")
    if not unicodedata.category(title[0]).startswith("L") or not all(map(_is_title_character, title)):
        raise ValueError("A title can only contain letters, spaces, dots, hyphens and apostrophes.")
    return title


def salutation(customer: NamedPerson) -> str:
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


def staff_display_name(user: "User | None") -> str:
    """The name customers and colleagues see for a staff member: display name, else full name, else username."""
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    return name_to_show(profile.display_name if profile else "", user.first_name, user.last_name, user.username)


def name_to_show(display_name: str | None, first_name: str, last_name: str, username: str) -> str:
    """staff_display_name from the columns alone, for lists read without building a user each."""
    return display_name or f"{first_name} {last_name}".strip() or username
