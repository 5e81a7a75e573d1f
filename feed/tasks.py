"""Celery tasks of the feed app."""

import logging
import uuid

from celery import shared_task

from feed.services import fanout

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=3)
def feed_fanout_task(post_id: str) -> int:
    """Push a new post to the followers' warm timelines. Running it twice adds nothing new."""
    updated, seconds = fanout(post_id=uuid.UUID(post_id))
    logger.info("fan-out of %s to %s timelines in %.1f ms", post_id, updated, seconds * 1000)
    return updated
