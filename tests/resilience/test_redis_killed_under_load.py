"""Redis killed under load: a real API process keeps answering every request, from PostgreSQL.

SPEC §5: every cache is an optimisation; with Redis down the API still answers correctly. Here
gunicorn serves parallel reads and writes (feed, profiles, posts, likes, follows, logins) with
its caches, timelines and rate limits in a throwaway redis-server, which is SIGKILLed mid-run.
"""

import threading
import time
from dataclasses import dataclass
from itertools import cycle
from typing import Any

import pytest
import redis
import requests
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db.models import Count

from accounts.models import User
from accounts.tokens import access_token_issue
from posts.models import Post
from social import services as social
from social.models import Follow
from tests.factories import PostFactory, UserFactory
from tests.helpers import session_for, throwaway_redis, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

THREADS_PER_VIEWER = 2
ANSWERS_BEFORE_KILL = 40
ANSWERS_AFTER_KILL = 120
PASSWORD = "a long enough passphrase"


@dataclass(frozen=True)
class Outcome:
    at: float  # seconds since the load started
    kind: str
    status: int | None  # None: no HTTP answer at all
    feed_right: bool | None = None  # for a feed: whether it listed exactly the right posts


def feed_ids(body: dict) -> list[str]:
    return [post["id"] for post in body["results"]]


def test_with_redis_killed_under_load_nothing_fails_and_the_feed_stays_right(start_api_server):
    # Verified users: their action limits (1000 likes an hour…) stay out of the way, so the
    # load exercises the writes, while the limiter itself still runs on every write.
    authors = UserFactory.create_batch(2, trust_level="verified")
    viewers = UserFactory.create_batch(4, trust_level="verified")
    churn = UserFactory(trust_level="verified")  # followed and unfollowed; never posts
    for author in authors:
        PostFactory.create_batch(3, author=author)
    for viewer in viewers:
        PostFactory(author=viewer)
        for author in authors:
            social.follow_create(follower=viewer, followee=author)
    hasher = Argon2PasswordHasher()  # what the server checks logins with
    User.objects.filter(pk=viewers[0].pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    expected = {
        viewer.pk: [
            str(pk)
            for pk in Post.objects.filter(author__in=[viewer, *authors])
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)
        ]
        for viewer in viewers
    }
    liked_posts = list(Post.objects.filter(author__in=authors))
    tokens = {
        viewer.pk: access_token_issue(viewer.pk, session_for(viewer).pk)[0] for viewer in viewers
    }

    with throwaway_redis() as redis_server:
        server = start_api_server(REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0")
        outcomes: list[Outcome] = []
        started = time.monotonic()
        stop = threading.Event()

        def record(
            kind: str, method: str, path: str, session: requests.Session, **kwargs: Any
        ) -> None:
            expected_feed = kwargs.pop("expected_feed", None)
            at = time.monotonic() - started
            try:
                response = session.request(method, server.url + path, timeout=10, **kwargs)
            except requests.RequestException:
                outcomes.append(Outcome(at, kind, None))
                return
            feed_right = None
            if kind == "feed" and response.status_code == 200:
                feed_right = feed_ids(response.json()) == expected_feed
            outcomes.append(Outcome(at, kind, response.status_code, feed_right))

        def load(index: int) -> None:
            viewer = viewers[index % len(viewers)]
            post = liked_posts[index % len(liked_posts)]
            author = authors[index % len(authors)]
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {tokens[viewer.pk]}"
            steps = cycle(
                [
                    ("feed", "GET", "/api/v1/feed/home"),
                    ("profile", "GET", f"/api/v1/users/{author.handle}"),
                    ("like", "POST", f"/api/v1/posts/{post.pk}/like"),
                    ("post", "GET", f"/api/v1/posts/{post.pk}"),
                    ("follow", "POST", f"/api/v1/users/{churn.handle}/follow"),
                    ("relationship", "GET", f"/api/v1/users/{author.handle}/relationship"),
                    ("unlike", "DELETE", f"/api/v1/posts/{post.pk}/like"),
                    ("unfollow", "DELETE", f"/api/v1/users/{churn.handle}/follow"),
                ]
            )
            while not stop.is_set():
                kind, method, path = next(steps)
                record(kind, method, path, session, expected_feed=expected[viewer.pk])

        def logins() -> None:
            # A few: the per-IP login limit (10 an hour) would refuse a flood, and each
            # Argon2 hash costs ~150 ms and 100 MiB.
            session = requests.Session()
            body = {"email": viewers[0].email, "password": PASSWORD}
            while not stop.is_set():
                record("login", "POST", "/api/v1/auth/login", session, json=body)
                stop.wait(0.5)

        threads = [
            threading.Thread(target=load, args=(index,))
            for index in range(len(viewers) * THREADS_PER_VIEWER)
        ]
        threads.append(threading.Thread(target=logins))
        for thread in threads:
            thread.start()
        try:
            # Counted in answers rather than seconds: the machine may be busy.
            wait_for(lambda: len(outcomes) >= ANSWERS_BEFORE_KILL, timeout=60)
            keys_at_kill = redis.Redis(port=redis_server.port).dbsize()
            kill_at = time.monotonic() - started
            redis_server.stop()  # SIGKILL: open connections are cut, new ones refused
            wait_for(
                lambda: sum(o.at > kill_at for o in outcomes) >= ANSWERS_AFTER_KILL, timeout=60
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join()

        # Still down: readiness says so, and the feeds are right once more, read at rest.
        readyz = requests.get(server.url + "/readyz", timeout=10)
        feeds_after = {
            viewer.pk: requests.get(
                server.url + "/api/v1/feed/home",
                headers={"Authorization": f"Bearer {tokens[viewer.pk]}"},
                timeout=10,
            )
            for viewer in viewers
        }
        log = server.log_tail(200)

    after = [o for o in outcomes if o.at > kill_at]  # sent after the kill
    assert keys_at_kill > 0, "Redis held nothing when it was killed: the test proves nothing"
    assert [o for o in outcomes if o.status is None] == []
    assert [o for o in outcomes if o.status >= 500] == [], log
    # Every kind of request was served after the kill, not merely answered.
    served_after = {o.kind for o in after if 200 <= o.status < 300}
    assert served_after == {
        "feed", "profile", "like", "post", "follow", "relationship", "unlike", "unfollow", "login"
    }  # fmt: skip
    # The feed listed exactly the right posts every time, before and after the kill.
    feeds = [o for o in outcomes if o.kind == "feed"]
    assert all(o.feed_right for o in feeds), "a feed listed the wrong posts"
    assert {pk: response.status_code for pk, response in feeds_after.items()} == dict.fromkeys(
        expected, 200
    )
    assert {pk: feed_ids(response.json()) for pk, response in feeds_after.items()} == expected
    assert readyz.status_code == 503
    assert readyz.json()["checks"]["redis"]["ok"] is False
    # The writes kept their counts equal to their rows.
    for post in Post.objects.annotate(rows=Count("likes")):
        assert post.like_count == post.rows, post.pk
    for user in User.objects.all():
        assert user.following_count == Follow.objects.filter(follower=user).count(), user.pk
        assert user.follower_count == Follow.objects.filter(followee=user).count(), user.pk
