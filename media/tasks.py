"""Celery tasks of the media app (routed to the `media` queue by CELERY_TASK_ROUTES)."""

import datetime
import logging
import time
import uuid

from botocore.exceptions import BotoCoreError
from celery import shared_task
from django.conf import settings

from ciel.metrics import MEDIA_PROCESSING_SECONDS
from media.services import (
    TransientStorageError,
    media_fail_after_retries,
    media_objects_delete,
    media_orphans_delete,
    media_process,
)

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(
    bind=True,
    autoretry_for=(TransientStorageError, BotoCoreError),
    retry_backoff=True,  # 1 s, 2 s, 4 s… with jitter
    retry_backoff_max=settings.CELERY_MAX_COUNTDOWN,
    max_retries=MAX_RETRIES,
)
def process_media_task(self, media_id: str) -> None:
    """Process one upload. Bad images fail at once inside the service (no retry)."""
    started = time.perf_counter()
    try:
        media = media_process(media_id=uuid.UUID(media_id))
        if media is not None:  # None: a duplicate delivery of finished work, nothing was done
            _observe_processing(started, outcome=media.status)
    except (TransientStorageError, BotoCoreError):
        _observe_processing(started, outcome="retry")
        if self.request.retries >= MAX_RETRIES:
            logger.warning("media %s: storage kept failing, giving up", media_id)
            media_fail_after_retries(media_id=uuid.UUID(media_id))
            return
        raise
    except Exception:
        # Anything else (a bug, memory) would leave the item "processing" for ever.
        logger.exception("media %s: processing crashed", media_id)
        _observe_processing(started, outcome="crashed")
        media_fail_after_retries(media_id=uuid.UUID(media_id))


def _observe_processing(started: float, *, outcome: str) -> None:
    MEDIA_PROCESSING_SECONDS.labels(outcome=outcome).observe(time.perf_counter() - started)


@shared_task(
    autoretry_for=(BotoCoreError,),
    retry_backoff=True,
    retry_backoff_max=settings.CELERY_MAX_COUNTDOWN,
    max_retries=MAX_RETRIES,
)
def delete_media_task(media_ids: list[str]) -> None:
    """Remove deleted posts' images from S3 and their rows; running it twice is harmless."""
    media_objects_delete(media_ids=[uuid.UUID(media_id) for media_id in media_ids])


# Past the time a queued delete_media_task takes (its retries included), so the sweep takes what
# the broker never got; were both to run, the second would find nothing left to delete.
ORPHAN_MIN_AGE = datetime.timedelta(hours=1)


@shared_task
def media_orphans_delete_task() -> int:
    """Beat, hourly: the S3 cleanup of deleted posts whose delete_media_task was never queued."""
    deleted = media_orphans_delete(older_than=ORPHAN_MIN_AGE)
    if deleted:
        logger.info("orphan sweep deleted %s media items", deleted)
    return deleted
