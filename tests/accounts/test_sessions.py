"""Login, refresh rotation with reuse detection, logout, password change, and login limits."""

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Session
from tests.factories import DEFAULT_PASSWORD
from tests.helpers import assert_error, throwaway_redis

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ACCOUNT = "/api/v1/account"


def login(user, *, ip: str = "127.0.0.1", password: str = DEFAULT_PASSWORD):
    return APIClient(REMOTE_ADDR=ip).post(LOGIN, {"email": user.email, "password": password})


def refresh(token: str):
    return APIClient().post(REFRESH, {"refresh_token": token})


def bearer(access_token: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {access_token}")


def test_login_returns_a_token_pair(user):
    response = login(user)

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == str(user.pk)
    assert bearer(body["access_token"]).get(ACCOUNT).status_code == 200
    assert Session.objects.filter(user=user, revoked_at__isnull=True).count() == 1


def test_login_email_ignores_case(user):
    response = APIClient().post(LOGIN, {"email": user.email.upper(), "password": DEFAULT_PASSWORD})

    assert response.status_code == 200


def test_unknown_email_and_wrong_password_look_the_same(user, password_hashes):
    password_hashes.reset()
    wrong_password = login(user, password="not the password")
    calls_for_wrong_password = password_hashes.calls
    password_hashes.reset()
    unknown = APIClient().post(LOGIN, {"email": "nobody@example.com", "password": "whatever!"})

    assert wrong_password.status_code == unknown.status_code == 401
    assert wrong_password.json() == unknown.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"
    # Both paths hash once, so the response time does not tell them apart either.
    assert calls_for_wrong_password == password_hashes.calls == 1


def test_refresh_rotates_the_pair(user):
    first = login(user).json()

    response = refresh(first["refresh_token"])

    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert bearer(second["access_token"]).get(ACCOUNT).status_code == 200


def test_reusing_a_rotated_refresh_token_revokes_the_family(user):
    first = login(user).json()
    second = refresh(first["refresh_token"]).json()

    reuse = refresh(first["refresh_token"])

    assert_error(reuse, 401, "token_invalid")
    # The newest token of the family stops working too: the thief and the owner both log in again.
    assert_error(refresh(second["refresh_token"]), 401, "token_invalid")
    # And so do the access tokens issued to the family.
    for access_token in (first["access_token"], second["access_token"]):
        assert_error(bearer(access_token).get(ACCOUNT), 401, "token_invalid")
    session = Session.objects.get(user=user)
    assert session.revoke_reason == Session.RevokeReason.REUSE


def test_reuse_in_one_family_leaves_other_sessions_alone(user):
    phone = login(user).json()
    laptop = login(user).json()
    refresh(phone["refresh_token"])

    refresh(phone["refresh_token"])

    assert refresh(laptop["refresh_token"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_rotate_it_once(user):
    token = login(user).json()["refresh_token"]

    def use(_: int) -> int:
        try:
            return refresh(token).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(use, range(8)))

    # One use wins the exchange; the others are reuse, which revokes the family.
    assert sorted(statuses) == [200] + [401] * 7
    assert Session.objects.get(user=user).revoked_at is not None


def test_an_unknown_refresh_token_is_401():
    assert_error(refresh("not-a-token"), 401, "token_invalid")


def test_a_session_idle_for_30_days_expires(user):
    tokens = login(user).json()
    Session.objects.filter(user=user).update(
        last_used_at=Session.objects.get(user=user).last_used_at - datetime.timedelta(days=31)
    )

    assert_error(refresh(tokens["refresh_token"]), 401, "token_expired")


def test_a_session_older_than_180_days_expires_even_when_used(user):
    tokens = login(user).json()
    session = Session.objects.get(user=user)
    Session.objects.filter(pk=session.pk).update(
        created_at=session.created_at - datetime.timedelta(days=181)
    )

    assert_error(refresh(tokens["refresh_token"]), 401, "token_expired")


def test_using_a_session_keeps_it_alive(user):
    tokens = login(user).json()
    session = Session.objects.get(user=user)
    Session.objects.filter(pk=session.pk).update(
        last_used_at=session.last_used_at - datetime.timedelta(days=29)
    )

    assert refresh(tokens["refresh_token"]).status_code == 200


def test_logout_ends_that_session_only(user):
    phone = login(user).json()
    laptop = login(user).json()

    response = APIClient().post(LOGOUT, {"refresh_token": phone["refresh_token"]})

    assert response.status_code == 204
    assert_error(refresh(phone["refresh_token"]), 401, "token_invalid")
    assert_error(bearer(phone["access_token"]).get(ACCOUNT), 401, "token_invalid")
    assert bearer(laptop["access_token"]).get(ACCOUNT).status_code == 200
    assert refresh(laptop["refresh_token"]).status_code == 200


def test_logout_works_with_an_expired_access_token(settings, user):
    tokens = login(user).json()
    settings.ACCESS_TOKEN_TTL_SECONDS = -1
    expired = login(user).json()["access_token"]

    response = bearer(expired).post(LOGOUT, {"refresh_token": tokens["refresh_token"]})

    assert response.status_code == 204
    assert_error(refresh(tokens["refresh_token"]), 401, "token_invalid")


def test_logout_with_an_unknown_token_is_harmless():
    assert APIClient().post(LOGOUT, {"refresh_token": "nope"}).status_code == 204


def test_logout_all_ends_every_session_and_every_access_token(user):
    phone = login(user).json()
    laptop = login(user).json()

    response = bearer(phone["access_token"]).post(LOGOUT, {"all": True})

    assert response.status_code == 204
    for tokens in (phone, laptop):
        assert_error(refresh(tokens["refresh_token"]), 401, "token_invalid")
        assert_error(bearer(tokens["access_token"]).get(ACCOUNT), 401, "token_invalid")
    assert login(user).status_code == 200


def test_logout_all_needs_an_access_token():
    assert_error(APIClient().post(LOGOUT, {"all": True}), 401, "not_authenticated")


def test_logout_needs_a_token_or_all():
    assert_error(APIClient().post(LOGOUT, {}), 400, "validation_error")


def test_password_change_ends_other_sessions_and_starts_a_new_one(user):
    phone = login(user).json()
    laptop = login(user).json()

    response = bearer(phone["access_token"]).post(
        "/api/v1/account/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "an entirely new passphrase"},
    )

    assert response.status_code == 200
    fresh = response.json()
    assert bearer(fresh["access_token"]).get(ACCOUNT).status_code == 200
    assert refresh(fresh["refresh_token"]).status_code == 200
    for tokens in (phone, laptop):
        assert_error(refresh(tokens["refresh_token"]), 401, "token_invalid")
        assert_error(bearer(tokens["access_token"]).get(ACCOUNT), 401, "token_invalid")
    assert login(user).status_code == 401
    assert login(user, password="an entirely new passphrase").status_code == 200


def test_password_change_checks_the_current_password(user, user_client):
    response = user_client.post(
        "/api/v1/account/password",
        {"current_password": "wrong", "new_password": "an entirely new passphrase"},
    )

    error = assert_error(response, 400, "validation_error")
    assert "current_password" in error["fields"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_applies_the_password_rules(user, user_client):
    response = user_client.post(
        "/api/v1/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": "123"}
    )

    assert "password" in assert_error(response, 400, "validation_error")["fields"]


def test_the_11th_login_from_one_ip_in_an_hour_is_429_before_any_hash(user, password_hashes):
    for _ in range(10):
        assert login(user, ip="192.0.2.10").status_code == 200
    password_hashes.reset()

    response = login(user, ip="192.0.2.10")

    assert_error(response, 429, "rate_limited")
    assert 0 < int(response["Retry-After"]) <= 3600
    assert response["X-RateLimit-Limit"] == "10"
    assert response["X-RateLimit-Remaining"] == "0"
    assert int(response["X-RateLimit-Reset"]) > 0
    assert password_hashes.calls == 0
    assert login(user, ip="192.0.2.11").status_code == 200


def test_10_failed_logins_for_one_email_lock_it_for_the_hour(user, password_hashes):
    for attempt in range(10):
        response = login(user, ip=f"192.0.2.{attempt + 20}", password="guess")
        assert response.status_code == 401
    password_hashes.reset()

    response = login(user, ip="192.0.2.99")

    assert_error(response, 429, "rate_limited")
    assert password_hashes.calls == 0


def test_successful_logins_do_not_count_toward_the_email_limit(user):
    for attempt in range(10):
        assert login(user, ip=f"192.0.2.{attempt + 40}").status_code == 200

    assert login(user, ip="192.0.2.60").status_code == 200


def test_rate_limit_switch_turns_login_limits_off(settings, user):
    settings.RATELIMIT_ENABLE = False

    statuses = {login(user, ip="192.0.2.70").status_code for _ in range(12)}

    assert statuses == {200}


@pytest.mark.fault
def test_with_redis_down_the_login_limit_still_holds_in_process(settings, user, password_hashes):
    with throwaway_redis() as redis:
        caches = dict(settings.CACHES)
        caches["ratelimit"] = {
            **caches["ratelimit"],
            "LOCATION": f"redis://127.0.0.1:{redis.port}/0",
        }
        settings.CACHES = caches
        redis.stop()

        statuses = [login(user, ip="192.0.2.80").status_code for _ in range(10)]
        password_hashes.reset()
        eleventh = login(user, ip="192.0.2.80")

    assert statuses == [200] * 10
    assert_error(eleventh, 429, "rate_limited")
    assert password_hashes.calls == 0


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_cannot_exceed_the_per_email_limit(password_hashes):
    from tests.factories import UserFactory
    from tests.helpers import run_concurrently

    victim = UserFactory()
    password_hashes.reset()

    statuses = run_concurrently(
        [
            lambda number=number: (
                login(victim, ip=f"198.18.0.{number}", password="guess").status_code
            )
            for number in range(1, 25)
        ]
    )

    assert statuses.count(401) == 10
    assert statuses.count(429) == 14
    assert password_hashes.calls == 10


def test_wrong_current_passwords_are_limited_like_failed_logins(user, password_hashes):
    from tests.helpers import client_for

    client = client_for(user)
    body = {"current_password": "guess", "new_password": "an entirely new passphrase"}
    statuses = [client.post("/api/v1/account/password", body).status_code for _ in range(10)]
    password_hashes.reset()

    response = client.post(
        "/api/v1/account/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "an entirely new passphrase"},
    )

    assert statuses == [400] * 10
    assert_error(response, 429, "rate_limited")
    assert password_hashes.calls == 0
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
