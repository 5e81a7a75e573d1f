"""Reports, automatic strikes, escalating bans; the ban ends by itself."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Session, User
from safety.models import AuditLogEntry, Ban, Report, Strike, StrikeSource, TrustLedgerEntry
from safety.services import ban_lift, device_register, report_create, strike_issue
from social.models import Notification
from tests.factories import DEFAULT_PASSWORD, PostFactory, UserFactory
from tests.helpers import assert_error, client_for, run_concurrently

pytestmark = pytest.mark.django_db


def report(reporter: User, post, reason: str = "spam"):
    return client_for(reporter).post(
        "/api/v1/reports", {"target_type": "post", "target_id": str(post.pk), "reason": reason}
    )


def test_reporting_a_post_costs_its_author_10_points(user):
    post = PostFactory()

    response = report(user, post)

    assert response.status_code == 201
    assert response.json()["status"] == "open"
    post.author.refresh_from_db()
    assert post.author.trust_points == -10
    assert TrustLedgerEntry.objects.get(user=post.author).reason == "flag_received"


def test_one_flag_per_reporter_and_target(user):
    post = PostFactory()

    statuses = [report(user, post).status_code for _ in range(3)]

    assert statuses == [201, 200, 200]
    assert Report.objects.count() == 1
    post.author.refresh_from_db()
    assert post.author.trust_points == -10


@pytest.mark.parametrize("target_type", ["post", "comment", "user"])
def test_what_the_reporter_cannot_see_cannot_be_reported(user, target_type):
    from posts.models import Comment
    from social.models import Block

    owner = UserFactory()
    Block.objects.create(blocker=owner, blocked=user)
    post = PostFactory(author=owner)
    targets = {
        "post": post.pk,
        "comment": Comment.objects.create(post=post, author=owner, body="x").pk,
        "user": owner.pk,
    }

    response = client_for(user).post(
        "/api/v1/reports",
        {"target_type": target_type, "target_id": str(targets[target_type]), "reason": "abuse"},
    )

    assert_error(response, 404, "not_found")
    assert not Report.objects.exists()


def test_no_self_report(user):
    response = client_for(user).post(
        "/api/v1/reports", {"target_type": "user", "target_id": str(user.pk), "reason": "other"}
    )

    assert_error(response, 409, "cannot_report_self")


def test_10_distinct_reporters_give_exactly_one_strike():
    post = PostFactory()
    for reporter in UserFactory.create_batch(10, trust_level="basic"):
        report(reporter, post)

    strikes = Strike.objects.filter(user=post.author)
    assert [(s.sequence, s.source) for s in strikes] == [(1, StrikeSource.FLAGS)]
    assert Notification.objects.filter(recipient=post.author, type="strike").count() == 1
    assert not Ban.objects.exists()


def test_30_reporters_give_three_strikes_and_a_7_day_ban():
    post = PostFactory()
    author = post.author
    tokens = (
        APIClient()
        .post("/api/v1/auth/login", {"email": author.email, "password": DEFAULT_PASSWORD})
        .json()
    )
    for reporter in UserFactory.create_batch(30, trust_level="basic"):
        report(reporter, post)

    author.refresh_from_db()
    assert author.strike_count == 3
    assert author.trust_level == "new"
    ban = Ban.objects.get(user=author)
    assert ban.ends_at - ban.starts_at == datetime.timedelta(days=7)
    assert author.banned_until == ban.ends_at
    # The unexpired access token is refused on the next request, with the ban's end.
    refused = APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").get(
        "/api/v1/account"
    )
    error = assert_error(refused, 403, "account_banned")
    assert error["ends_at"] == ban.ends_at.isoformat()
    # Every session was revoked; logging in again is refused too.
    assert not Session.objects.filter(user=author, revoked_at__isnull=True).exists()
    login = APIClient().post(
        "/api/v1/auth/login", {"email": author.email, "password": DEFAULT_PASSWORD}
    )
    assert_error(login, 403, "account_banned")
    refresh = APIClient().post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code in (401, 403)
    assert Notification.objects.filter(recipient=author, type="ban").count() == 1
    actions = list(
        AuditLogEntry.objects.filter(target_id=author.pk).values_list("action", flat=True)
    )
    assert actions.count("strike") == 3
    assert actions.count("ban") == 1


def test_flags_from_new_accounts_count_half():
    post = PostFactory()
    for reporter in UserFactory.create_batch(10, trust_level="new"):
        report(reporter, post)

    assert not Strike.objects.exists()
    for reporter in UserFactory.create_batch(10, trust_level="new"):
        report(reporter, post)
    assert Strike.objects.filter(user=post.author).count() == 1


def test_accounts_sharing_a_device_count_as_one_reporter():
    post = PostFactory()
    puppets = UserFactory.create_batch(12, trust_level="basic")
    for puppet in puppets:
        device_register(user=puppet, fingerprint="one-phone")
    for puppet in puppets:
        report(puppet, post)

    assert Report.objects.filter(target_owner=post.author).count() == 12
    assert not Strike.objects.exists()
    post.author.refresh_from_db()
    assert post.author.flag_score == 2  # one full flag


@pytest.mark.django_db(transaction=True)
def test_concurrent_strikes_take_each_step_once():
    user = UserFactory()

    run_concurrently(
        [lambda: strike_issue(user=user, source=StrikeSource.MODERATOR, reason="spam")] * 6
    )

    assert sorted(Strike.objects.filter(user=user).values_list("sequence", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]
    durations = sorted((b.ends_at - b.starts_at).days for b in Ban.objects.filter(user=user))
    assert durations == [7, 30, 365, 365]
    user.refresh_from_db()
    assert user.strike_count == 6
    assert user.trust_points == -300  # six manual strikes at -50


def test_the_ban_ends_by_itself(user, user_client):
    User.objects.filter(pk=user.pk).update(
        banned_until=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert user_client.get("/api/v1/account").status_code == 200


def test_a_moderator_can_lift_a_ban(user):
    moderator = UserFactory(is_staff=True)
    strike_issue(user=user, source=StrikeSource.MODERATOR, reason="a")
    strike_issue(user=user, source=StrikeSource.MODERATOR, reason="b")
    strike_issue(user=user, source=StrikeSource.MODERATOR, reason="c")
    user.refresh_from_db()
    assert user.ban_active()

    ban_lift(user=user, moderator=moderator, reason="appeal accepted")

    user.refresh_from_db()
    assert not user.ban_active()
    login = APIClient().post(
        "/api/v1/auth/login", {"email": user.email, "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 200
    assert AuditLogEntry.objects.filter(action="ban_lift", actor=moderator).exists()


def test_audit_entries_cannot_be_rewritten(user):
    strike_issue(user=user, source=StrikeSource.MODERATOR, reason="spam")
    entry = AuditLogEntry.objects.get(action="strike")
    entry.reason = "something else"

    with pytest.raises(ValueError, match="cannot be changed"):
        entry.save()


def test_report_create_is_idempotent_at_the_service_level(user):
    post = PostFactory()
    first, created = report_create(
        reporter=user,
        target_type="post",
        target_id=post.pk,
        target_owner=post.author,
        reason="spam",
    )
    again, created_again = report_create(
        reporter=user,
        target_type="post",
        target_id=post.pk,
        target_owner=post.author,
        reason="abuse",
    )

    assert created
    assert not created_again
    assert again.pk == first.pk
