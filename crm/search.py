"""How typed search text is read, the same for the customers page, log a call and case search, on SQLite
and PostgreSQL alike: an email address, a phone number in any format, or words of a name in any script.
Pure: no tables here (crm.models.CustomerQuerySet.search and complaints' case search use it)."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crm.names import CONTROL_CHARACTERS

PHONE_CHARACTERS = re.compile(r"^[\d\s+().\-/]+$")
# Fewer is more likely a case reference (six digits up to a million cases) than part of a number.
MIN_PHONE_DIGITS = 7


def search_key(text: str) -> str:
    """Text as search compares it: compatibility forms unified (full-width letters), case folded
    (Straße = STRASSE, Иванова = иванова), accents and other non-spacing marks dropped (José = Jose,
    Γιώργος = Γιωργος) and spaces collapsed. Stored names and typed words both go through it."""
    decomposed = unicodedata.normalize("NFKD", CONTROL_CHARACTERS.sub(" ", text or "").casefold())
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(unicodedata.normalize("NFC", bare).split())


def whole_email(text: str) -> str:
    """The address, lower-cased as customers' addresses are stored, when the text is a whole one; else ''."""
    try:
        validate_email(text.strip())
    except ValidationError:
        return ""
    return text.strip().lower()


def name_words(text: str) -> list[str]:
    """The words of a typed name, as search keys: each must appear in the name (any order, any part)."""
    return search_key(text).split()


def phone_digits(text: str) -> str:
    """The digits to look for inside stored E.164 numbers ('' when the text is not a phone number).

    +44 20 7946 0000, 0044 20 7946 0000, +44 (0)20 7946 0000, 020 7946-0000 and 7946 0000 all find
    +442079460000: an international prefix is kept without its 00, a national trunk 0 is dropped."""
    text = (text or "").strip()
    if not PHONE_CHARACTERS.match(text):
        return ""
    text = text.replace("(0)", "")
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) < MIN_PHONE_DIGITS:
        return ""
    if text.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    return digits.lstrip("0")
