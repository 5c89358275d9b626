"""Every write to a customer: one function per action, each in one transaction. Every path that
creates or changes a customer (pages, API, public intake, email in, the CSV import, the admin) comes
here, so the field rules and the name history hold everywhere."""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from crm.customers.selectors import personal_data
from crm.database import insert_or_find
from crm.exceptions import Conflict, InvalidInput, NotPermitted
from crm.models import (
    Customer,
    EmailState,
    NameChange,
    OutboundEmail,
    PersonalDataRequest,
    PersonalDataRequestKind,
)
from crm.permissions import StaffUser, can_erase_personal_data, can_export_personal_data
from crm.personal_data import ERASED, erase_everywhere, identifiers_of, scrubbed
from crm.times import absolute
from crm.validation import EDITABLE_FIELDS, NAME_FIELDS, clean_customer_fields, normalise_email


def _record_name_changes(customer: Customer, changes: dict[str, tuple[str, str]], *, by: StaffUser | None) -> None:
    NameChange.objects.bulk_create(
        NameChange(customer=customer, field=field, before=before, after=after, changed_by=by)
        for field, (before, after) in changes.items()
    )


@transaction.atomic
def customer_create(*, by: StaffUser | None, **fields: str) -> Customer:
    """A new customer, names as they write them. `by` is the staff member, or None (public intake);
    nothing is recorded of who created a customer beyond the case it came with."""
    cleaned = clean_customer_fields(fields)
    return Customer.objects.create(**cleaned)


def customer_find_or_create_by_email(*, email: str, **fields: str) -> tuple[Customer, bool]:
    """The customer with this address (and False), or a new one (and True); call inside a transaction.
    Two first messages from one new address at the same moment both end with the one customer: the
    loser's INSERT waits for the winner's row and gives way to the unique rule (no savepoint, nothing
    aborted), then reads it. One statement on PostgreSQL, new customer or known (crm.database.insert_or_find).
    A known customer is found whatever the name given with the address, even one a new customer could not have."""
    try:
        customer = Customer(**clean_customer_fields({**fields, "email": email}, check_email_taken=False))
    except InvalidInput:
        known = Customer.objects.filter(email=email).first()
        if known is None:
            raise
        return known, False
    return insert_or_find(customer, email=email)


@transaction.atomic
def customer_update(*, customer: Customer, by: StaffUser | None, **fields: str) -> Customer:
    """Change a customer; every change to a name field or the title is kept in the name history."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    cleaned = clean_customer_fields(fields, instance=customer)
    changes = {
        field: (getattr(customer, field), value)
        for field, value in cleaned.items()
        if field in NAME_FIELDS and getattr(customer, field) != value
    }
    for field, value in cleaned.items():
        setattr(customer, field, value)
    customer.save()
    _record_name_changes(customer, changes, by=by)
    return customer


@transaction.atomic
def customer_confirm_name(*, customer: Customer, by: StaffUser) -> Customer:
    """Record that the name, title and pronunciation were confirmed with the customer, by whom and when."""
    Customer.objects.filter(pk=customer.pk).update(name_confirmed_at=timezone.now(), name_confirmed_by=by)
    customer.refresh_from_db()
    return customer


@transaction.atomic
def customer_stop_service_notices(*, customer: Customer) -> Customer:
    """The customer's stop link in a notice: no more incident emails (crm.customers.selectors.notices_token)."""
    Customer.objects.filter(pk=customer.pk).update(service_notices_opt_out=True)
    customer.refresh_from_db()
    return customer


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    failures: list[tuple[int, str]] = dataclass_field(default_factory=list)


def _clean_import_row(fields: dict[str, str]) -> dict[str, str]:
    """The row's fields by the API's rules; the email is checked against the database in bulk, not here."""
    cleaned = clean_customer_fields({k: v for k, v in fields.items() if k != "email"})
    try:
        cleaned["email"] = normalise_email(fields["email"])
    except ValidationError as error:
        raise InvalidInput("Bad email.", errors={"email": list(error.messages)}) from error
    if not cleaned["email"]:
        raise InvalidInput("No email.", errors={"email": ["needed to match the customer"]})
    return cleaned


@transaction.atomic
def customers_import(rows: list[tuple[int, dict[str, str]]], *, by: StaffUser | None = None) -> ImportResult:
    """Upsert customers by email from numbered rows (a CSV's line numbers), in bulk statements: each bad row
    is reported with its number and reason and changes nothing; name changes are kept in the history."""
    result = ImportResult()
    good: list[tuple[int, dict[str, str]]] = []
    for line, fields in rows:
        try:
            good.append((line, _clean_import_row(fields)))
        except InvalidInput as error:
            reasons = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.errors.items())
            result.failures.append((line, reasons))
    existing = {c.email: c for c in Customer.objects.filter(email__in=[fields["email"] for _, fields in good])}
    seen: set[str] = set()
    to_create: list[Customer] = []
    to_update: list[Customer] = []
    name_changes: list[NameChange] = []
    changed_fields: set[str] = set()
    for line, fields in good:
        if fields["email"] in seen:
            result.failures.append((line, f"email: {fields['email']} appears twice in the file"))
            continue
        seen.add(fields["email"])
        current = existing.get(fields["email"])
        if current is None:
            to_create.append(Customer(**fields))
            continue
        for name, value in fields.items():
            if getattr(current, name) != value:
                if name in NAME_FIELDS:
                    before = getattr(current, name)
                    change = NameChange(customer=current, field=name, before=before, after=value, changed_by=by)
                    name_changes.append(change)
                setattr(current, name, value)
                changed_fields.add(name)
        to_update.append(current)
    for customer in to_update:
        customer.refresh_search_name()  # bulk_update writes the attribute as it is
    Customer.objects.bulk_create(to_create)
    if changed_fields:
        Customer.objects.bulk_update(to_update, sorted(changed_fields | {"search_name"}))
    NameChange.objects.bulk_create(name_changes)
    result.created, result.updated = len(to_create), len(to_update)
    return result


@transaction.atomic
def customer_export(*, customer: Customer, by: StaffUser) -> dict[str, Any]:
    """A copy of everything we hold about the customer (crm.customers.selectors.personal_data), for
    managers and whoever holds crm.export_personal_data; each export is recorded (who, when)."""
    if not can_export_personal_data(by):
        raise NotPermitted("Only managers, or staff given the right, export a customer's personal data.")
    PersonalDataRequest.objects.create(customer=customer, kind=PersonalDataRequestKind.EXPORT, by=by)
    return personal_data(customer)


ERASURE_REASON_MIN_LENGTH = 10


@transaction.atomic(durable=True)
def customer_erase(*, customer: Customer, by: StaffUser, reason: str) -> Customer:
    """Erase a customer's personal data at their request (GDPR article 17): their name, email, phone,
    address and everything they wrote, in every app, become "[erased]"; mail still to go to them is not
    sent; their services end. What happened and when stays (cases, events, times, outcomes), so every
    figure is the same. Managers only; recorded with who, when and why, on the customer and each case."""
    if not can_erase_personal_data(by):
        raise NotPermitted("Only managers erase a customer's personal data.")
    reason = (reason or "").strip()
    if len(reason) < ERASURE_REASON_MIN_LENGTH:
        raise InvalidInput(
            "Say why.", errors={"reason": [f"Give a reason of at least {ERASURE_REASON_MIN_LENGTH} characters."]}
        )
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        raise Conflict(f"Their personal data was already erased on {absolute(customer.erased_at)}.")
    identifiers = identifiers_of(customer)
    reason = scrubbed(reason, identifiers)  # "Ada Obi asked by phone" must not keep her name
    if connection.vendor == "postgresql":
        # The one way past the histories' append-only trigger: this customer's, in this transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('gemdesk.erasing_customer', %s, true)", [str(customer.pk)])
    erase_everywhere(customer, identifiers, by=by, reason=reason)
    _erase_outbox(customer, identifiers)
    customer.name_changes.update(before=ERASED, after=ERASED)
    customer.subscriptions.update(active=False)
    for field in ERASED_CUSTOMER_FIELDS:
        setattr(customer, field, "")
    customer.full_name = ERASED
    customer.name_confirmed_at = customer.name_confirmed_by = None
    customer.service_notices_opt_out = True
    customer.erased_at = timezone.now()
    customer.save()  # search_name too
    PersonalDataRequest.objects.create(customer=customer, kind=PersonalDataRequestKind.ERASURE, by=by, reason=reason)
    return customer


# Everything a person may set on a customer is theirs to erase, but the name (it becomes "[erased]") and the
# coarse facts the figures group by (country, language, preferred channel).
ERASED_CUSTOMER_FIELDS = [
    field for field in EDITABLE_FIELDS if field not in ("full_name", "country", "language", "preferred_channel")
]


def _erase_outbox(customer: Customer, identifiers: list[str]) -> None:
    """Mail to them: what is still to go is not sent; what was sent keeps its time and state, not its words."""
    to_them = Q(customer=customer)
    if customer.email:
        to_them |= Q(to_email__iexact=customer.email)
    emails = OutboundEmail.objects.filter(to_them)
    emails.filter(state__in=[EmailState.PENDING, EmailState.SENDING]).update(
        state=EmailState.FAILED, last_error="Not sent: the customer's personal data was erased.", lease_until=None
    )
    emails.update(to_email="", to_name="", subject=ERASED, body_text=ERASED, body_html="")
