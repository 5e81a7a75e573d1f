"""Writes of the feed app: keeping the Redis timelines in step with the graph and with posts.

All of these run after the transaction that changed the data has committed, and all of them
may fail (Redis down). Reads check every candidate against PostgreSQL, so a timeline holding a
post it should no longer show is harmless. One lacking a post it should show is not: a timeline
with room left passes for complete. So a write that adds posts and fails leaves the timeline
dropped, to be rebuilt from SQL: at once if Redis answers, else by a queued job once it does
(timelines_invalidate); the fan-out task retries until Redis is back.
"""

import logging
import time
import uuid

from django.db import DatabaseError, transaction

from ciel.queueing import BrokerUnavailable, task_enqueue
from feed import timelines
from posts.models import Post

logger = logging.getLogger(__name__)

BACKFILL_POSTS = timelines.TIMELINE_SIZE
# Timelines per Lua call, and per queued drop (a job's message stays small).
BATCH = 1000


def post_published(*, post: Post) -> None:
    """The author sees their own post at once; followers get it from the fan-out task."""
    from feed.tasks import feed_fanout_task

    def publish() -> None:
        try:
            timelines.timelines_add([post.author_id], post.pk, timelines.score_of(post.created_at))
        except Exception:
            timelines_invalidate([post.author_id])
        try:
            task_enqueue(feed_fanout_task, str(post.pk))
        except BrokerUnavailable:
            # The post is saved, so the request must not fail: with no queue, push the post to
            # the followers' warm timelines from here (Redis and one query, no S3 or SQS).
            try:
                fanout(post_id=post.pk)
            except Exception as exc:
                logger.warning("inline fan-out of %s failed: %s", post.pk, type(exc).__name__)
                try:
                    fanout_abandoned(post_id=post.pk)
                except DatabaseError:
                    logger.error("fan-out of %s abandoned: no queue, no database", post.pk)

    transaction.on_commit(publish)


def _follower_ids(author_id: uuid.UUID) -> list[uuid.UUID]:
    from social.models import Follow

    return list(Follow.objects.filter(followee_id=author_id).values_list("follower_id", flat=True))


def fanout(*, post_id: uuid.UUID) -> tuple[int, float]:
    """Add a post to its author's followers' warm timelines; (timelines updated, seconds)."""
    started = time.perf_counter()
    post = Post.objects.filter(pk=post_id, removed_at__isnull=True).first()
    if post is None:
        return 0, 0.0
    followers = _follower_ids(post.author_id)
    updated = 0
    score = timelines.score_of(post.created_at)
    for start in range(0, len(followers), BATCH):
        updated += timelines.timelines_add(followers[start : start + BATCH], post.pk, score)
    return updated, time.perf_counter() - started


def fanout_abandoned(*, post_id: uuid.UUID) -> None:
    """A fan-out that could not finish: drop the warm timelines of the author's followers, which
    may lack the post (timelines_invalidate)."""
    try:
        author_id = Post.objects.values_list("author_id", flat=True).get(pk=post_id)
    except Post.DoesNotExist:
        return
    timelines_invalidate(_follower_ids(author_id))


def follow_started(*, follower_id: uuid.UUID, followee_id: uuid.UUID) -> None:
    """Backfill: the followee's recent posts join the follower's warm timeline at once."""

    def backfill() -> None:
        try:
            rows = list(
                Post.objects.filter(author_id=followee_id, removed_at__isnull=True)
                .order_by("-created_at", "-id")
                .values_list("pk", "created_at")[:BACKFILL_POSTS]
            )
        except DatabaseError as exc:  # the follow is saved: the timeline is rebuilt instead
            logger.warning("backfill of %s failed: %s", follower_id, type(exc).__name__)
            timelines_invalidate([follower_id])
            return
        entries = [(post_id, timelines.score_of(at)) for post_id, at in rows]
        if not timelines.timeline_entries_add(follower_id, entries):
            timelines_invalidate([follower_id])

    transaction.on_commit(backfill)


def author_returned(*, author_id: uuid.UUID) -> None:
    """A deleted account restored: its posts show again, but timelines rebuilt meanwhile lack
    them. Drop those of its followers and its own, to be rebuilt from SQL."""
    transaction.on_commit(lambda: timelines_invalidate([author_id, *_follower_ids(author_id)]))


def timelines_invalidate(user_ids: list[uuid.UUID]) -> None:
    """Drop timelines that may lack posts they should show (a write to them failed), so the
    next read rebuilds them from SQL; if Redis cannot be reached now, a queued job drops them
    once it can. Without it, they would pass for complete after Redis came back."""
    from feed.tasks import feed_timelines_drop_task

    for start in range(0, len(user_ids), BATCH):
        batch = user_ids[start : start + BATCH]
        if timelines.timelines_drop(batch):
            continue
        try:
            task_enqueue(feed_timelines_drop_task, [str(user_id) for user_id in batch])
        except BrokerUnavailable:
            logger.error("timelines of %s users may lack posts: no Redis, no queue", len(batch))


def timelines_forget_on_commit(user_ids: list[uuid.UUID]) -> None:
    """After an unfollow or a block: drop the timelines, to be rebuilt without those posts."""
    transaction.on_commit(lambda: timelines.timelines_drop(user_ids))
