"""Operational tasks that belong to no single app."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "worker-heartbeat:{label}"
HEARTBEAT_TTL_SECONDS = 24 * 60 * 60


@shared_task
def worker_heartbeat_task(label: str) -> None:
    """Record that a worker consumed a message sent with this label.

    Beat sends one per queue every minute, labelled with the queue's name, so /readyz can show
    operators how long ago each queue was last served. Running it twice only refreshes the time.
    """
    cache.set(HEARTBEAT_KEY.format(label=label), timezone.now().isoformat(), HEARTBEAT_TTL_SECONDS)
    logger.info("worker heartbeat %s", label)


def worker_heartbeat_get(label: str) -> str | None:
    """When a worker last ran the heartbeat with this label (ISO 8601), if Redis remembers."""
    return cache.get(HEARTBEAT_KEY.format(label=label))
