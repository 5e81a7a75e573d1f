"""Bad input gets the error envelope with the right 4xx, never a 500 or a traceback."""

import json

import pytest
from django.test import Client

pytestmark = [pytest.mark.urls("tests.ciel.urls"), pytest.mark.django_db]

ECHO = "/api/v1/test/echo"
LOGIN = "/api/v1/auth/login"


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    assert "Traceback" not in response.content.decode()
    return body["error"]


JSON = "application/json"
DEEP_ARRAY = b"[" * 5000 + b"]" * 5000
DEEP_OBJECT = b'{"a":' * 5000 + b"1" + b"}" * 5000

MALFORMED = [
    # (method, path, body, content type, status, code)
    pytest.param("POST", ECHO, b'{"name": ', JSON, 400, "validation_error", id="bad-json"),
    pytest.param("POST", ECHO, DEEP_ARRAY, JSON, 400, "validation_error", id="5000-deep-array"),
    pytest.param("POST", ECHO, DEEP_OBJECT, JSON, 400, "validation_error", id="5000-deep-object"),
    pytest.param("POST", ECHO, b"\xff\xfe\x00", JSON, 400, "validation_error", id="not-utf8"),
    pytest.param("POST", ECHO, b'{"name": NaN}', JSON, 400, "validation_error", id="nan"),
    pytest.param(
        "POST", ECHO, b"name=x", "application/x-www-form-urlencoded", 415,
        "unsupported_media_type", id="form-body",
    ),
    pytest.param(
        "POST", ECHO, b"<a/>", "text/xml", 415, "unsupported_media_type", id="xml-body"
    ),
    pytest.param("GET", "/api/v1/no/such/path", b"", None, 404, "not_found", id="unknown-api"),
    pytest.param("GET", "/no/such/path", b"", None, 404, "not_found", id="unknown-path"),
    pytest.param("DELETE", ECHO, b"", None, 405, "method_not_allowed", id="wrong-method"),
    pytest.param("OPTIONS", ECHO, b"", None, 405, "method_not_allowed", id="options"),
    pytest.param("PUT", "/healthz", b"{}", JSON, 405, "method_not_allowed", id="put-healthz"),
    pytest.param("GET", "/api/v1/account", b"", None, 401, "not_authenticated", id="no-token"),
    pytest.param("DELETE", "/api/v1/posts/not-a-uuid", b"", None, 404, "not_found", id="bad-id"),
    pytest.param("PATCH", "/api/v1/nothing", b"{}", JSON, 404, "not_found", id="patch-unknown"),
    pytest.param("POST", LOGIN, b"[1]", JSON, 400, "validation_error", id="list-body"),
    pytest.param("POST", LOGIN, DEEP_ARRAY, JSON, 400, "validation_error", id="deep-login"),
    pytest.param(
        "POST", LOGIN, b"x=1", "text/plain", 415, "unsupported_media_type", id="text-login"
    ),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "content_type", "status", "code"), MALFORMED)
def test_malformed_requests_get_the_envelope(method, path, body, content_type, status, code):
    client = Client(enforce_csrf_checks=True)
    extra = {"content_type": content_type} if content_type else {}
    response = client.generic(method, path, body, **extra)

    assert_envelope(response, status, code)


def test_body_over_the_limit_is_refused_before_it_is_read(settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"name": "x" * 2000}).encode()

    response = Client().post(ECHO, body, content_type="application/json")

    assert_envelope(response, 413, "payload_too_large")


def test_body_longer_than_its_declared_length_is_refused_by_the_parser(settings):
    """A client that under-declares Content-Length still cannot make the parser read more."""
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"name": "x" * 2000}).encode()

    response = Client().generic(
        "POST", ECHO, body, content_type="application/json", CONTENT_LENGTH="1500"
    )

    assert_envelope(response, 413, "payload_too_large")


def test_validation_error_names_the_fields():
    response = Client().post(ECHO, {"name": "x" * 11}, content_type="application/json")

    error = assert_envelope(response, 400, "validation_error")
    assert list(error["fields"]) == ["name"]
    assert error["fields"]["name"][0].startswith("Ensure this field has no more than 10")


def test_missing_field_is_a_validation_error():
    response = Client().post(ECHO, {}, content_type="application/json")

    error = assert_envelope(response, 400, "validation_error")
    assert error["fields"] == {"name": ["This field is required."]}


def test_a_json_array_where_an_object_is_expected_is_a_validation_error():
    response = Client().post(ECHO, [1, 2], content_type="application/json")

    error = assert_envelope(response, 400, "validation_error")
    assert "non_field_errors" in error["fields"]


def test_valid_request_still_works():
    response = Client().post(ECHO, {"name": "ciel"}, content_type="application/json")

    assert response.status_code == 200
    assert response.json() == {"name": "ciel"}


def test_throttled_request_gets_429_with_retry_after():
    response = Client().get("/api/v1/test/throttled")

    assert_envelope(response, 429, "rate_limited")
    assert response["Retry-After"] == "42"


def test_disallowed_host_gets_the_envelope():
    response = Client(HTTP_HOST="evil.example").get("/healthz")

    assert_envelope(response, 400, "validation_error")
