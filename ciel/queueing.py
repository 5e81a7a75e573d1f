"""Sending Celery tasks from a request: a broker that cannot be reached is a 503, never a 500.

The API sends tasks to SQS after commit (``transaction.on_commit``). When SQS is down or hangs,
kombu raises ``OperationalError`` once botocore's short timeouts run out
(``CELERY_BROKER_TRANSPORT_OPTIONS["client-config"]``). ``task_enqueue`` turns that into
``Unavailable``; each caller decides what "nothing lost" means for its job: undo the state that
promised the job (so the client's retry queues it again), or do the work some other way.
"""

import logging
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from celery import Task
from django.conf import settings
from kombu.exceptions import OperationalError

from ciel.api.exceptions import Unavailable

logger = logging.getLogger(__name__)

# OperationalError: kombu's wrapping of connection trouble (refused, timed out). The botocore
# errors it does not wrap (a missing queue, a denied call) leave the request just as unable.
BROKER_ERRORS = (OperationalError, BotoCoreError, ClientError)


class BrokerUnavailable(Unavailable):
    default_detail = "Background processing is unavailable right now. Try again shortly."
    wait = 5  # DRF's handler sends it as Retry-After


# After a failed send, this process answers BrokerUnavailable at once for BROKER_PAUSE_SECONDS
# (settings) instead of trying again: against an SQS that accepts connections and never answers,
# each try holds a gunicorn thread for 4–16 s, and a brown-out would soon hold them all. One
# request tries again when the pause is over.
_broker_paused_until = 0.0


def task_enqueue(task: Task, *args: Any) -> None:
    """``task.delay(*args)``, raising BrokerUnavailable (503) if the broker cannot take it."""
    global _broker_paused_until
    if time.monotonic() < _broker_paused_until:
        raise BrokerUnavailable()
    try:
        task.delay(*args)
    except BROKER_ERRORS as exc:
        logger.warning("broker unavailable, %s not queued: %s", task.name, exc)
        _broker_paused_until = time.monotonic() + settings.BROKER_PAUSE_SECONDS
        raise BrokerUnavailable() from exc
