"""Celery tasks of the media app (routed to the `media` queue by CELERY_TASK_ROUTES)."""

import logging
import uuid

from botocore.exceptions import BotoCoreError
from celery import shared_task
from django.conf import settings

from media.services import (
    TransientStorageError,
    media_fail_after_retries,
    media_objects_delete,
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
    try:
        media_process(media_id=uuid.UUID(media_id))
    except (TransientStorageError, BotoCoreError):
        if self.request.retries >= MAX_RETRIES:
            logger.warning("media %s: storage kept failing, giving up", media_id)
            media_fail_after_retries(media_id=uuid.UUID(media_id))
            return
        raise
    except Exception:
        # Anything else (a bug, memory) would leave the item "processing" for ever.
        logger.exception("media %s: processing crashed", media_id)
        media_fail_after_retries(media_id=uuid.UUID(media_id))


@shared_task(
    autoretry_for=(BotoCoreError,),
    retry_backoff=True,
    retry_backoff_max=settings.CELERY_MAX_COUNTDOWN,
    max_retries=MAX_RETRIES,
)
def delete_media_task(media_ids: list[str]) -> None:
    """Remove deleted posts' images from S3 and their rows; running it twice is harmless."""
    media_objects_delete(media_ids=[uuid.UUID(media_id) for media_id in media_ids])
