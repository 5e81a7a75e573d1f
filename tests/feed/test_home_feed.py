"""The home feed equals a naive reference query, page after page, with Redis or without."""

import datetime
import random
import uuid

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.lifecycle import account_delete, account_restore
from accounts.models import User
from feed import selectors, timelines
from posts.models import Post
from posts.services import post_create, post_delete
from safety.services import content_remove, content_restore
from social import services as social
from social.models import Block, Follow
from tests.factories import DEFAULT_PASSWORD, MediaFactory, PostFactory, UserFactory
from tests.helpers import client_for, throwaway_redis

FEED = "/api/v1/feed/home"


def reference_feed(viewer: User) -> list[str]:
    """What the feed must show, computed the slow and obvious way."""
    followed = set(Follow.objects.filter(follower=viewer).values_list("followee_id", flat=True))
    blocked = set(Block.objects.filter(blocker=viewer).values_list("blocked_id", flat=True)) | set(
        Block.objects.filter(blocked=viewer).values_list("blocker_id", flat=True)
    )
    authors = (followed | {viewer.pk}) - blocked
    posts = Post.objects.filter(
        Q(author_id__in=authors), removed_at__isnull=True, author__is_active=True
    ).order_by("-created_at", "-id")
    return [str(post.pk) for post in posts]


def read_feed(client, limit: int) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(200):
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get(FEED, params)
        assert response.status_code == 200, response.content
        body = response.json()
        ids += [row["id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the feed never ended")


def publish(author: User) -> Post:
    media = MediaFactory(owner=author)
    return post_create(author=author, caption="", visibility="public", media_ids=[media.pk])


def random_step(rng: random.Random, users: list[User], moderator: User) -> None:
    actor, other = rng.choice(users), rng.choice(users)
    action = rng.choices(
        [
            "follow",
            "unfollow",
            "block",
            "unblock",
            "post",
            "delete",
            "remove",
            "restore",
            "refresh",
        ],
        weights=[6, 2, 1, 1, 6, 1, 1, 1, 1],
    )[0]
    try:
        if action == "follow" and actor != other:
            social.follow_create(follower=actor, followee=other)
        elif action == "unfollow":
            social.follow_delete(follower=actor, followee=other)
        elif action == "block" and actor != other:
            social.block_create(blocker=actor, blocked=other)
        elif action == "unblock":
            social.block_delete(blocker=actor, blocked=other)
        elif action == "post":
            publish(actor)
        elif action in ("delete", "remove"):
            post = Post.objects.filter(author=actor, removed_at__isnull=True).order_by("?").first()
            if post is not None and action == "delete":
                post_delete(post=post, deleter=actor)
            elif post is not None:
                # A moderator's removal, without the strike (three would ban the reader).
                Post.objects.filter(pk=post.pk).update(removed_at=timezone.now())
        elif action == "restore":
            post = Post.objects.filter(author=actor, removed_at__isnull=False).first()
            if post is not None:
                content_restore(target=post, moderator=moderator, reason="appeal upheld")
        elif action == "refresh":  # the next read rebuilds the timeline from SQL
            timelines.timelines_drop([actor.pk])
    except social.Conflict:
        pass


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_feed_always_equals_the_reference(settings, eager_celery, seed):
    settings.RATELIMIT_ENABLE = False
    rng = random.Random(seed)
    users = UserFactory.create_batch(6)
    moderator = UserFactory(is_staff=True)
    clients = {user.pk: client_for(user) for user in users}
    for client in clients.values():
        client.get(FEED)  # warm every timeline, so the Redis path is exercised

    for step in range(120):
        random_step(rng, users, moderator)
        if step % 20 == 19:
            for user in users:
                user.refresh_from_db()
                for limit in (1, 3, 50):
                    shown = read_feed(clients[user.pk], limit)
                    assert shown == reference_feed(user), (seed, step, limit)
                    assert len(shown) == len(set(shown))


@pytest.mark.fault
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_the_feed_is_the_same(settings, eager_celery):
    settings.RATELIMIT_ENABLE = False
    rng = random.Random(7)
    users = UserFactory.create_batch(5)
    moderator = UserFactory(is_staff=True)
    for _ in range(80):
        random_step(rng, users, moderator)
    expected = {user.pk: reference_feed(user) for user in users}
    with throwaway_redis() as redis:
        settings.CACHES = {
            name: {**config, "LOCATION": f"redis://127.0.0.1:{redis.port}/0"}
            for name, config in settings.CACHES.items()
        }
        with_redis = {user.pk: read_feed(client_for(user), 4) for user in users}
        redis.stop()
        without_redis = {user.pk: read_feed(client_for(user), 4) for user in users}

    assert with_redis == expected
    assert without_redis == expected


@pytest.mark.django_db(transaction=True)
def test_changes_show_at_once(settings, eager_celery):
    settings.RATELIMIT_ENABLE = False
    viewer, author = UserFactory(), UserFactory()
    client = client_for(viewer)
    old = PostFactory(author=author)
    assert read_feed(client, 20) == []  # warm, empty

    social.follow_create(follower=viewer, followee=author)
    assert read_feed(client, 20) == [str(old.pk)]  # a new follow backfills

    mine = publish(viewer)
    theirs = publish(author)
    assert read_feed(client, 20) == [str(theirs.pk), str(mine.pk), str(old.pk)]

    content_remove(target=theirs, moderator=UserFactory(is_staff=True), reason="x")
    assert read_feed(client, 20) == [str(mine.pk), str(old.pk)]

    social.follow_delete(follower=viewer, followee=author)
    assert read_feed(client, 20) == [str(mine.pk)]

    social.follow_create(follower=viewer, followee=author)
    social.block_create(blocker=author, blocked=viewer)
    assert read_feed(client, 20) == [str(mine.pk)]


def remove_post(post: Post, moderator: User) -> None:
    content_remove(target=post, moderator=moderator, reason="spam")


def restore_post(post: Post, moderator: User) -> None:
    content_restore(target=post, moderator=moderator, reason="appeal upheld")


def delete_account(post: Post, moderator: User) -> None:
    account_delete(user=post.author, password=DEFAULT_PASSWORD)


def restore_account(post: Post, moderator: User) -> None:
    account_restore(user=post.author, moderator=moderator, reason="deleted by mistake")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("hide", "restore"),
    [(remove_post, restore_post), (delete_account, restore_account)],
    ids=["post removed", "account deleted"],
)
def test_a_restored_post_returns_to_a_timeline_rebuilt_without_it(
    settings, eager_celery, hide, restore
):
    settings.RATELIMIT_ENABLE = False
    viewer, author = UserFactory(), UserFactory()
    social.follow_create(follower=viewer, followee=author)
    post = publish(author)
    moderator = UserFactory(is_staff=True)
    hide(post, moderator)
    client = client_for(viewer)
    assert client.post(f"{FEED}/refresh").status_code == 204
    assert read_feed(client, 20) == []  # rebuilt while the post was hidden

    restore(post, moderator)

    assert read_feed(client, 20) == [str(post.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_post_fanned_out_while_the_timeline_is_built_stays_in_it(
    settings, eager_celery, monkeypatch
):
    settings.RATELIMIT_ENABLE = False
    viewer, author = UserFactory(), UserFactory()
    social.follow_create(follower=viewer, followee=author)
    old = publish(author)
    query = selectors.home_feed_ids_sql
    late: list[Post] = []

    def query_then_a_new_post(*args, **kwargs):
        rows = query(*args, **kwargs)
        if not late:  # posted and fanned out elsewhere, after the build's query read
            late.append(publish(author))
        return rows

    monkeypatch.setattr(selectors, "home_feed_ids_sql", query_then_a_new_post)
    first = read_feed(client_for(viewer), 20)  # builds the timeline
    monkeypatch.undo()

    assert first == [str(old.pk)]
    assert read_feed(client_for(viewer), 20) == [str(late[0].pk), str(old.pk)]
    assert selectors.home_feed_page(viewer=viewer, before=None, limit=20).source == "timeline"


@pytest.mark.django_db
def test_a_build_outlives_writes_that_fill_the_timeline_meanwhile():
    viewer = UserFactory()
    marker = timelines.timeline_build_begin(viewer.pk)
    assert marker is not None
    # A follow's backfill of a whole timeline's worth lands while the build's query runs.
    backfill = [(uuid.uuid4(), score) for score in range(1, timelines.TIMELINE_SIZE + 2)]
    timelines.timeline_entries_add(viewer.pk, backfill)
    newest = uuid.uuid4()

    timelines.timeline_build_finish(viewer.pk, marker, [(newest, timelines.TIMELINE_SIZE + 10)])

    members = timelines.timeline_read(viewer.pk, before_score=None, count=1000)
    assert members is not None
    assert members[0] == newest.hex
    assert len(members) == timelines.TIMELINE_SIZE


@pytest.mark.django_db(transaction=True)
def test_a_read_while_the_timeline_is_built_comes_from_sql(settings, eager_celery):
    settings.RATELIMIT_ENABLE = False
    viewer, author = UserFactory(), UserFactory()
    social.follow_create(follower=viewer, followee=author)
    post = publish(author)
    assert timelines.timeline_build_begin(viewer.pk) is not None  # another read is building

    assert read_feed(client_for(viewer), 20) == [str(post.pk)]
    page = selectors.home_feed_page(viewer=viewer, before=None, limit=20)
    assert page.source == "sql"
    # The read neither took the build over nor kept the marker alive past its own expiry.
    ttl = timelines._redis().ttl(timelines.timeline_key(viewer.pk))
    assert 0 < ttl <= timelines.BUILD_SECONDS


@pytest.mark.django_db(transaction=True)
def test_fanout_reaches_warm_timelines_only(eager_celery):
    author = UserFactory()
    warm, cold = UserFactory(), UserFactory()
    for follower in (warm, cold):
        Follow.objects.create(follower=follower, followee=author)
    client_for(warm).get(FEED)

    post = publish(author)

    assert timelines.timeline_read(warm.pk, before_score=None, count=10) == [post.pk.hex]
    assert timelines.timeline_read(cold.pk, before_score=None, count=10) is None


@pytest.mark.fault
@pytest.mark.django_db
def test_a_timeline_read_survives_redis_forgetting_its_script(settings):
    # A restarted Redis has no scripts: the read loads it again instead of failing over to SQL.
    user = UserFactory()
    post = PostFactory(author=user)
    score = timelines.score_of(post.created_at)
    with throwaway_redis() as redis:
        settings.CACHES = {
            name: {**config, "LOCATION": f"redis://127.0.0.1:{redis.port}/0"}
            for name, config in settings.CACHES.items()
        }
        timelines.timeline_build(user.pk, [(post.pk, score)])
        first = timelines.timeline_read(user.pk, before_score=None, count=10)
        timelines._redis().script_flush()  # the throwaway server's scripts only

        after_flush = timelines.timeline_read(user.pk, before_score=None, count=10)
        before_post = timelines.timeline_read(user.pk, before_score=score, count=10)
        missing = timelines.timeline_read(UserFactory().pk, before_score=None, count=10)

    assert first == after_flush == [post.pk.hex]
    assert before_post == []  # the bound is exclusive
    assert missing is None


@pytest.mark.django_db
def test_refresh_drops_the_timeline(user, user_client):
    key = timelines.timeline_key(user.pk)
    user_client.get(FEED)
    assert timelines._redis().exists(key)

    assert user_client.post(f"{FEED}/refresh").status_code == 204

    assert not timelines._redis().exists(key)


@pytest.mark.django_db
def test_a_tampered_cursor_is_a_400(user_client):
    assert user_client.get(FEED, {"cursor": "abc"}).status_code == 400


@pytest.mark.django_db
def test_the_feed_costs_a_fixed_number_of_queries(user, user_client, django_assert_max_num_queries):
    author = UserFactory()
    Follow.objects.create(follower=user, followee=author)
    for _ in range(30):
        PostFactory(author=author, created_at=timezone.now())
    user_client.get(FEED)

    with django_assert_max_num_queries(6):
        small = user_client.get(FEED, {"limit": 2})
    with django_assert_max_num_queries(6):
        large = user_client.get(FEED, {"limit": 30})
    assert len(small.json()["results"]) == 2
    assert len(large.json()["results"]) == 30


@pytest.mark.django_db
def test_the_windowed_sql_path_finds_the_same_posts(monkeypatch):
    """The SQL path looks back a day, then a week, then everywhere; every answer must be the
    newest posts overall, whichever window holds them."""
    monkeypatch.setattr(selectors, "SQL_WINDOWS_MIN_AUTHORS", 0)  # windows even for few authors
    rng = random.Random(11)
    viewer, *authors = UserFactory.create_batch(7)
    for author in authors:
        Follow.objects.create(follower=viewer, followee=author)
    authors.append(viewer)
    now = timezone.now()
    for author in authors:
        for _ in range(rng.randint(3, 14)):
            post = Post.objects.create(author=author, caption="")
            age = datetime.timedelta(hours=rng.uniform(0, 24 * 40))
            Post.objects.filter(pk=post.pk).update(created_at=now - age)
    Post.objects.filter(pk=Post.objects.filter(author=authors[0]).first().pk).update(removed_at=now)
    User.objects.filter(pk=authors[1].pk).update(is_active=False)
    newest_first = [
        (post_id, created_at)
        for post_id, created_at in Post.objects.filter(
            author__in=authors[:1] + authors[2:], removed_at__isnull=True
        )
        .order_by("-created_at", "-id")
        .values_list("pk", "created_at")
    ]

    windows_used = set()
    for count in (1, 4, 15, 200):
        for skip in (None, 2, 20):
            before = None if skip is None else newest_first[skip][::-1]
            expected = [row for row in newest_first if before is None or row[::-1] < before][:count]
            with CaptureQueriesContext(connection) as queries:
                found = selectors.home_feed_ids_sql(viewer, before=before, count=count)
            assert found == expected, (count, skip)
            windows_used.add(len(queries))
    assert windows_used == {1, 2, 3}  # a day was enough, a week was, neither was
