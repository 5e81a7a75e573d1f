"""PASETO access tokens: every bad token is a 401; keys rotate without logging anyone out."""

import base64
import datetime
import json
import os
import subprocess
import sys
import uuid

import pyseto
import pytest
from django.utils import timezone
from pyseto import Key
from rest_framework.test import APIClient

from accounts.tokens import access_token_issue
from tests.conftest import REPO_ROOT
from tests.factories import UserFactory
from tests.helpers import assert_error, session_for

pytestmark = pytest.mark.django_db

ACCOUNT = "/api/v1/account"


def new_paserk() -> str:
    return Key.new(4, "local", os.urandom(32)).to_paserk()


def get_account(token: str):
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {token}").get(ACCOUNT)


def forge(settings, user, *, key=None, footer=None, drop=(), version=4, **claims) -> str:
    """A token built by hand, with the project's key unless another is given."""
    key = key or Key.from_paserk(settings.PASETO_KEYS[0])
    now = timezone.now()
    payload = {
        "sub": str(user.pk),
        "sid": str(session_for(user).pk),
        "iat": now.isoformat(),
        "exp": (now + datetime.timedelta(minutes=15)).isoformat(),
        "iss": settings.PASETO_ISSUER,
        "aud": settings.PASETO_AUDIENCE,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        **claims,
    }
    for claim in drop:
        payload.pop(claim)
    footer = footer if footer is not None else {"kid": key.to_paserk_id()}
    return pyseto.encode(key, payload, footer=footer, serializer=json).decode()


def test_a_valid_token_is_accepted(settings, user):
    response = get_account(forge(settings, user))

    assert response.status_code == 200
    assert response.json()["id"] == str(user.pk)


def test_the_footer_names_the_key(settings, user):
    token, _ = access_token_issue(user.pk, session_for(user).pk)

    footer = json.loads(pyseto.Token.new(token).footer)
    assert footer == {"kid": Key.from_paserk(settings.PASETO_KEYS[0]).to_paserk_id()}
    assert footer["kid"].startswith("k4.lid.")


def past(minutes: int = 1) -> str:
    return (timezone.now() - datetime.timedelta(minutes=minutes)).isoformat()


def tamper(token: str) -> str:
    head, body = token[: len("v4.local.")], token[len("v4.local.") :]
    payload, _, footer = body.partition(".")
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    return f"{head}{flipped}.{footer}"


NEGATIVE = {
    "expired": (lambda s, u: forge(s, u, exp=past()), "token_expired"),
    "no exp": (lambda s, u: forge(s, u, drop=["exp"]), "token_invalid"),
    "exp not a time": (lambda s, u: forge(s, u, exp=12345), "token_invalid"),
    "exp without zone": (lambda s, u: forge(s, u, exp="2999-01-01T00:00:00"), "token_invalid"),
    "tampered": (lambda s, u: tamper(forge(s, u)), "token_invalid"),
    "wrong aud": (lambda s, u: forge(s, u, aud="another-api"), "token_invalid"),
    "no aud": (lambda s, u: forge(s, u, drop=["aud"]), "token_invalid"),
    "wrong iss": (lambda s, u: forge(s, u, iss="someone-else"), "token_invalid"),
    "no iss": (lambda s, u: forge(s, u, drop=["iss"]), "token_invalid"),
    "wrong type": (lambda s, u: forge(s, u, typ="refresh"), "token_invalid"),
    "no type": (lambda s, u: forge(s, u, drop=["typ"]), "token_invalid"),
    "issued in the future": (
        lambda s, u: forge(s, u, iat=(timezone.now() + datetime.timedelta(hours=1)).isoformat()),
        "token_invalid",
    ),
    "unknown sub": (lambda s, u: forge(s, u, sub=str(uuid.uuid4())), "token_invalid"),
    "sub not a uuid": (lambda s, u: forge(s, u, sub="root"), "token_invalid"),
    "no sid": (lambda s, u: forge(s, u, drop=["sid"]), "token_invalid"),
    "unknown sid": (lambda s, u: forge(s, u, sid=str(uuid.uuid4())), "token_invalid"),
    "sid of another user": (
        lambda s, u: forge(s, u, sid=str(session_for(UserFactory()).pk)),
        "token_invalid",
    ),
    "far too long": (lambda s, u: forge(s, u, jti="x" * 5000), "token_invalid"),
    "unknown key id": (
        lambda s, u: forge(s, u, key=Key.new(4, "local", os.urandom(32))),
        "token_invalid",
    ),
    "key id of one key, made with another": (
        lambda s, u: forge(
            s,
            u,
            key=Key.new(4, "local", os.urandom(32)),
            footer={"kid": Key.from_paserk(s.PASETO_KEYS[0]).to_paserk_id()},
        ),
        "token_invalid",
    ),
    "no footer": (lambda s, u: forge(s, u, footer=""), "token_invalid"),
    "footer not json": (lambda s, u: forge(s, u, footer="kid"), "token_invalid"),
    "v2.local": (
        lambda s, u: pyseto.encode(
            Key.new(2, "local", os.urandom(32)), {"sub": str(u.pk)}, serializer=json
        ).decode(),
        "token_invalid",
    ),
    "v4.public": (
        lambda s, u: pyseto.encode(
            Key.new(4, "public", _ed25519_pem()), {"sub": str(u.pk)}, serializer=json
        ).decode(),
        "token_invalid",
    ),
    "garbage": (lambda s, u: "v4.local.!!!not-base64!!!", "token_invalid"),
    "empty payload": (lambda s, u: "v4.local.", "token_invalid"),
}


def _ed25519_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize("case", list(NEGATIVE))
def test_negative_token_matrix_gets_401(settings, user, case):
    make, code = NEGATIVE[case]

    response = get_account(make(settings, user))

    assert_error(response, 401, code)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_refresh_token_used_as_an_access_token_gets_401(api_client, user):
    login = api_client.post(
        "/api/v1/auth/login", {"email": user.email, "password": "correct horse battery staple"}
    )
    refresh_token = login.json()["refresh_token"]

    assert_error(get_account(refresh_token), 401, "token_invalid")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer a b", "Basic dXNlcjpwYXNz", "Bearer \u00e9t\u00e9"]
)
def test_malformed_authorization_headers_are_not_a_500(user, header):
    response = APIClient(HTTP_AUTHORIZATION=header).get(ACCOUNT)

    assert response.status_code == 401


def test_no_token_is_401_not_authenticated():
    assert_error(APIClient().get(ACCOUNT), 401, "not_authenticated")


def test_a_token_accepted_before_expires_on_time(settings, user, monkeypatch):
    # Accepted claims are kept per process (accounts.tokens); expiry must still apply.
    expires_at = timezone.now() + datetime.timedelta(minutes=15)
    token = forge(settings, user, exp=expires_at.isoformat())
    assert get_account(token).status_code == 200
    assert get_account(token).status_code == 200

    monkeypatch.setattr(timezone, "now", lambda: expires_at + datetime.timedelta(seconds=1))

    assert_error(get_account(token), 401, "token_expired")


@pytest.mark.parametrize("setting", ["PASETO_AUDIENCE", "PASETO_ISSUER"])
def test_a_token_accepted_before_is_refused_once_its_audience_or_issuer_changes(
    settings, user, setting
):
    # The claims kept per process hold only for the configuration that checked them.
    token = forge(settings, user)
    assert get_account(token).status_code == 200

    setattr(settings, setting, "somewhere-else")

    assert_error(get_account(token), 401, "token_invalid")


def test_after_a_key_rotation_old_tokens_work_until_they_expire(settings, user):
    session = session_for(user)
    old_token, _ = access_token_issue(user.pk, session.pk)
    old_key = settings.PASETO_KEYS[0]
    new_key = new_paserk()

    settings.PASETO_KEYS = [new_key, old_key]
    new_token, _ = access_token_issue(user.pk, session.pk)

    assert get_account(old_token).status_code == 200
    assert get_account(new_token).status_code == 200
    new_kid = json.loads(pyseto.Token.new(new_token).footer)["kid"]
    assert new_kid == Key.from_paserk(new_key).to_paserk_id()
    # Once the old key is dropped (after the access lifetime), its tokens are refused.
    settings.PASETO_KEYS = [new_key]
    assert_error(get_account(old_token), 401, "token_invalid")
    assert get_account(new_token).status_code == 200


def test_a_deactivated_user_is_refused_on_the_next_request(user, user_client):
    assert user_client.get(ACCOUNT).status_code == 200

    user.is_active = False
    user.save()

    assert_error(user_client.get(ACCOUNT), 401, "token_invalid")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("k4.local." + base64.urlsafe_b64encode(os.urandom(16)).decode(), "exactly 32 bytes"),
        ("k4.local." + base64.urlsafe_b64encode(os.urandom(33)).decode(), "exactly 32 bytes"),
        ("k2.local." + base64.urlsafe_b64encode(os.urandom(32)).decode(), "k4.local"),
        ("k4.local.***", "base64url"),
    ],
)
def test_a_wrong_key_fails_at_start_up(value, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPO_ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "ciel.settings", "PASETO_KEYS": value},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_the_authentication_query_loads_users_exactly_as_the_orm_does():
    """user_with_session hands its row to User.from_db as it comes, which is right only while
    no field of User needs a converter (a JSONField would); and it must load the same user."""
    from django.db import connection

    from accounts.authentication import user_with_session
    from accounts.models import User

    needs_conversion = [
        field.name
        for field in User._meta.concrete_fields
        if field.get_db_converters(connection)
        or connection.ops.get_db_converters(field.get_col(User._meta.db_table))
    ]
    assert needs_conversion == []

    user = UserFactory(bio="Bio ✨")
    session = session_for(user)
    loaded, live = user_with_session(user.pk, session.pk)
    expected = User.objects.get(pk=user.pk)
    assert live is True
    assert {f.attname: getattr(loaded, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
    }
    assert loaded._state.adding is False
    assert loaded._state.db == "default"
    assert user_with_session(user.pk, uuid.uuid4()) == (loaded, False)
