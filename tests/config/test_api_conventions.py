"""One error shape, documented schema, docs page and health check."""

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import path
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from config.api import CheaplyCopiedInput


@api_view(["GET"])
@permission_classes([AllowAny])
def explode(request):
    raise RuntimeError("secret internal detail")


@api_view(["GET"])
@permission_classes([AllowAny])
def database_gone(request):
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [path("api/v1/explode/", explode), path("api/v1/database-gone/", database_gone)]


def test_schema_generates_without_warnings(tmp_path, db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/customers/" in (tmp_path / "schema.yaml").read_text()


def test_schema_and_docs_need_a_login(client, alice):
    assert client.get("/api/v1/schema/").status_code == 401
    client.force_login(alice)
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()


def test_not_found_uses_the_error_shape(api_as, alice):
    response = api_as(alice).get("/api/v1/customers/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}


def test_unauthenticated_uses_the_error_shape(api):
    response = api.get("/api/v1/customers/")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.urls("tests.config.test_api_conventions")
def test_unexpected_error_is_a_generic_500_without_a_traceback(api, db):
    api.raise_request_exception = False
    response = api.get("/api/v1/explode/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error.", "errors": {}}
    assert "secret internal detail" not in response.content.decode()


@pytest.mark.urls("tests.config.test_api_conventions")
def test_a_database_that_does_not_answer_is_a_503_to_retry_in_the_error_shape(api, db):
    api.raise_request_exception = False
    response = api.get("/api/v1/database-gone/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert set(response.json()) == {"detail", "errors"} and "try again" in response.json()["detail"]
    assert "server closed" not in response.content.decode()


def test_healthz_checks_the_database_and_redis(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_healthz_answers_503_when_redis_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}


class Inner(serializers.Serializer):
    code = serializers.CharField()


class Reading(CheaplyCopiedInput):
    name = serializers.CharField(max_length=5)
    tags = serializers.ListField(child=serializers.CharField(max_length=3))
    inner = Inner()


def test_input_serializers_that_copy_cheaply_keep_each_reading_to_itself():
    """Plain fields are copied shallowly, yet two readings in turn never see each other's fields, and fields that
    hold others (a list of values, a nested serializer) are still copied whole, so their errors name their own
    reading's input."""
    first = Reading(data={"name": "far too long", "tags": ["ok"], "inner": {"code": "A"}})
    second = Reading(data={"name": "Ana", "tags": ["many", "ok"], "inner": {}})
    assert first.fields["name"] is not second.fields["name"]
    assert (first.fields["name"].parent, second.fields["name"].parent) == (first, second)
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["inner"].fields["code"] is not second.fields["inner"].fields["code"]
    assert not second.is_valid() and not first.is_valid()
    assert set(first.errors) == {"name"}
    assert second.errors == {
        "tags": {0: ["Ensure this field has no more than 3 characters."]},
        "inner": {"code": ["This field is required."]},
    }
