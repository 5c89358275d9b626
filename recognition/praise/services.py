"""A customer's compliment (the public /praise/ form and API, and the status page of their resolved case):
kept as a story for a moderator, who matches the people in it and picks delight or recovery. Nothing a
customer sends is dropped, however little we can match it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from complaints.intake.selectors import case_for_customer
from complaints.models import REFERENCE_PREFIX, Case
from crm.exceptions import InvalidInput
from crm.models import Customer, StaffProfile
from crm.names import clean_text
from crm.permissions import StaffUser
from crm.personal_data import ERASED, scrubbed
from crm.validation import normalise_email
from recognition.models import Story, TellerKind
from recognition.praise.selectors import compliments_of
from recognition.validation import story_text

NEEDS_THE_LINK = (
    "To thank someone for a case, use the link in our email about it (your case's own page), so we know "
    "it is yours. Or tell us their name instead."
)


def _looks_like_reference(text: str) -> bool:
    return text.strip().upper().startswith(REFERENCE_PREFIX)


@transaction.atomic(durable=True)
def compliment_submit(*, story: str, about: str, name: str = "", email: str = "", token: str = "") -> Story:
    """`about` is the person's name as the customer knows it, or a case reference: a reference counts only
    with the case's private status token (a stranger cannot attach praise to someone else's case)."""
    errors: dict[str, list[str]] = {}
    text = story_text(story, errors=errors)
    about = clean_text(about)[:200]
    name = clean_text(name)[:200]
    try:
        email = normalise_email(email)
    except ValidationError as error:
        errors["email"] = list(error.messages)
    case: Case | None = None
    if token:
        try:
            case = case_for_customer(token=token)
        except Case.DoesNotExist:
            errors["about"] = [NEEDS_THE_LINK]
    elif _looks_like_reference(about):
        errors["about"] = [NEEDS_THE_LINK]
    if not about and case is None:
        errors["about"] = ["Who would you like to thank?"]
    if errors:
        raise InvalidInput("Some answers need another look.", errors=errors)
    praised = Story.objects.create(
        teller_kind=TellerKind.CUSTOMER,
        customer_name=name or (case.customer.full_name if case else ""),
        customer_email=email,
        about_as_given=about or (case.reference or "" if case else ""),
        text=text,
        case=case,
    )
    people = _match(about, case)
    if people:
        praised.about.set(people)
    return praised


def _match(about: str, case: Case | None) -> list[int]:
    """Who the customer means: the one staff member whose display name (or its first word) is what they
    typed; else, for their own case, its owner. Anything else waits for a moderator to match."""
    if about:
        first_word = about.split(" ")[0]
        named = list(
            StaffProfile.objects.filter(Q(display_name__iexact=about) | Q(display_name__istartswith=f"{first_word} "))
            .filter(user__is_active=True)
            .values_list("user_id", flat=True)[:2]
        )
        if len(named) == 1:
            return named
    if case is not None and case.owner_id is not None:
        return [case.owner_id]
    return []


def praise_erase_personal_data(customer: Customer, identifiers: list[str], by: StaffUser, reason: str) -> None:
    """Part of crm.customers.services.customer_erase: their compliments keep who they were about and when,
    not their words or who they were; colleagues' stories about their cases lose anything naming them."""
    compliments_of(customer).update(customer_name="", customer_email="", about_as_given="", text=ERASED)
    for story in Story.objects.filter(case__customer=customer).exclude(teller_kind=TellerKind.CUSTOMER):
        text = scrubbed(story.text, identifiers)
        if text != story.text:
            Story.objects.filter(pk=story.pk).update(text=text)
