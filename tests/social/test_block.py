"""Blocks: follows end both ways, the pair is hidden from each other, and races stay safe."""

import pytest

from accounts.models import User
from social.models import Block, Follow, Notification
from social.services import block_create, follow_create
from tests.factories import UserFactory
from tests.helpers import assert_error, client_for, run_concurrently

pytestmark = pytest.mark.django_db


def block_url(user: User) -> str:
    return f"/api/v1/users/{user.handle}/block"


@pytest.fixture
def pair():
    viewer, other = UserFactory(handle="viewer_one"), UserFactory(handle="other_one")
    follow_create(follower=viewer, followee=other)
    follow_create(follower=other, followee=viewer)
    return viewer, other


def test_block_ends_follows_both_ways_and_their_counts(pair):
    viewer, other = pair

    response = client_for(viewer).post(block_url(other))

    assert response.status_code == 200
    assert response.json() == {
        "following": False,
        "followed_by": False,
        "blocking": True,
        "blocked_by": False,
    }
    assert not Follow.objects.exists()
    for user in (viewer, other):
        user.refresh_from_db()
        assert (user.follower_count, user.following_count) == (0, 0)


def test_block_is_idempotent(pair):
    viewer, other = pair
    client = client_for(viewer)

    assert [client.post(block_url(other)).status_code for _ in range(2)] == [200, 200]
    assert Block.objects.count() == 1


def test_no_self_block(user, user_client):
    assert_error(user_client.post(block_url(user)), 409, "cannot_block_self")


def test_blocked_pair_cannot_see_each_others_profiles_or_lists(pair):
    viewer, other = pair
    client_for(viewer).post(block_url(other))

    for client, target in ((client_for(viewer), other), (client_for(other), viewer)):
        for suffix in ("", "/followers", "/following"):
            response = client.get(f"/api/v1/users/{target.handle}{suffix}")
            assert_error(response, 404, "not_found")


def test_the_blocked_user_gets_404_for_the_relationship_the_blocker_sees_the_block(pair):
    viewer, other = pair
    client_for(viewer).post(block_url(other))

    assert_error(client_for(other).get("/api/v1/users/viewer_one/relationship"), 404, "not_found")
    assert client_for(viewer).get("/api/v1/users/other_one/relationship").json()["blocking"]


def test_blocked_users_disappear_from_third_party_lists(pair):
    viewer, other = pair
    star = UserFactory(handle="star")
    follow_create(follower=other, followee=star)
    follow_create(follower=UserFactory(handle="bystander"), followee=star)
    client_for(viewer).post(block_url(other))

    handles = [
        row["user"]["handle"]
        for row in client_for(viewer).get("/api/v1/users/star/followers").json()["results"]
    ]

    assert handles == ["bystander"]


def test_block_hides_earlier_notifications_from_that_user(pair):
    viewer, other = pair
    assert Notification.objects.filter(recipient=viewer, actor=other).exists()

    client_for(viewer).post(block_url(other))

    body = client_for(viewer).get("/api/v1/notifications").json()
    assert body["results"] == []  # the blocked user's follow notification is gone
    assert body["unread_count"] == 0


def test_unblock_shows_the_profile_again_but_does_not_restore_follows(pair):
    viewer, other = pair
    client = client_for(viewer)
    client.post(block_url(other))

    response = client.delete(block_url(other))

    assert response.json() == {
        "following": False,
        "followed_by": False,
        "blocking": False,
        "blocked_by": False,
    }
    assert client.get("/api/v1/users/other_one").status_code == 200
    assert client_for(other).get("/api/v1/users/viewer_one").status_code == 200
    assert not Follow.objects.exists()
    assert client.delete(block_url(other)).status_code == 200


@pytest.mark.django_db(transaction=True)  # the cache is invalidated after commit
def test_a_block_is_seen_at_once_despite_the_cache(pair):
    viewer, other = pair
    client = client_for(other)
    assert client.get("/api/v1/users/viewer_one").status_code == 200  # caches other's block set

    client_for(viewer).post(block_url(other))

    assert_error(client.get("/api/v1/users/viewer_one"), 404, "not_found")


@pytest.mark.django_db(transaction=True)
def test_100_trials_of_a_concurrent_block_and_follow_leave_no_follow_across_a_block():
    crossings = 0
    for trial in range(100):
        first, second = UserFactory(), UserFactory()
        # Alternate who blocks and who follows, so both directions are raced.
        blocker, follower = (first, second) if trial % 2 else (second, first)

        def block(blocker=blocker, blocked=follower):
            return block_create(blocker=blocker, blocked=blocked)

        def follow(follower=follower, followee=blocker):
            return follow_create(follower=follower, followee=followee)

        run_concurrently([block, follow])

        assert Block.objects.filter(blocker=blocker, blocked=follower).exists()
        crossings += Follow.objects.filter(
            follower__in=[first, second], followee__in=[first, second]
        ).count()
        for user in (first, second):
            user.refresh_from_db()
            assert user.following_count == Follow.objects.filter(follower=user).count()
            assert user.follower_count == Follow.objects.filter(followee=user).count()
    assert crossings == 0


def test_writes_by_a_blocked_user_answer_with_the_state_not_a_404(pair):
    viewer, other = pair
    client_for(viewer).post(block_url(other))
    blocked_client = client_for(other)

    unfollow = blocked_client.delete("/api/v1/users/viewer_one/follow")
    block_back = blocked_client.post("/api/v1/users/viewer_one/block")
    again = blocked_client.post("/api/v1/users/viewer_one/block")

    assert unfollow.status_code == block_back.status_code == again.status_code == 200
    assert again.json()["blocking"] is True
    assert Block.objects.filter(blocker=other, blocked=viewer).count() == 1
