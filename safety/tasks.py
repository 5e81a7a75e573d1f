"""Celery tasks of the safety app."""

import logging
import time

from celery import shared_task

from safety.services import trust_level_recalculate_all

logger = logging.getLogger(__name__)


@shared_task
def trust_recalculate_all_task() -> int:
    """Beat: every user's trust level from their counters, in batches. Idempotent."""
    started = time.perf_counter()
    changed = trust_level_recalculate_all()
    logger.info(
        "trust recalculation: %s users changed level in %.1f s",
        changed,
        time.perf_counter() - started,
    )
    return changed
