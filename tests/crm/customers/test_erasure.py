"""Erasing a customer's personal data at their request (GDPR article 17): afterwards nothing in any table
finds them, every figure is what it was, mail still to go to them is not sent, and the erasure is recorded.
The case history stays append-only for everything else, in the ORM and in PostgreSQL."""

from datetime import date

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from django.urls import reverse

from complaints.cases import services as case_services
from complaints.figures import selectors
from complaints.figures.selectors import FigureFilter
from complaints.figures.services import facts_catch_up
from complaints.models import Case, CaseEvent, EventKind
from crm.customers import services as customer_services
from crm.exceptions import Conflict
from crm.models import Customer, EmailState, OutboundEmail, PersonalDataRequest, PersonalDataRequestKind
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# What Ada typed or is known by, anywhere in the fixture's data.
TRACES = [
    "Ada Obi",
    "ada@example.test",
    "+447700900123",
    "The router blinks red",
    "Still red this morning",
    "Lovely engineer",
    "Alice was kind",
]
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def traces_left() -> list[str]:
    """Every (table.column, trace) where a trace of Ada can still be found, in every model of every app."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, TEXT_FIELDS):
                continue
            for trace in TRACES:
                if model._base_manager.filter(**{f"{field.name}__icontains": trace}).exists():
                    found.append(f"{model._meta.db_table}.{field.column}: {trace}")
    return found


def figures() -> list:
    """What the figures are made of (each case's facts and each event's kind, actor and time), and the
    dashboard's figures themselves over all time."""
    facts_catch_up()
    dashboard = selectors.figures(FigureFilter(start=date(2000, 1, 1), end=date(2099, 12, 31)))
    cases = list(
        Case.objects.order_by("pk").values_list(
            "pk", "status", "channel", "category", "root_cause", "opened_at", "first_response_at", "resolved_at"
        )
    )
    history = list(
        CaseEvent.objects.exclude(kind=EventKind.PERSONAL_DATA_ERASED)
        .order_by("pk")
        .values_list("pk", "case", "kind", "actor_kind", "actor", "created_at")
    )
    return [*cases, *history, dashboard]


def test_after_erasure_nothing_finds_them_and_every_figure_is_the_same(api_as, alice, mona, ada):
    case = ada.cases.get()
    case_services.case_add_note(case=case, by=alice, text="Called Ada Obi-Okafor back at home.")
    waiting = OutboundEmail.objects.filter(customer=ada, state=EmailState.PENDING).count()
    assert waiting and traces_left()
    before = figures()

    response = api_as(mona).post(
        f"/api/v1/customers/{ada.pk}/erase/", {"reason": "Ada Obi asked by phone on 1 December"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["full_name"] == "[erased]"
    assert traces_left() == [], traces_left()
    assert figures() == before
    assert not OutboundEmail.objects.filter(state__in=[EmailState.PENDING, EmailState.SENDING], to_email="").exists()
    assert OutboundEmail.objects.filter(last_error__contains="personal data was erased").count() == waiting
    (erased,) = CaseEvent.objects.filter(case=case, kind=EventKind.PERSONAL_DATA_ERASED)
    assert erased.actor == mona and erased.data["reason"] == "[erased]"  # the reason named her
    (request,) = PersonalDataRequest.objects.filter(customer=ada, kind=PersonalDataRequestKind.ERASURE)
    assert request.by == mona
    ada.refresh_from_db()
    assert ada.erased_at is not None and not ada.subscriptions.filter(active=True).exists()
    # The timeline still reads: what happened, when, by whom; the customer's words are "[erased]".
    page = api_as(alice).get(f"/api/v1/cases/{case.reference}/timeline/").json()
    assert "[erased]" in str(page) and "An engineer comes on Tuesday." in str(page)


def test_other_customers_keep_everything(api_as, alice, mona, ada):
    other = CustomerFactory(full_name="Ben Ode", email="ben@example.test")
    theirs = make_case(by=alice, customer=other, description="My own words")
    api_as(mona).post(f"/api/v1/customers/{ada.pk}/erase/", {"reason": "Request by email, 1 Dec"}, format="json")
    theirs.refresh_from_db()
    other.refresh_from_db()
    assert (theirs.description, other.full_name, other.email) == ("My own words", "Ben Ode", "ben@example.test")


@pytest.mark.parametrize(
    ("persona", "expected"), [("anonymous", 401), ("alice", 403), ("lena", 403), ("erin", 403), ("mona", 200)]
)
def test_only_managers_erase(request, api, api_as, ada, persona, expected):
    client = api if persona == "anonymous" else api_as(request.getfixturevalue(persona))
    response = client.post(f"/api/v1/customers/{ada.pk}/erase/", {"reason": "Asked by phone today"}, format="json")
    assert response.status_code == expected
    ada.refresh_from_db()
    assert (ada.erased_at is not None) == (expected == 200)


def test_a_reason_is_needed_and_erasing_twice_is_a_conflict(api_as, mona, ada):
    client = api_as(mona)
    short = client.post(f"/api/v1/customers/{ada.pk}/erase/", {"reason": "asked"}, format="json")
    assert short.status_code == 400 and "reason" in short.json()["errors"]
    assert Customer.objects.get(pk=ada.pk).full_name == "Ada Obi-Okafor"
    client.post(f"/api/v1/customers/{ada.pk}/erase/", {"reason": "Asked by phone today"}, format="json")
    with pytest.raises(Conflict):
        customer_services.customer_erase(customer=ada, by=mona, reason="Asked by phone again")


def test_managers_erase_from_the_customer_page(as_user, alice, mona, ada):
    page = reverse("crm:customer-detail", args=[ada.pk])
    erase = reverse("crm:customer-erase", args=[ada.pk])
    assert erase not in as_user(alice).get(page).content.decode()
    assert erase in as_user(mona).get(page).content.decode()
    done = as_user(mona).post(erase, {"reason": "Asked in a letter of 1 December"}, follow=True).content.decode()
    assert "Their personal data is erased everywhere" in done and "Personal data erased on" in done
    assert erase not in done  # once is enough


def test_the_orm_still_refuses_to_change_or_delete_history(ada):
    events = CaseEvent.objects.filter(case__customer=ada)
    with pytest.raises(TypeError):
        events.update(data={})
    with pytest.raises(TypeError):
        events.first().delete()


@pytest.mark.postgres
def test_postgresql_refuses_every_other_change_to_history(ada):
    event = CaseEvent.objects.filter(case__customer=ada, kind=EventKind.MESSAGE_IN).get()
    other_case = make_case(customer=CustomerFactory())
    erased_text = """UPDATE complaints_caseevent SET data = jsonb_set(data, '{text}', '"[erased]"') WHERE id = %s"""

    def refused(sql: str, params: list, *, erasing: int | None) -> bool:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if erasing is not None:
                    cursor.execute("SELECT set_config('gemdesk.erasing_customer', %s, true)", [str(erasing)])
                cursor.execute(sql, params)
        except DatabaseError:
            return True
        return False

    other_event = CaseEvent.objects.filter(case=other_case).first()
    assert refused(erased_text, [event.pk], erasing=None)  # outside an erasure
    assert refused(erased_text, [other_event.pk], erasing=ada.pk)  # another customer's case
    assert refused("UPDATE complaints_caseevent SET kind = 'note' WHERE id = %s", [event.pk], erasing=ada.pk)
    assert refused(
        """UPDATE complaints_caseevent SET data = jsonb_set(data, '{text}', '"changed"') WHERE id = %s""",
        [event.pk],
        erasing=ada.pk,
    )  # anything but "[erased]"
    assert refused("DELETE FROM complaints_caseevent WHERE id = %s", [event.pk], erasing=ada.pk)
    assert not refused(erased_text, [event.pk], erasing=ada.pk)  # the one path, and only it
