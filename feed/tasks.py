"""Celery tasks of the feed app."""

import logging
import uuid

from celery import shared_task
from django.conf import settings
from redis.exceptions import RedisError

from feed import timelines
from feed.services import fanout

logger = logging.getLogger(__name__)

# Both tasks are safe to repeat, and retry while Redis cannot be reached: 1, 2, 4 … 512 s
# apart (less, with jitter), so they outlast an outage of several minutes.
REDIS_RETRIES = {
    "autoretry_for": (RedisError, OSError),
    "retry_backoff": True,
    "retry_backoff_max": settings.CELERY_MAX_COUNTDOWN,
    "max_retries": 10,
}


@shared_task(**REDIS_RETRIES)
def feed_fanout_task(post_id: str) -> int:
    """Push a new post to the followers' warm timelines. Running it twice adds nothing new."""
    updated, seconds = fanout(post_id=uuid.UUID(post_id))
    logger.info("fan-out of %s to %s timelines in %.1f ms", post_id, updated, seconds * 1000)
    return updated


@shared_task(**REDIS_RETRIES)
def feed_timelines_drop_task(user_ids: list[str]) -> None:
    """Drop timelines that missed a write while Redis could not be reached (timelines_invalidate
    in feed.services)."""
    if not timelines.timelines_drop([uuid.UUID(user_id) for user_id in user_ids]):
        raise RedisError("timelines not dropped")
