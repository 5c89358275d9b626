"""The rules for customer fields, in one place: the API, the forms, the import and public intake use them.

`clean_customer_fields` returns cleaned values or raises InvalidInput naming every bad field.
"""

import re
from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crm.exceptions import InvalidInput
from crm.models import ContactChannel, Customer
from crm.names import CONTROL_CHARACTERS, clean_text, normalise_title

# Fields a person may set on a customer, and their longest allowed values (from the model).
EDITABLE_FIELDS = [
    "full_name",
    "preferred_name",
    "title",
    "formal_name",
    "pronouns",
    "name_pronunciation",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "country",
    "language",
    "preferred_channel",
    "notes",
]
NAME_FIELDS = ["full_name", "preferred_name", "title", "formal_name", "pronouns", "name_pronunciation"]
MULTILINE_FIELDS = {"notes"}
CONTROL_EXCEPT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _max_length(field: str) -> int | None:
    return getattr(Customer._meta.get_field(field), "max_length", None)


def normalise_email(raw: str) -> str:
    """Trimmed and lower-cased, so one mailbox is one customer however it is typed."""
    email = (raw or "").strip()
    if not email:
        return ""
    validate_email(email)
    return email.lower()


def normalise_phone(raw: str) -> str:
    """E.164 (+442079460000) from what a person typed, using the default region for national numbers."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, settings.CRM_DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValidationError("Enter a phone number, e.g. +44 20 7946 0000.") from error
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValidationError("This is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_customer_fields(
    fields: dict[str, Any], *, instance: Customer | None = None, check_email_taken: bool = True
) -> dict[str, Any]:
    """Clean the given fields (a subset of EDITABLE_FIELDS). Raises InvalidInput with every problem at once.
    `check_email_taken=False`: the caller's INSERT gives way to the unique rule itself."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    unknown = set(fields) - set(EDITABLE_FIELDS)
    for field in sorted(unknown):
        errors[field] = ["Unknown field."]

    for field in EDITABLE_FIELDS:
        if field not in fields:
            continue
        value = fields[field]
        value = "" if value is None else str(value)
        if field in MULTILINE_FIELDS:
            if CONTROL_EXCEPT_LINE_BREAKS.search(value):
                errors[field] = ["Remove the control characters."]
                continue
            value = value.strip()
        else:
            if CONTROL_CHARACTERS.search(value):
                errors[field] = ["Remove line breaks and control characters."]
                continue
            value = clean_text(value)
        limit = _max_length(field)
        if limit and len(value) > limit:
            errors[field] = [f"At most {limit} characters (this has {len(value)})."]
            continue
        try:
            if field == "title":
                value = normalise_title(value)
            elif field == "email":
                value = normalise_email(value)
            elif field == "phone":
                value = normalise_phone(value)
            elif field == "preferred_channel" and value not in ContactChannel.values:
                raise ValueError(f"Choose one of {', '.join(ContactChannel.values)}.")
            elif field == "country" and value and not (len(value) == 2 and value.isalpha()):
                raise ValueError("Use the two-letter country code, e.g. GB.")
        except ValidationError as error:
            errors[field] = list(error.messages)
            continue
        except ValueError as error:
            errors[field] = [str(error)]
            continue
        cleaned[field] = value.upper() if field == "country" else value

    if "full_name" in fields and not cleaned.get("full_name") and "full_name" not in errors:
        errors["full_name"] = ["Enter the customer's name as they write it."]
    if cleaned.get("email") and check_email_taken:
        clash = Customer.objects.filter(email=cleaned["email"])
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        existing = clash.values_list("pk", flat=True).first()
        if existing is not None:
            errors["email"] = [f"Customer {existing} already has this email address."]
    if errors:
        raise InvalidInput("Some fields need attention.", errors=errors)
    return cleaned
