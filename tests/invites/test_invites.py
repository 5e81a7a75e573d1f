"""Invite codes: creation within the quota, listing, stats, revocation (SPEC §7)."""

import datetime
import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from invites.models import Invite
from tests.factories import InviteFactory, UserFactory
from tests.helpers import assert_error, client_for

pytestmark = pytest.mark.django_db

INVITES = "/api/v1/invites"


def test_create_gives_a_12_character_code_valid_7_days(user, user_client):
    response = user_client.post(INVITES)

    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"[A-Za-z0-9]{12}", body["code"])
    assert body["status"] == "active"
    invite = Invite.objects.get(code=body["code"])
    assert invite.created_by == user
    lifetime = invite.expires_at - invite.created_at
    assert datetime.timedelta(days=7) - lifetime < datetime.timedelta(seconds=5)


def test_codes_are_distinct(user):
    user.is_staff = True
    user.save()
    client = client_for(user)

    codes = {client.post(INVITES).json()["code"] for _ in range(50)}

    assert len(codes) == 50


def test_a_new_user_has_a_quota_of_3(user, user_client):
    statuses = [user_client.post(INVITES).status_code for _ in range(4)]

    assert statuses == [201, 201, 201, 409]
    assert Invite.objects.filter(created_by=user).count() == 3
    response = user_client.post(INVITES)
    assert_error(response, 409, "invite_quota_exceeded")


def test_used_codes_count_and_revoked_or_expired_ones_free_their_slot(user, user_client):
    InviteFactory(created_by=user, used_at=timezone.now(), used_by=UserFactory())
    InviteFactory(created_by=user, revoked_at=timezone.now())
    InviteFactory(created_by=user, expires_at=timezone.now() - datetime.timedelta(days=1))
    InviteFactory(created_by=user)

    statuses = [user_client.post(INVITES).status_code for _ in range(2)]

    assert statuses == [201, 409]


def test_staff_have_no_quota(user):
    user.is_staff = True
    user.save()

    statuses = {client_for(user).post(INVITES).status_code for _ in range(10)}

    assert statuses == {201}


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_never_exceed_the_quota():
    inviter = UserFactory()

    def create(_: int) -> int:
        try:
            return client_for(inviter).post(INVITES).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(8)))

    assert statuses.count(201) == 3
    assert statuses.count(409) == 5
    assert Invite.objects.filter(created_by=inviter).count() == 3


def test_list_shows_own_codes_newest_first_with_the_invitee(user, user_client):
    invitee = UserFactory(handle="invitee_one")
    used = InviteFactory(created_by=user, used_at=timezone.now(), used_by=invitee)
    active = InviteFactory(created_by=user)
    InviteFactory()  # someone else's

    body = user_client.get(INVITES).json()

    assert [row["code"] for row in body["results"]] == [active.code, used.code]
    assert body["results"][1]["status"] == "used"
    assert body["results"][1]["used_by"]["handle"] == "invitee_one"
    assert "email" not in body["results"][1]["used_by"]
    assert body["next_cursor"] is None


def test_stats(user, user_client):
    InviteFactory(created_by=user, used_at=timezone.now(), used_by=UserFactory())
    InviteFactory(created_by=user, revoked_at=timezone.now())
    InviteFactory(created_by=user, expires_at=timezone.now() - datetime.timedelta(days=1))
    InviteFactory(created_by=user)

    body = user_client.get(f"{INVITES}/stats").json()

    assert body == {
        "created": 4,
        "used": 1,
        "active": 1,
        "expired": 1,
        "revoked": 1,
        "quota": 3,
        "remaining": 1,
    }


def test_revoke_an_active_code(user, user_client):
    invite = InviteFactory(created_by=user)

    response = user_client.post(f"{INVITES}/{invite.code}/revoke")

    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    invite.refresh_from_db()
    assert invite.revoked_at is not None
    assert user_client.post(f"{INVITES}/{invite.code}/revoke").status_code == 200


def test_a_used_code_cannot_be_revoked(user, user_client):
    invite = InviteFactory(created_by=user, used_at=timezone.now(), used_by=UserFactory())

    assert_error(user_client.post(f"{INVITES}/{invite.code}/revoke"), 409, "invite_used")
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_someone_elses_code_is_404_and_stays_active(user_client):
    invite = InviteFactory()

    assert_error(user_client.post(f"{INVITES}/{invite.code}/revoke"), 404, "not_found")
    invite.refresh_from_db()
    assert invite.revoked_at is None


def test_a_revoked_code_cannot_sign_up(api_client, user, user_client):
    invite = InviteFactory(created_by=user)
    user_client.post(f"{INVITES}/{invite.code}/revoke")

    response = api_client.post(
        "/api/v1/auth/signup",
        {
            "invite_code": invite.code,
            "email": "late@example.com",
            "handle": "late_comer",
            "password": "a sturdy passphrase",
        },
    )

    assert_error(response, 400, "validation_error")


def test_create_invite_command_for_staff(user):
    user.is_staff = True
    user.save()
    out = io.StringIO()

    call_command("create_invite", "--by", user.email, "--count", "5", stdout=out)

    codes = out.getvalue().split()
    assert len(codes) == 5
    assert Invite.objects.filter(created_by=user, code__in=codes).count() == 5


def test_demo_admin_prints_credentials_and_an_invite(settings):
    settings.DEBUG = True
    out = io.StringIO()

    call_command("demo_admin", stdout=out)

    text = out.getvalue()
    assert re.search(r"demo administrator: admin@ciel\.localhost / \S{12,}", text)
    code = re.search(r"invite code: ([A-Za-z0-9]{12})", text).group(1)
    assert Invite.objects.get(code=code).created_by.is_superuser
