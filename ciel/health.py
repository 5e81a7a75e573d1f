"""Readiness checks of the four dependencies (SPEC §3: database, Redis, broker, storage)."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django_redis import get_redis_connection

from ciel import aws

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    milliseconds: float
    error: str | None = None


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    get_redis_connection("default").ping()


def _broker() -> None:
    client = aws.sqs_client(probe=True)
    for name in aws.queue_names():
        client.get_queue_url(QueueName=name)


def _storage() -> None:
    aws.s3_client(probe=True).head_bucket(Bucket=settings.MEDIA_BUCKET)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "redis": _redis,
    "broker": _broker,
    "storage": _storage,
}


def _run(name: str, check: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        logger.warning("readiness check %s failed: %s", name, type(exc).__name__)
        elapsed = (time.perf_counter() - started) * 1000
        return CheckResult(name, ok=False, milliseconds=elapsed, error=type(exc).__name__)
    return CheckResult(name, ok=True, milliseconds=(time.perf_counter() - started) * 1000)


def readiness_checks() -> list[CheckResult]:
    return [_run(name, check) for name, check in CHECKS.items()]
