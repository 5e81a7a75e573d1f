"""Celery tasks of the safety app."""

import logging
import time

from celery import shared_task

from safety.models import Device, DeviceAccount
from safety.services import device_risk_recalculate, trust_level_recalculate_all

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


@shared_task
def devices_rescore_task() -> int:
    """Beat: rescore devices linked to an account whose ban state may have changed.

    Bans end by themselves, so a device scored while an account was banned would keep that
    score; signup and login rescore the device they check, this keeps the console's view true.
    """
    device_ids = set(
        DeviceAccount.objects.filter(user__bans__isnull=False).values_list("device_id", flat=True)
    )
    for device in Device.objects.filter(pk__in=device_ids):
        device_risk_recalculate(device=device)
    return len(device_ids)
