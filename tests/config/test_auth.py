"""Logging in and out of pages and the API, sessions, CSRF, tokens and the brute-force lockout."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _clear_caches():
    cache.clear()  # throttle counters live in the cache


def login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_page_logs_in_and_changes_the_session_key(client, alice):
    client.get("/login/")
    client.cookies["sessionid"] = "anonymous-session-key"
    before = client.session.session_key
    response = login(client, "alice", PASSWORD)
    assert response.status_code == 302
    assert client.session.session_key != before
    assert int(client.session["_auth_user_id"]) == alice.pk


def test_wrong_password_shows_an_error_on_the_page(client, alice):
    response = login(client, "alice", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_logout_ends_the_session(client, alice):
    login(client, "alice", PASSWORD)
    key = client.session.session_key
    assert client.post("/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/api/v1/customers/").status_code == 401


def test_unsafe_session_request_without_csrf_token_is_refused(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/logout/").status_code == 403


def test_token_endpoint_gives_a_token_that_authenticates_by_header(alice):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert APIClient().get("/api/v1/customers/").status_code == 401
    authed = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert authed.get("/api/v1/customers/").status_code == 200


def test_token_endpoint_rejects_wrong_credentials_in_the_error_shape(alice):
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"]


def test_token_endpoint_names_missing_fields():
    response = APIClient().post("/api/v1/auth/token/", {"username": "alice"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_a_session_ends_after_thirty_idle_minutes_and_each_request_restarts_the_clock(client, alice):
    login(client, "alice", PASSWORD)
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    assert timedelta(minutes=29) < first - timezone.now() <= timedelta(minutes=30)
    assert client.get(reverse("complaints:my-cases")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date > first  # activity extends it
    # Thirty minutes pass with nothing from this browser.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    cache.clear()  # sessions are cached in front of the database
    assert client.get("/api/v1/customers/").status_code == 401
    assert client.get(reverse("complaints:my-cases")).status_code == 302


def test_deactivated_user_loses_sessions_and_tokens(client, alice):
    token = APIClient().post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}).json()["token"]
    login(client, "alice", PASSWORD)
    alice.is_active = False
    alice.save()
    assert APIClient(HTTP_AUTHORIZATION=f"Token {token}").get("/api/v1/customers/").status_code == 401
    assert client.get("/api/v1/customers/").status_code == 401


def test_five_wrong_passwords_lock_that_username_from_that_address(client, alice, bob):
    for _ in range(5):
        login(client, "alice", "wrong", ip="10.0.0.5")
    locked = login(client, "alice", PASSWORD, ip="10.0.0.5")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    api = APIClient(REMOTE_ADDR="10.0.0.5")
    api_locked = api.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json")
    assert api_locked.status_code == 429
    assert api_locked.json()["detail"].startswith("Too many failed logins")
    # The same user from elsewhere, and another user from the same address, still get in.
    assert login(Client(), "alice", PASSWORD, ip="10.0.0.6").status_code == 302
    assert login(Client(), "bob", PASSWORD, ip="10.0.0.5").status_code == 302


def test_token_endpoint_is_locked_out_after_five_failures_too(alice):
    api = APIClient(REMOTE_ADDR="10.0.0.7")
    for attempt in range(1, 6):
        status = api.post("/api/v1/auth/token/", {"username": "alice", "password": "x"}, format="json").status_code
        assert status == (400 if attempt < 5 else 429)
    assert (
        api.post("/api/v1/auth/token/", {"username": "alice", "password": PASSWORD}, format="json").status_code == 429
    )


def test_admin_login_is_covered_by_the_lockout(client, alice):
    for _ in range(5):
        client.post("/admin/login/", {"username": "alice", "password": "x"}, REMOTE_ADDR="10.0.0.8")
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 429
