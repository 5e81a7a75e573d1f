"""Follower and following counts equal COUNT(*) after a long random mix of graph changes."""

import random

import pytest
from django.db.models import Count

from accounts.models import User
from social import services
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OPERATIONS = ("follow", "unfollow", "block", "unblock")


def apply(operation: str, actor: User, target: User) -> None:
    try:
        if operation == "follow":
            services.follow_create(follower=actor, followee=target)
        elif operation == "unfollow":
            services.follow_delete(follower=actor, followee=target)
        elif operation == "block":
            services.block_create(blocker=actor, blocked=target)
        else:
            services.block_delete(blocker=actor, blocked=target)
    except services.Conflict:
        pass  # refused (a block, the cap, self): refusals must leave counts right too


def test_counts_equal_rows_after_1000_random_operations(settings):
    settings.MAX_FOLLOWING = 6  # low, so the cap is hit often
    rng = random.Random(1129)
    users = UserFactory.create_batch(12)
    applied = dict.fromkeys(OPERATIONS, 0)

    for _ in range(1000):
        operation = rng.choices(OPERATIONS, weights=[5, 2, 1, 1])[0]
        actor, target = rng.choice(users), rng.choice(users)
        apply(operation, actor, target)
        applied[operation] += 1

    followers = dict(
        User.objects.annotate(n=Count("follower_set", distinct=True)).values_list("pk", "n")
    )
    following = dict(
        User.objects.annotate(n=Count("following_set", distinct=True)).values_list("pk", "n")
    )
    for user in User.objects.filter(pk__in=[u.pk for u in users]):
        assert user.follower_count == followers[user.pk], user
        assert user.following_count == following[user.pk], user
        assert user.following_count <= 6
    assert all(count > 50 for count in applied.values())
