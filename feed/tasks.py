"""Celery tasks of the feed app."""

import logging
import uuid

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

from ciel.queueing import BrokerUnavailable, task_enqueue
from feed import timelines
from feed.services import fanout, fanout_abandoned

logger = logging.getLogger(__name__)

# The tasks are safe to repeat. They retry while Redis or the database cannot be reached, 1,
# 2, 4 … 512 s apart (less, with jitter): the fan-out 10 times (about 8 minutes on average),
# after which the timelines it could not reach are dropped instead; the others until they
# succeed.
TRANSIENT_ERRORS = (RedisError, OSError, OperationalError, InterfaceError)
RETRIES = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": settings.CELERY_MAX_COUNTDOWN,
}


@shared_task(bind=True, max_retries=10, **RETRIES)
def feed_fanout_task(self: Task, post_id: str) -> int:
    """Push a new post to the followers' warm timelines. Running it twice adds nothing new."""
    try:
        updated, seconds = fanout(post_id=uuid.UUID(post_id))
    except Exception as exc:
        if not isinstance(exc, TRANSIENT_ERRORS) or self.request.retries >= self.max_retries:
            _fanout_abandon(post_id)  # its last attempt: no retry follows
        raise
    logger.info("fan-out of %s to %s timelines in %.1f ms", post_id, updated, seconds * 1000)
    return updated


def _fanout_abandon(post_id: str) -> None:
    """Have the followers' timelines dropped by a job that retries until the database and Redis
    answer: the fan-out may have failed on either."""
    try:
        task_enqueue(feed_fanout_abandoned_task, post_id)
    except BrokerUnavailable:
        logger.error("fan-out of %s abandoned, and no queue to drop its timelines", post_id)


@shared_task(max_retries=None, **RETRIES)
def feed_fanout_abandoned_task(post_id: str) -> None:
    fanout_abandoned(post_id=uuid.UUID(post_id))


@shared_task(max_retries=None, **RETRIES)
def feed_timelines_drop_task(user_ids: list[str]) -> None:
    """Drop timelines that missed a write while Redis could not be reached (timelines_invalidate
    in feed.services)."""
    if not timelines.timelines_drop([uuid.UUID(user_id) for user_id in user_ids]):
        raise RedisError("timelines not dropped")
