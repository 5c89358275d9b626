"""Finding every case and customer: one search for the customers page, log a call and case search, by
reference, name (any part, any script), email, phone (any format) and order reference. The same module
runs on SQLite too (the last test), so "alike on both databases" is checked, not assumed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints.cases import selectors
from complaints.resolution import services as resolution_services
from crm.models import Customer
from tests.complaints.conftest import ESCAPED, XSS
from tests.complaints.factories import make_case
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]

NAMES = {
    "thomas": "Margaret Thomas",
    "ivanova": "Анна Иванова",
    "papadopoulos": "Γιώργος Παπαδόπουλος",
    "alvarez": "José Álvarez",
    "yamada": "山田 太郎",
    "strauss": "Johann Strauß",
}


@pytest.fixture
def people():
    customers = {key: CustomerFactory(full_name=name) for key, name in NAMES.items()}
    customers["thomas"].phone = "+442079460000"
    customers["thomas"].save()
    return customers


def found(q):
    return set(Customer.objects.search(q).values_list("full_name", flat=True))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Thomas", "Margaret Thomas"),
        ("thom", "Margaret Thomas"),
        ("thomas margaret", "Margaret Thomas"),
        ("Иванова", "Анна Иванова"),
        ("иванова", "Анна Иванова"),
        ("ИВАНОВА", "Анна Иванова"),
        ("Γιώργος Παπαδόπουλος", "Γιώργος Παπαδόπουλος"),
        ("Παπαδοπουλος", "Γιώργος Παπαδόπουλος"),
        ("jose alvarez", "José Álvarez"),
        ("Álvarez", "José Álvarez"),
        ("太郎", "山田 太郎"),
        ("strauss", "Johann Strauß"),
        ("STRAUSS", "Johann Strauß"),
        ("+44 20 7946 0000", "Margaret Thomas"),
        ("020 7946 0000", "Margaret Thomas"),
        ("(020) 7946-0000", "Margaret Thomas"),
        ("0044 20 7946 0000", "Margaret Thomas"),
        ("+44 (0)20 7946 0000", "Margaret Thomas"),
        ("7946 0000", "Margaret Thomas"),
    ],
)
def test_the_customer_search_finds_names_in_every_script_and_phones_in_every_format(people, typed, expected):
    assert found(typed) == {expected}


def test_a_short_number_is_a_case_reference_not_a_phone_or_a_name(people):
    CustomerFactory(full_name="Customer 8")
    assert found("8") == found("123456") == set()


def test_email_search_matches_any_part(people):
    people["ivanova"].email = "anna.ivanova@example.ru"
    people["ivanova"].save()
    assert found("anna.ivanova@example.ru") == found("ANNA.Ivanova@example.ru") == {"Анна Иванова"}
    assert found("ivanova@EXAMPLE") == {"Анна Иванова"}


def test_a_renamed_customer_is_found_by_the_new_name_only(people):
    customer = people["thomas"]
    customer.full_name = "Margaret Jones"
    customer.save(update_fields=["full_name"])
    assert found("Jones") == {"Margaret Jones"} and found("Thomas") == set()


@pytest.fixture
def cases(people, alice, charlie):
    thomas_open = make_case(by=alice, customer=people["thomas"], subject="Bill too high", order_reference="ORD-77812")
    thomas_resolved = make_case(by=alice, customer=people["thomas"], subject="Router broken")
    resolution_services.case_resolve(
        case=thomas_resolved, by=alice, resolution_summary="New router sent", root_cause="product"
    )
    ivanova = make_case(by=charlie, customer=people["ivanova"], subject="Нет интернета")
    return {"thomas_open": thomas_open, "thomas_resolved": thomas_resolved, "ivanova": ivanova}


def references(user, q):
    return [case.reference for case in selectors.case_search(user=user, q=q)]


def test_case_search_by_reference_in_any_spelling(cases, alice):
    case = cases["ivanova"]
    number = str(int(case.reference.removeprefix("GD-")))
    for typed in (case.reference, case.reference.lower(), number, f"#{number}", f"GD{number}"):
        assert case.reference in references(alice, typed), typed


def test_case_search_by_name_lists_open_cases_first_and_finds_resolved_ones(cases, alice):
    assert references(alice, "Thomas") == [cases["thomas_open"].reference, cases["thomas_resolved"].reference]


def test_case_search_by_order_reference_email_and_phone(cases, alice, people):
    assert references(alice, "ord-77812") == [cases["thomas_open"].reference]
    assert set(references(alice, "020 7946 0000")) == {
        cases["thomas_open"].reference,
        cases["thomas_resolved"].reference,
    }
    assert references(alice, people["ivanova"].email) == [cases["ivanova"].reference]
    assert references(alice, "nobody-like-this") == []
    assert references(alice, "   ") == []


def test_every_staff_member_finds_every_case_unless_visibility_is_team(settings, cases, charlie):
    assert references(charlie, "Thomas") == [cases["thomas_open"].reference, cases["thomas_resolved"].reference]
    settings.CASE_VISIBILITY = "team"
    assert references(charlie, "Thomas") == []
    assert references(charlie, "Иванова") == [cases["ivanova"].reference]


def test_the_search_page_shows_matches_escaped_and_says_when_there_are_none(as_user, cases, alice):
    make_case(by=alice, customer=CustomerFactory(full_name=f"Evil {XSS}"), subject=XSS)
    client = as_user(alice)
    page = client.get(reverse("complaints:case-search"), {"q": "Иванова"}).content.decode()
    assert cases["ivanova"].reference in page and "Нет интернета" in page and "Charlie" in page
    evil = client.get(reverse("complaints:case-search"), {"q": "Evil"}).content.decode()
    assert XSS not in evil and ESCAPED in evil
    none = client.get(reverse("complaints:case-search"), {"q": "Zzyzx"}).content.decode()
    assert "No case matches" in none
    assert 'action="/cases/search/"' in client.get(reverse("complaints:my-cases")).content.decode()  # in the nav


def test_the_search_page_costs_the_same_queries_for_few_or_many_matches(as_user, alice, django_assert_max_num_queries):
    customer = CustomerFactory(full_name="Quentin Many")
    client = as_user(alice)
    make_case(by=alice, customer=customer)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("complaints:case-search"), {"q": "Quentin"})
    for _ in range(15):
        make_case(by=alice, customer=customer)
    with django_assert_max_num_queries(len(one)):
        page = client.get(reverse("complaints:case-search"), {"q": "Quentin"})
    assert page.content.decode().count("Quentin Many") == 16


def test_the_api_searches_with_q(api_as, cases, alice):
    response = api_as(alice).get("/api/v1/cases/", {"q": "Thomas"})
    assert {c["reference"] for c in response.json()["results"]} == {
        cases["thomas_open"].reference,
        cases["thomas_resolved"].reference,
    }
    assert api_as(alice).get("/api/v1/cases/", {"q": "x" * 201}).status_code == 400


def test_the_customers_page_and_log_a_call_use_the_same_search(as_user, people, alice):
    client = as_user(alice)
    listed = client.get(reverse("crm:customer-list"), {"q": "иванова"}).content.decode()
    assert "Анна Иванова" in listed
    phone = client.get(reverse("crm:customer-list"), {"q": "020 7946 0000"}).content.decode()
    assert "Margaret Thomas" in phone
    log_call = client.post(reverse("complaints:log-call"), {"search": "1", "full_name": "иванова"})
    assert "Анна Иванова" in log_call.content.decode()
    by_phone = client.post(reverse("complaints:log-call"), {"search": "1", "phone": "(020) 7946-0000"})
    assert "Margaret Thomas" in by_phone.content.decode()


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor == "sqlite", reason="already running on SQLite")
def test_the_same_searches_pass_on_sqlite(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}", "REDIS_URL": ""}
    # SQLite on purpose: not the PostgreSQL a CI run insists on, nor its test database.
    for name in ("CI", "DJANGO_TEST_DATABASE_NAME"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, "tests/run.py", __file__, "-q", "-k", "not sqlite"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "skipped" not in run.stdout
