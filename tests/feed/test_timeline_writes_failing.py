"""A write that would add posts to a timeline and fails leaves that timeline dropped, at once
or, while Redis cannot be reached, by a queued job once it can: a timeline with room left
passes for complete, so one that lacks a post must not survive (feed.services)."""

from collections.abc import Iterator

import pytest
import redis

from feed import timelines
from feed.tasks import feed_fanout_task
from social import services as social
from tests.conftest import WorkerProcess
from tests.factories import PostFactory, UserFactory
from tests.feed.test_home_feed import publish, read_feed
from tests.helpers import ThrowawayServer, client_for, throwaway_redis, wait_for

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server(settings) -> Iterator[ThrowawayServer]:
    """A Redis of the test's own behind every cache, so it can fail without harming others."""
    settings.RATELIMIT_ENABLE = False
    with throwaway_redis() as server:
        settings.CACHES = {
            name: {**config, "LOCATION": f"redis://127.0.0.1:{server.port}/0"}
            for name, config in settings.CACHES.items()
        }
        admin = redis.Redis(port=server.port)
        admin.execute_command("ACL", "SETUSER", "admin", "on", ">admin", "~*", "&*", "+@all")
        yield server


def admin_client(server: ThrowawayServer) -> redis.Redis:
    """A client that keeps every right while the API's (the default user) loses some."""
    return redis.Redis(port=server.port, username="admin", password="admin")


def refuse(server: ThrowawayServer, *rules: str) -> None:
    """Change what Redis lets the API do, as an outage or a failing command would."""
    admin_client(server).execute_command("ACL", "SETUSER", "default", *rules)


def task_failed_once(worker: WorkerProcess, task: str) -> None:
    """Wait until the worker has run ``task`` and seen it fail: Celery logs "… retry: Retry
    in 1s: …" when it retries, "… raised unexpected: …" when it gives up."""

    def failed() -> bool:
        return any(
            task in line and (" retry: " in line or " raised " in line) for line in worker.lines
        )

    wait_for(failed, timeout=60)


def scripts_refused(server: ThrowawayServer, refused: bool) -> None:
    """Redis refuses scripts (fan-out, backfill, reads) but still deletes keys: a write that
    fails while Redis answers."""
    refuse(server, *(["-eval", "-evalsha"] if refused else ["+eval", "+evalsha"]))


def test_a_failed_backfill_leaves_the_timeline_dropped(redis_server):
    viewer, author = UserFactory(), UserFactory()
    post = PostFactory(author=author)
    client = client_for(viewer)
    assert read_feed(client, 20) == []  # the timeline is warm, and empty
    scripts_refused(redis_server, True)

    social.follow_create(follower=viewer, followee=author)  # its backfill fails

    assert not admin_client(redis_server).exists(timelines.timeline_key(viewer.pk))
    scripts_refused(redis_server, False)
    assert read_feed(client, 20) == [str(post.pk)]


def test_a_failed_add_of_ones_own_post_leaves_the_timeline_dropped(redis_server):
    author = UserFactory()
    client = client_for(author)
    assert read_feed(client, 20) == []
    scripts_refused(redis_server, True)

    post = publish(author)

    assert not admin_client(redis_server).exists(timelines.timeline_key(author.pk))
    scripts_refused(redis_server, False)
    assert read_feed(client, 20) == [str(post.pk)]


def test_a_timeline_that_missed_a_write_while_redis_failed_is_dropped_once_it_is_back(
    redis_server, start_worker
):
    viewer, author = UserFactory(), UserFactory()
    post = PostFactory(author=author)
    client = client_for(viewer)
    assert read_feed(client, 20) == []
    worker = start_worker(REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0")
    key = timelines.timeline_key(viewer.pk)
    refuse(redis_server, "-@all")  # every command of the API and the worker fails

    # The backfill fails, and so does the drop: it goes to the queue, and the worker retries
    # it while Redis keeps failing.
    social.follow_create(follower=viewer, followee=author)
    assert admin_client(redis_server).exists(key)
    task_failed_once(worker, "feed_timelines_drop_task")
    refuse(redis_server, "+@all")

    wait_for(lambda: not admin_client(redis_server).exists(key), timeout=60)
    assert read_feed(client, 20) == [str(post.pk)]


def test_a_fan_out_that_met_a_failing_redis_reaches_the_timelines_once_it_is_back(
    redis_server, start_worker
):
    viewer, author = UserFactory(), UserFactory()
    social.follow_create(follower=viewer, followee=author)
    client = client_for(viewer)
    assert read_feed(client, 20) == []
    worker = start_worker(REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/0")
    refuse(redis_server, "-@all")

    post = publish(author)  # the fan-out task fails on the worker, and retries
    task_failed_once(worker, "feed_fanout_task")
    refuse(redis_server, "+@all")

    key = timelines.timeline_key(viewer.pk)
    wait_for(lambda: admin_client(redis_server).zscore(key, post.pk.bytes), timeout=60)
    assert read_feed(client, 20) == [str(post.pk)]


def test_a_fan_out_that_gives_up_drops_the_followers_timelines(redis_server, eager_celery):
    viewer, author = UserFactory(), UserFactory()
    social.follow_create(follower=viewer, followee=author)
    client = client_for(viewer)
    assert read_feed(client, 20) == []
    post = PostFactory(author=author)  # saved without the services: no fan-out has run
    scripts_refused(redis_server, True)

    # Its last attempt (the worker's backoff would take minutes to get there) fails too.
    result = feed_fanout_task.apply(args=[str(post.pk)], retries=feed_fanout_task.max_retries)

    assert result.failed()
    assert not admin_client(redis_server).exists(timelines.timeline_key(viewer.pk))
    scripts_refused(redis_server, False)
    assert read_feed(client, 20) == [str(post.pk)]
