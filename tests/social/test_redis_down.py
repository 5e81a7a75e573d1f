"""With Redis stopped mid-test, the social graph still answers correctly from PostgreSQL."""

import pytest

from accounts.models import User
from social.models import Block, Follow
from tests.factories import UserFactory
from tests.helpers import client_for, throwaway_redis

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]


def test_follow_unfollow_block_and_relationship_work_with_redis_stopped(settings):
    viewer, other = UserFactory(handle="viewer_one"), UserFactory(handle="other_one")
    client = client_for(viewer)
    with throwaway_redis() as redis:
        settings.CACHES = {
            name: {**config, "LOCATION": f"redis://127.0.0.1:{redis.port}/0"}
            for name, config in settings.CACHES.items()
        }
        assert client.get("/api/v1/users/other_one").status_code == 200  # warms the caches
        assert client.post("/api/v1/users/other_one/follow").status_code == 200

        redis.stop()

        assert client.get("/api/v1/users/other_one/relationship").json()["following"] is True
        assert client.delete("/api/v1/users/other_one/follow").json()["following"] is False
        assert not Follow.objects.exists()
        assert client.post("/api/v1/users/other_one/follow").json()["following"] is True
        block = client.post("/api/v1/users/other_one/block")
        assert block.status_code == 200
        assert block.json()["blocking"] is True
        assert Block.objects.filter(blocker=viewer, blocked=other).exists()
        assert not Follow.objects.exists()
        # The block applies at once even though the cached block set could not be bumped.
        assert client_for(other).get("/api/v1/users/viewer_one").status_code == 404
        assert client_for(other).post("/api/v1/users/viewer_one/follow").status_code == 409
        assert client.delete("/api/v1/users/other_one/block").json()["blocking"] is False
        assert client_for(other).get("/api/v1/users/viewer_one").status_code == 200
        assert User.objects.get(pk=viewer.pk).following_count == 0
