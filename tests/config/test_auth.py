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


def test_a_twenty_first_username_tried_from_one_address_within_a_minute_is_429(db):
    """RELIABILITY 15: trying many usernames from one address (each under the per-username lockout) is
    throttled after 20 a minute (THROTTLE_LOGIN); another address is not."""
    api = APIClient()
    for n in range(20):
        tried = api.post("/api/v1/auth/token/", {"username": f"user{n}", "password": "guess"}, format="json",
                         REMOTE_ADDR="10.5.5.5")  # fmt: skip
        assert tried.status_code == 400
    refused = api.post("/api/v1/auth/token/", {"username": "user20", "password": "guess"}, format="json",
                       REMOTE_ADDR="10.5.5.5")  # fmt: skip
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    elsewhere = api.post("/api/v1/auth/token/", {"username": "user20", "password": "guess"}, format="json",
                         REMOTE_ADDR="10.5.5.6")  # fmt: skip
    assert elsewhere.status_code == 400


def test_admin_login_is_covered_by_the_lockout(client, alice):
    for _ in range(5):
        client.post("/admin/login/", {"username": "alice", "password": "x"}, REMOTE_ADDR="10.0.0.8")
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.8")
    assert response.status_code == 429


# --- API tokens: hashed, expiring, revocable ---------------------------------------------------------


def token_for(username: str = "alice", **extra) -> str:
    response = APIClient(**extra).post("/api/v1/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def as_token(token: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}")


def test_tokens_are_stored_hashed_and_each_login_gets_its_own(alice):
    from knox.models import AuthToken

    first, second = token_for(), token_for()
    assert first != second and AuthToken.objects.filter(user=alice).count() == 2
    stored = AuthToken.objects.values_list("digest", flat=True)
    assert first not in stored and second not in stored


def test_a_token_expires_after_the_configured_lifetime(alice, settings):
    from knox.models import AuthToken

    token = token_for()
    expiry = AuthToken.objects.get(user=alice).expiry
    assert timedelta(hours=9, minutes=59) < expiry - timezone.now() <= timedelta(hours=10)
    AuthToken.objects.filter(user=alice).update(expiry=timezone.now() - timedelta(seconds=1))
    assert as_token(token).get("/api/v1/customers/").status_code == 401


def test_logout_ends_that_token_and_logout_all_ends_every_device(alice):
    laptop, phone, tablet = token_for(), token_for(), token_for()
    assert as_token(laptop).post("/api/v1/auth/logout/").status_code == 204
    assert as_token(laptop).get("/api/v1/customers/").status_code == 401
    assert as_token(phone).get("/api/v1/customers/").status_code == 200
    assert as_token(phone).post("/api/v1/auth/logout-all/").status_code == 204
    assert as_token(tablet).get("/api/v1/customers/").status_code == 401


def test_a_password_change_ends_every_token(alice):
    token = token_for()
    alice.set_password("Another-new-pass-2026!")
    alice.save()
    assert as_token(token).get("/api/v1/customers/").status_code == 401


def test_deactivating_and_reactivating_does_not_bring_a_token_back(alice):
    token = token_for()
    alice.is_active = False
    alice.save()
    alice.is_active = True
    alice.save()
    assert as_token(token).get("/api/v1/customers/").status_code == 401


def test_removing_the_last_staff_role_ends_every_token_and_a_remaining_role_keeps_them(alice, bob):
    from django.contrib.auth.models import Group

    alices, bobs = token_for("alice"), token_for("bob")
    lead = Group.objects.get(name="lead")
    bob.groups.add(lead)
    bob.groups.remove(Group.objects.get(name="agent"))
    assert as_token(bobs).get("/api/v1/customers/").status_code == 200
    alice.groups.clear()
    assert as_token(alices).get("/api/v1/customers/").status_code == 401


def test_users_without_a_staff_role_get_no_token_no_schema_and_no_docs(db):
    from django.contrib.auth import get_user_model

    nogroup = get_user_model().objects.create_user("nogroup", password=PASSWORD)
    response = APIClient().post("/api/v1/auth/token/", {"username": "nogroup", "password": PASSWORD})
    assert response.status_code == 403 and "staff" in response.json()["detail"]
    client = Client()
    client.force_login(nogroup)
    assert client.get("/api/v1/schema/").status_code == 403
    assert client.get("/api/v1/docs/").status_code == 403


def test_staff_can_read_the_schema_and_docs(client, alice):
    client.force_login(alice)
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200


# --- The lockout behind a proxy ---------------------------------------------------------------------


def test_behind_a_proxy_the_lockout_keys_on_the_client_the_proxy_reports(settings, alice):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.1"
    for _ in range(5):  # the attacker, behind the same proxy as everyone
        Client().post(
            "/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9"
        )
    attacker = Client().post(
        "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    alice_herself = Client().post(
        "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert attacker.status_code == 429 and alice_herself.status_code == 302


def test_behind_a_proxy_a_forged_forwarded_for_does_not_escape_the_lockout(settings, alice):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for n in range(5):
        # The client sends its own X-Forwarded-For; the proxy appends the address it saw.
        Client().post(
            "/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9",
        )
    again = Client().post(
        "/login/",
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.9",
    )
    assert again.status_code == 429


def test_without_proxies_forwarded_for_is_ignored(alice):
    for n in range(5):
        Client().post(
            "/login/",
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="10.0.0.9",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    again = Client().post("/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert again.status_code == 429
