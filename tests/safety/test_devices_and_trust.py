"""Devices and their risk; trust levels, their recalculation, and the trust score."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from safety.models import Device, DeviceAccount, StrikeSource, TrustReason
from safety.services import (
    device_register,
    device_risk_score,
    fingerprint_hash,
    strike_issue,
    trust_level_recalculate_all,
    trust_points_record,
)
from tests.factories import DEFAULT_PASSWORD, InviteFactory, UserFactory
from tests.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db


def test_register_a_device_stores_only_the_hash(user, user_client):
    response = user_client.post(
        "/api/v1/account/device/register", {"fingerprint": "visitor-123", "platform": "ios"}
    )

    assert response.status_code == 200
    assert response.json()["platform"] == "ios"
    device = Device.objects.get()
    assert device.fingerprint_hash == fingerprint_hash("visitor-123")
    assert "visitor-123" not in str(list(Device.objects.values()))
    user_client.post("/api/v1/account/device/register", {"fingerprint": "visitor-123"})
    link = DeviceAccount.objects.get(user=user)
    assert link.activity_count == 2
    listed = user_client.get("/api/v1/account/devices").json()["results"]
    assert [row["id"] for row in listed] == [str(device.pk)]
    assert "risk_score" not in listed[0]


@pytest.mark.parametrize(
    ("accounts", "banned", "expected"),
    [
        (1, 0, 0),
        (2, 0, 5),
        (3, 0, 20),
        (5, 0, 20),
        (6, 0, 50),
        (10, 1, 75),
        (11, 0, 100),
        (12, 1, 100),
    ],
)
def test_risk_score_tiers(accounts, banned, expected):
    assert device_risk_score(accounts=accounts, banned_accounts=banned, adjustment=0) == expected


def test_a_device_of_12_accounts_one_banned_is_blocked_for_signup_and_login():
    accounts = UserFactory.create_batch(12)
    for account in accounts:
        device_register(user=account, fingerprint="farm-phone")
    for reason in ("a", "b", "c"):
        strike_issue(user=accounts[0], source=StrikeSource.MODERATOR, reason=reason)

    device = Device.objects.get()
    assert device.risk_score == 100
    assert device.blocked
    invite = InviteFactory()
    signup = APIClient().post(
        "/api/v1/auth/signup",
        {
            "invite_code": invite.code,
            "email": "thirteenth@example.com",
            "handle": "thirteenth",
            "password": "a sturdy passphrase",
            "device_fingerprint": "farm-phone",
        },
    )
    assert_error(signup, 403, "device_blocked")
    assert not User.objects.filter(handle="thirteenth").exists()
    login = APIClient().post(
        "/api/v1/auth/login",
        {
            "email": accounts[5].email,
            "password": DEFAULT_PASSWORD,
            "device_fingerprint": "farm-phone",
        },
    )
    assert_error(login, 403, "device_blocked")
    # The same account from another device is fine.
    other = APIClient().post(
        "/api/v1/auth/login",
        {"email": accounts[5].email, "password": DEFAULT_PASSWORD, "device_fingerprint": "home-pc"},
    )
    assert other.status_code == 200


def test_a_ban_raises_the_risk_of_the_banned_users_devices():
    accounts = UserFactory.create_batch(6)
    for account in accounts:
        device_register(user=account, fingerprint="shared")
    assert Device.objects.get().risk_score == 50

    for reason in ("a", "b", "c"):
        strike_issue(user=accounts[0], source=StrikeSource.MODERATOR, reason=reason)

    assert Device.objects.get().risk_score == 75


def test_signup_and_login_record_the_device():
    invite = InviteFactory()
    APIClient().post(
        "/api/v1/auth/signup",
        {
            "invite_code": invite.code,
            "email": "new@example.com",
            "handle": "new_person",
            "password": "a sturdy passphrase",
            "device_fingerprint": "laptop",
        },
    )
    user = User.objects.get(handle="new_person")
    APIClient().post(
        "/api/v1/auth/login",
        {
            "email": "new@example.com",
            "password": "a sturdy passphrase",
            "device_fingerprint": "laptop",
        },
    )

    link = DeviceAccount.objects.get(user=user)
    assert link.activity_count == 2


def aged(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_level_rules():
    ready = UserFactory()
    aged(ready, 8)
    User.objects.filter(pk=ready.pk).update(post_count=5, trust_points=20)
    too_young = UserFactory()
    aged(too_young, 6)
    User.objects.filter(pk=too_young.pk).update(post_count=5, trust_points=20)
    trusted = UserFactory()
    aged(trusted, 91)
    User.objects.filter(pk=trusted.pk).update(post_count=50, trust_points=100)
    verified = UserFactory(trust_level="verified")
    struck = UserFactory(trust_level="verified")
    User.objects.filter(pk=struck.pk).update(strike_count=3)

    changed = trust_level_recalculate_all(batch_size=2)

    levels = dict(User.objects.values_list("pk", "trust_level"))
    assert levels[ready.pk] == "basic"
    assert levels[too_young.pk] == "new"
    assert levels[trusted.pk] == "trusted"
    assert levels[verified.pk] == "verified"
    assert levels[struck.pk] == "new"
    assert changed == 3
    assert trust_level_recalculate_all() == 0  # idempotent


def test_points_change_the_level_right_away():
    user = UserFactory()
    aged(user, 8)
    User.objects.filter(pk=user.pk).update(post_count=5, trust_points=10)

    trust_points_record(user=user, reason=TrustReason.INVITEE_SIGNED_UP, source_id=user.pk)

    user.refresh_from_db()
    assert (user.trust_points, user.trust_level) == (20, "basic")


def test_trust_score_endpoint(user):
    aged(user, 3)
    User.objects.filter(pk=user.pk).update(post_count=2, trust_points=6)

    body = client_for(user).get("/api/v1/account/trust-score").json()

    assert body["level"] == "new"
    assert body["points"] == 6
    assert body["strikes"] == 0
    assert body["ban"] == {"active": False, "ends_at": None, "last_reason": None}
    assert body["next_level"]["level"] == "basic"
    requirements = body["next_level"]["requirements"]
    assert requirements["posts"] == {"minimum": 5, "current": 2, "missing": 3}
    assert requirements["account_age_days"] == {"minimum": 7, "current": 3, "missing": 4}
    assert requirements["points"] == {"minimum": 20, "current": 6, "missing": 14}


def test_the_rescoring_job_lowers_the_risk_once_a_ban_has_ended():
    from safety.tasks import devices_rescore_task

    accounts = UserFactory.create_batch(2)
    for account in accounts:
        device_register(user=account, fingerprint="tablet")
    for reason in ("a", "b", "c"):
        strike_issue(user=accounts[0], source=StrikeSource.MODERATOR, reason=reason)
    assert Device.objects.get().risk_score == 30
    User.objects.filter(pk=accounts[0].pk).update(
        banned_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    devices_rescore_task()

    assert Device.objects.get().risk_score == 5
