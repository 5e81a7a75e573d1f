"""Celery tasks of the accounts app: exports and the purge of deleted accounts."""

import logging
import uuid

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task
from django.conf import settings

from accounts.lifecycle import accounts_purge_due, export_build, exports_cleanup

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(BotoCoreError, ClientError),
    retry_backoff=True,
    retry_backoff_max=settings.CELERY_MAX_COUNTDOWN,
    max_retries=5,
)
def export_build_task(export_id: str) -> None:
    export_build(export_id=uuid.UUID(export_id))


@shared_task
def accounts_purge_task() -> int:
    """Beat: purge accounts whose 30-day grace period has ended (rows and S3 objects)."""
    purged = accounts_purge_due()
    logger.info("purged %s deleted accounts", purged)
    return purged


@shared_task
def exports_cleanup_task() -> int:
    """Beat: remove export zips past their retention from S3."""
    return exports_cleanup()
