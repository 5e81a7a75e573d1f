"""Per-action limits by trust level: exact under concurrency, sliding, fail-open without Redis."""

import time

import pytest
from prometheus_client import REGISTRY

from accounts.models import User
from ciel.api.exceptions import RateLimited
from safety.limits import action_limit_consume, windows_for
from tests.factories import PostFactory, UserFactory
from tests.helpers import assert_error, client_for, run_concurrently, throwaway_redis

pytestmark = pytest.mark.django_db

LEVELS = ("new", "basic", "trusted", "verified")
ACTIONS = ("post", "follow", "like", "comment")
CONCURRENT = 50


def consume(user: User, action: str, now: float) -> bool:
    try:
        action_limit_consume(user=user, action=action, now=now)
    except RateLimited:
        return False
    return True


def shortest_window(action: str, level: str) -> tuple[int, int]:
    return windows_for(action, level)[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("level", LEVELS)
def test_exactly_the_limit_succeeds_out_of_50_concurrent_requests(level, action):
    user = UserFactory(trust_level=level)
    window, limit = shortest_window(action, level)
    now = time.time()
    # Limits above 50 are filled up to 25 short of the limit first, so the 50 concurrent
    # requests straddle it: exactly 25 must pass.
    prefill = max(0, limit - 25)
    for second in range(prefill):
        assert consume(user, action, now - window / 2 + second * 0.001)

    allowed = run_concurrently([lambda: consume(user, action, now)] * CONCURRENT)

    assert allowed.count(True) == min(limit, CONCURRENT + prefill) - prefill
    # Limit + 1 within the window is refused…
    assert not consume(user, action, now + 1)
    # …and the window recovers once the oldest actions are older than it.
    assert consume(user, action, now + window + 1)


def test_the_day_window_holds_even_when_each_hour_has_room():
    user = UserFactory(trust_level="new")  # posts: 1 an hour, 5 a day
    start = time.time()

    results = [consume(user, "post", start + hour * 3601) for hour in range(6)]

    assert results == [True] * 5 + [False]
    assert consume(user, "post", start + 86400 + 1)


def test_a_burst_at_a_window_edge_cannot_double_the_limit():
    user = UserFactory(trust_level="new")  # likes: 30 an hour
    edge = (int(time.time()) // 3600 + 1) * 3600  # the top of the next hour
    before_edge = [consume(user, "like", edge - 10 + i * 0.01) for i in range(30)]

    after_edge = [consume(user, "like", edge + 10 + i * 0.01) for i in range(30)]

    assert before_edge == [True] * 30
    assert after_edge == [False] * 30, "a fixed window would have allowed 30 more here"
    assert consume(user, "like", edge - 10 + 3600 + 1)


@pytest.mark.django_db(transaction=True)
def test_50_concurrent_likes_through_the_api_let_exactly_30_through_for_a_new_user():
    fan = UserFactory(trust_level="new")
    posts = [PostFactory() for _ in range(CONCURRENT)]

    responses = run_concurrently(
        [lambda post=post: client_for(fan).post(f"/api/v1/posts/{post.pk}/like") for post in posts]
    )

    statuses = [response.status_code for response in responses]
    assert statuses.count(200) == 30
    assert statuses.count(429) == 20
    refused = next(response for response in responses if response.status_code == 429)
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused["X-RateLimit-Limit"] == "30"
    assert refused["X-RateLimit-Remaining"] == "0"


def test_the_second_post_in_an_hour_of_a_new_user_is_429_and_changes_nothing(user, user_client):
    from tests.factories import MediaFactory

    first, second = MediaFactory(owner=user), MediaFactory(owner=user)
    assert user_client.post("/api/v1/posts", {"media_ids": [str(first.pk)]}).status_code == 201

    response = user_client.post("/api/v1/posts", {"media_ids": [str(second.pk)]})

    assert_error(response, 429, "rate_limited")
    user.refresh_from_db()
    assert user.post_count == 1


def test_rate_limits_endpoint_shows_every_window(user, user_client):
    now = time.time()
    for _ in range(3):
        action_limit_consume(user=user, action="like", now=now)

    body = user_client.get("/api/v1/account/rate-limits").json()

    assert body["trust_level"] == "new"
    assert body["available"] is True
    assert set(body["actions"]) == set(ACTIONS)
    like = body["actions"]["like"][0]
    assert (like["window_seconds"], like["limit"], like["remaining"]) == (3600, 30, 27)
    post_windows = [(w["window_seconds"], w["limit"]) for w in body["actions"]["post"]]
    assert post_windows == [(3600, 1), (86400, 5)]


def test_switching_limits_off(settings, user):
    settings.RATELIMIT_ENABLE = False
    now = time.time()

    assert all(consume(user, "post", now) for _ in range(10))


def fail_open_count(action: str) -> float:
    return REGISTRY.get_sample_value("rate_limit_fail_open_total", {"action": action}) or 0.0


@pytest.mark.fault
def test_with_redis_stopped_actions_fail_open_and_are_counted(settings, user, user_client):
    from tests.factories import MediaFactory

    with throwaway_redis() as redis:
        settings.CACHES = {
            name: {**config, "LOCATION": f"redis://127.0.0.1:{redis.port}/0"}
            for name, config in settings.CACHES.items()
        }
        redis.stop()
        before = fail_open_count("post")

        statuses = [
            user_client.post(
                "/api/v1/posts", {"media_ids": [str(MediaFactory(owner=user).pk)]}
            ).status_code
            for _ in range(3)
        ]
        limits = user_client.get("/api/v1/account/rate-limits")

    assert statuses == [201, 201, 201]  # past the limit of 1: the limiter failed open
    assert fail_open_count("post") == before + 3
    assert limits.status_code == 200
    assert limits.json()["available"] is False


def test_limits_follow_the_settings_table():
    assert windows_for("post", "verified") == [(3600, 50), (86400, 200)]
    assert windows_for("follow", "trusted") == [(86400, 500)]
