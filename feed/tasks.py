"""Celery tasks of the feed app."""

import logging
import uuid

from celery import Task, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

from feed import timelines
from feed.services import fanout, fanout_abandoned

logger = logging.getLogger(__name__)

# Both tasks are safe to repeat. They retry while Redis or the database cannot be reached, 1, 2,
# 4 … 512 s apart (less, with jitter): the fan-out 10 times (about 8 minutes on average), after
# which the timelines it could not reach are dropped instead; a drop until it succeeds.
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
    except TRANSIENT_ERRORS:
        if self.request.retries >= self.max_retries:
            fanout_abandoned(post_id=uuid.UUID(post_id))
        raise
    logger.info("fan-out of %s to %s timelines in %.1f ms", post_id, updated, seconds * 1000)
    return updated


@shared_task(max_retries=None, **RETRIES)
def feed_timelines_drop_task(user_ids: list[str]) -> None:
    """Drop timelines that missed a write while Redis could not be reached (timelines_invalidate
    in feed.services)."""
    if not timelines.timelines_drop([uuid.UUID(user_id) for user_id in user_ids]):
        raise RedisError("timelines not dropped")
