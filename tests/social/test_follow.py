"""Follows: idempotent, capped at MAX_FOLLOWING under concurrency, never across a block."""

import random

import pytest
from django.db.models import Count

from accounts.models import User
from social.models import Block, Follow, Notification
from tests.factories import UserFactory
from tests.helpers import assert_error, client_for, run_concurrently

pytestmark = pytest.mark.django_db


def follow_url(user: User) -> str:
    return f"/api/v1/users/{user.handle}/follow"


def counts(user: User) -> tuple[int, int]:
    user.refresh_from_db()
    return user.follower_count, user.following_count


def test_follow_and_unfollow(user, user_client):
    other = UserFactory()

    response = user_client.post(follow_url(other))

    assert response.status_code == 200
    assert response.json() == {
        "following": True,
        "followed_by": False,
        "blocking": False,
        "blocked_by": False,
    }
    assert counts(user) == (0, 1)
    assert counts(other) == (1, 0)
    profile = user_client.get(f"/api/v1/users/{other.handle}").json()
    assert profile["follower_count"] == 1

    response = user_client.delete(follow_url(other))

    assert response.json()["following"] is False
    assert counts(user) == (0, 0)
    assert counts(other) == (0, 0)


def test_follow_and_unfollow_are_idempotent(user, user_client):
    other = UserFactory()

    statuses = [user_client.post(follow_url(other)).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert Follow.objects.filter(follower=user, followee=other).count() == 1
    assert counts(user) == (0, 1)
    for _ in range(2):
        assert user_client.delete(follow_url(other)).status_code == 200
    assert counts(user) == (0, 0)
    assert counts(other) == (0, 0)


def test_following_again_does_not_notify_twice(user, user_client):
    other = UserFactory()

    user_client.post(follow_url(other))
    user_client.delete(follow_url(other))
    user_client.post(follow_url(other))

    assert Notification.objects.filter(recipient=other, actor=user, type="follow").count() == 1


def test_no_self_follow(user, user_client):
    assert_error(user_client.post(follow_url(user)), 409, "cannot_follow_self")
    assert counts(user) == (0, 0)


@pytest.mark.parametrize("direction", ["viewer_blocks", "viewer_is_blocked"])
def test_no_follow_across_a_block(user, user_client, direction):
    other = UserFactory()
    blocker, blocked = (user, other) if direction == "viewer_blocks" else (other, user)
    Block.objects.create(blocker=blocker, blocked=blocked)

    response = user_client.post(follow_url(other))

    assert_error(response, 409, "blocked")
    assert not Follow.objects.exists()
    assert counts(user) == (0, 0)
    assert counts(other) == (0, 0)


def test_follow_unknown_user_is_404(user_client):
    assert_error(user_client.post("/api/v1/users/nobody_at_all/follow"), 404, "not_found")


def test_follow_limit(settings, user, user_client):
    settings.MAX_FOLLOWING = 3
    others = UserFactory.create_batch(4)
    for other in others[:3]:
        assert user_client.post(follow_url(other)).status_code == 200

    response = user_client.post(follow_url(others[3]))

    assert_error(response, 409, "follow_limit_reached")
    assert counts(user) == (0, 3)
    assert counts(others[3]) == (0, 0)
    # Unfollowing frees a place.
    user_client.delete(follow_url(others[0]))
    assert user_client.post(follow_url(others[3])).status_code == 200


def _user_at_cap_minus_one(cap: int) -> User:
    follower = UserFactory()
    existing = UserFactory.create_batch(cap - 1)
    Follow.objects.bulk_create([Follow(follower=follower, followee=other) for other in existing])
    User.objects.filter(pk=follower.pk).update(following_count=cap - 1)
    User.objects.filter(pk__in=[u.pk for u in existing]).update(follower_count=1)
    return follower


@pytest.mark.django_db(transaction=True)
def test_50_trials_of_concurrent_follows_at_cap_minus_one_end_exactly_at_the_cap(settings):
    cap = 5
    settings.MAX_FOLLOWING = cap
    rng = random.Random(20261129)
    for _ in range(50):
        follower = _user_at_cap_minus_one(cap)
        targets = UserFactory.create_batch(rng.randint(2, 10))
        statuses = run_concurrently(
            [
                lambda target=target, follower=follower: (
                    client_for(follower).post(follow_url(target)).status_code
                )
                for target in targets
            ]
        )

        follower.refresh_from_db()
        assert Follow.objects.filter(follower=follower).count() == cap
        assert follower.following_count == cap
        assert statuses.count(200) == 1, statuses
        assert statuses.count(409) == len(targets) - 1, statuses


def test_followers_and_following_lists(user, user_client):
    star = UserFactory(handle="star")
    fans = UserFactory.create_batch(3)
    for fan in fans:
        client_for(fan).post(follow_url(star))
    client_for(star).post(follow_url(fans[0]))

    followers = user_client.get("/api/v1/users/star/followers").json()
    following = user_client.get("/api/v1/users/star/following").json()

    assert [row["user"]["handle"] for row in followers["results"]] == [
        fan.handle for fan in reversed(fans)
    ]
    assert all("email" not in row["user"] for row in followers["results"])
    assert [row["user"]["handle"] for row in following["results"]] == [fans[0].handle]
    assert followers["next_cursor"] is None


def test_lists_paginate(user_client):
    star = UserFactory(handle="star")
    fans = UserFactory.create_batch(7)
    Follow.objects.bulk_create([Follow(follower=fan, followee=star) for fan in fans])

    first = user_client.get("/api/v1/users/star/followers", {"limit": 4}).json()
    second = user_client.get(
        "/api/v1/users/star/followers", {"limit": 4, "cursor": first["next_cursor"]}
    ).json()

    handles = [row["user"]["handle"] for row in first["results"] + second["results"]]
    assert sorted(handles) == sorted(fan.handle for fan in fans)
    assert second["next_cursor"] is None


@pytest.mark.parametrize("kind", ["followers", "following"])
def test_lists_cost_a_fixed_number_of_queries(user, user_client, django_assert_num_queries, kind):
    star = UserFactory(handle="star")
    people = UserFactory.create_batch(30)
    if kind == "followers":
        Follow.objects.bulk_create([Follow(follower=p, followee=star) for p in people])
    else:
        Follow.objects.bulk_create([Follow(follower=star, followee=p) for p in people])
    url = f"/api/v1/users/star/{kind}"
    user_client.get(url)  # warm the viewer's block-set cache

    # The viewer, the listed user, the page: whatever the page size.
    with django_assert_num_queries(3):
        small = user_client.get(url, {"limit": 2})
    with django_assert_num_queries(3):
        large = user_client.get(url, {"limit": 30})
    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 30


def test_relationship_is_one_query(user, user_client, django_assert_num_queries):
    other = UserFactory(handle="other_one")
    client_for(other).post(follow_url(user))

    # One query for the viewer (authentication), one for the relationship.
    with django_assert_num_queries(2):
        response = user_client.get("/api/v1/users/other_one/relationship")

    assert response.json() == {
        "following": False,
        "followed_by": True,
        "blocking": False,
        "blocked_by": False,
    }


def test_follower_counts_of_profiles_match_rows():
    people = UserFactory.create_batch(5)
    for person in people[1:]:
        client_for(person).post(follow_url(people[0]))

    expected = dict(
        Follow.objects.values("followee").annotate(n=Count("id")).values_list("followee", "n")
    )
    people[0].refresh_from_db()
    assert people[0].follower_count == expected[people[0].pk] == 4
