"""Customers API: every staff role, nobody else; the one error shape; fixed query counts."""

import pytest
from django.contrib.auth import get_user_model

from config import pagination
from crm.models import Customer, NameChange
from tests.crm.factories import CustomerFactory, ServiceFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


@pytest.fixture
def outsider(db):
    """Logged in, but holding no staff role."""
    return get_user_model().objects.create_user("visitor", password="a long visitor password")


@pytest.mark.parametrize("persona", ["alice", "lena", "mona", "erin"])
def test_every_staff_role_can_list_read_create_and_update(request, api_as, persona):
    client = api_as(request.getfixturevalue(persona))
    created = client.post(URL, {"full_name": "Zoë Brontë", "title": "mx", "email": "zoe@example.test"}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["title"], body["salutation"]) == ("Mx", "Dear Zoë Brontë")
    assert client.get(URL).json()["count"] == 1
    assert client.get(f"{URL}{body['id']}/").status_code == 200
    patched = client.patch(f"{URL}{body['id']}/", {"formal_name": "Brontë"}, format="json")
    assert patched.json()["salutation"] == "Dear Mx Brontë"


def test_anonymous_and_users_without_a_role_are_refused(api, api_as, outsider):
    customer = CustomerFactory()
    for client, code in ((api, 401), (api_as(outsider), 403)):
        assert client.get(URL).status_code == code
        assert client.get(f"{URL}{customer.pk}/").status_code == code
        assert client.post(URL, {"full_name": "X"}, format="json").status_code == code
        assert client.patch(f"{URL}{customer.pk}/", {"full_name": "X"}, format="json").status_code == code
        assert client.post(f"{URL}{customer.pk}/confirm-name/").status_code == code
        assert client.get(f"{URL}similar/", {"name": "X"}).status_code == code
    customer.refresh_from_db()
    assert customer.full_name != "X" and customer.name_confirmed_at is None


def test_bad_input_answers_400_with_every_field_and_reason(api_as, alice):
    response = api_as(alice).post(URL, {"full_name": "", "email": "nope", "phone": "12", "title": "M1"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Some fields need attention."
    assert set(body["errors"]) == {"full_name", "email", "phone", "title"}
    assert not Customer.objects.exists()


def test_wrong_types_are_400_not_500(api_as, alice):
    response = api_as(alice).post(URL, {"full_name": ["a"], "preferred_channel": "pigeon"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"full_name", "preferred_channel"}


def test_read_only_fields_cannot_be_set(api_as, alice, bob):
    client = api_as(alice)
    response = client.post(
        URL,
        {
            "full_name": "Ana",
            "id": 999,
            "name_confirmed_by": bob.pk,
            "name_confirmed_at": "2020-01-01T00:00:00Z",
            "created_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201
    customer = Customer.objects.get()
    assert customer.pk != 999 and customer.name_confirmed_by is None and customer.created_at.year > 2000


def test_update_keeps_the_name_history(api_as, alice):
    customer = CustomerFactory(full_name="Bill Thomas")
    api_as(alice).patch(f"{URL}{customer.pk}/", {"full_name": "William Thomas"}, format="json")
    change = NameChange.objects.get(customer=customer)
    assert (change.before, change.after, change.changed_by) == ("Bill Thomas", "William Thomas", alice)


def test_confirm_name_records_the_staff_member(api_as, alice):
    customer = CustomerFactory()
    body = api_as(alice).post(f"{URL}{customer.pk}/confirm-name/").json()
    assert body["name_confirmed_by"]["username"] == "alice" and body["name_confirmed_at"]


def test_search_and_filters(api_as, alice):
    jackson = CustomerFactory(full_name="Alan Jackson", phone="+442079460001", title="Mr")
    CustomerFactory(full_name="Priya Sharma")
    SubscriptionFactory(customer=jackson, service=ServiceFactory(slug="broadband", name="Broadband"))
    client = api_as(alice)
    for params in (
        {"q": "jackson"},
        {"q": "+442079460001"},
        {"title": "Mr"},
        {"service": "broadband"},
        {"name_confirmed": "false"},
    ):
        ids = [c["id"] for c in client.get(URL, params).json()["results"]]
        assert jackson.pk in ids and len(ids) == (1 if "name_confirmed" not in params else 2), params


def test_a_search_matching_more_than_the_cap_says_so_instead_of_counting_them_all(api_as, alice, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    CustomerFactory.create_batch(5, full_name="Alan Jackson")
    CustomerFactory(full_name="Priya Sharma")
    client = api_as(alice)
    many = client.get(URL, {"q": "jackson"}).json()
    assert (many["count"], many["count_capped"], len(many["results"])) == (3, True, 3)
    few = client.get(URL, {"q": "sharma"}).json()
    assert (few["count"], few["count_capped"], len(few["results"])) == (1, False, 1)


def test_similar_endpoint_lists_possible_duplicates(api_as, alice):
    ana = CustomerFactory(full_name="Ana García", email="ana@example.test")
    found = api_as(alice).get(f"{URL}similar/", {"email": "ANA@example.test"}).json()
    assert [c["id"] for c in found] == [ana.pk]


def test_unknown_customer_is_404_in_the_error_shape(api_as, alice):
    assert api_as(alice).get(f"{URL}424242/").json() == {"detail": "Not found.", "errors": {}}


@pytest.mark.parametrize("rows", [5, 50])
def test_list_query_count_does_not_grow_with_rows(api_as, alice, rows, django_assert_max_num_queries):
    CustomerFactory.create_batch(rows)
    client = api_as(alice)
    with django_assert_max_num_queries(4):
        assert len(client.get(URL).json()["results"]) == rows
