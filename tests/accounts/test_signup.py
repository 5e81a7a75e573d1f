"""Signup by invite code (SPEC §3, §4, §7)."""

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from invites.models import Invite
from safety.models import TrustLedgerEntry
from tests.factories import InviteFactory, UserFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/auth/signup"


def signup_body(invite: Invite, **overrides) -> dict:
    return {
        "invite_code": invite.code,
        "email": "newcomer@example.com",
        "handle": "newcomer",
        "password": "a sturdy passphrase",
        "display_name": "New Comer",
        **overrides,
    }


@pytest.fixture
def invite() -> Invite:
    return InviteFactory()


def test_signup_creates_the_account_and_a_session(api_client, invite):
    response = api_client.post(SIGNUP, signup_body(invite))

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"user", "access_token", "access_expires_at", "refresh_token"}
    assert body["user"]["handle"] == "newcomer"
    assert body["user"]["email"] == "newcomer@example.com"
    assert body["access_token"].startswith("v4.local.")
    me = APIClient(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}").get("/api/v1/account")
    assert me.status_code == 200
    assert me.json()["handle"] == "newcomer"


def test_signup_redeems_the_code_keeps_the_tree_and_credits_the_inviter(api_client, invite):
    api_client.post(SIGNUP, signup_body(invite))

    invite.refresh_from_db()
    newcomer = User.objects.get(handle="newcomer")
    assert invite.used_by == newcomer
    assert invite.used_at is not None
    assert newcomer.invited_through.created_by == invite.created_by
    entry = TrustLedgerEntry.objects.get(user=invite.created_by)
    assert (entry.points, entry.reason, entry.source_id) == (10, "invitee_signed_up", invite.pk)


def test_signup_stores_an_argon2_ready_hash_not_the_password(api_client, invite):
    api_client.post(SIGNUP, signup_body(invite))

    user = User.objects.get(handle="newcomer")
    assert "a sturdy passphrase" not in user.password
    assert user.check_password("a sturdy passphrase")


@pytest.mark.parametrize(
    "make_invite",
    [
        pytest.param(
            lambda: InviteFactory(used_at=timezone.now(), used_by=UserFactory()), id="used"
        ),
        pytest.param(lambda: InviteFactory(revoked_at=timezone.now()), id="revoked"),
        pytest.param(
            lambda: InviteFactory(expires_at=timezone.now() - datetime.timedelta(seconds=1)),
            id="expired",
        ),
        pytest.param(lambda: Invite(code="AAAAAAAAAAAA"), id="unknown"),
    ],
)
def test_signup_refuses_a_code_that_cannot_be_redeemed(api_client, make_invite, password_hashes):
    invite = make_invite()
    users_before = User.objects.count()
    password_hashes.reset()

    response = api_client.post(SIGNUP, signup_body(invite))

    error = assert_error(response, 400, "validation_error")
    assert "invite_code" in error["fields"]
    assert User.objects.count() == users_before
    assert password_hashes.calls == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("handle", "ab"),
        ("handle", "a" * 31),
        ("handle", "no spaces"),
        ("handle", "dots.not.allowed"),
        ("handle", "admin"),
        ("handle", "Moderator"),
        ("email", "not-an-email"),
        ("email", "\u0130" * 240 + "@example.com"),  # 252 chars, 492 once lowercased
        ("email", ""),
        ("display_name", "x" * 51),
        ("password", "short"),
        ("password", "password123"),
        ("password", "12345678901"),
        ("invite_code", "short"),
        ("invite_code", None),
    ],
)
def test_signup_validation(api_client, invite, field, value):
    response = api_client.post(SIGNUP, signup_body(invite, **{field: value}))

    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert not User.objects.filter(email="newcomer@example.com").exists()
    invite.refresh_from_db()
    assert invite.used_at is None


def test_signup_lowercases_the_handle(api_client, invite):
    response = api_client.post(SIGNUP, signup_body(invite, handle="NewComer"))

    assert response.status_code == 201
    assert response.json()["user"]["handle"] == "newcomer"


@pytest.mark.parametrize(
    "taken", [{"handle": "newcomer"}, {"handle": "NEWCOMER"}, {"email": "NewComer@Example.com"}]
)
def test_signup_with_a_taken_handle_or_email_is_a_conflict(api_client, invite, taken):
    UserFactory(handle="newcomer", email="newcomer@example.com")
    conflicting = {"handle": "someone_else", "email": "someone@example.com", **taken}

    response = api_client.post(SIGNUP, signup_body(invite, **conflicting))

    assert_error(response, 409, "handle_taken")
    invite.refresh_from_db()
    assert invite.used_at is None, "a failed signup must leave the code unused"
    assert User.objects.count() == 2  # the inviter and the existing user


def test_signup_is_limited_to_5_an_hour_per_ip(invite):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    for attempt in range(5):
        response = client.post(SIGNUP, signup_body(invite, invite_code=f"WRONGCODE{attempt:03d}"))
        assert response.status_code == 400

    response = client.post(SIGNUP, signup_body(invite))

    assert_error(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(handle="newcomer").exists()
    other_ip = APIClient(REMOTE_ADDR="203.0.113.8").post(SIGNUP, signup_body(invite))
    assert other_ip.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_20_concurrent_signups_with_one_code_create_exactly_one_account():
    invite = InviteFactory()

    def sign_up(number: int) -> int:
        client = APIClient(REMOTE_ADDR=f"198.51.100.{number + 1}")
        try:
            body = signup_body(invite, email=f"racer{number}@example.com", handle=f"racer_{number}")
            return client.post(SIGNUP, body).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(sign_up, range(20)))

    assert statuses.count(201) == 1
    assert sorted(statuses)[1:] == [400] * 19
    assert User.objects.filter(handle__startswith="racer_").count() == 1
    invite.refresh_from_db()
    assert invite.used_by.handle.startswith("racer_")
    assert TrustLedgerEntry.objects.filter(user=invite.created_by).count() == 1
