"""The business metrics of SPEC §11, in one place so `/metrics` is easy to read and to audit.

Request latency and counts, database and cache operations come from django-prometheus (its
middleware, database engine and cache backend in settings). The rate-limit counters live with the
limits, in ``safety.limits``.

Under gunicorn or Celery's prefork pool every process keeps its own counters. Set
``PROMETHEUS_MULTIPROC_DIR`` (a directory shared by the processes of one host) and
prometheus_client writes them to files that `/metrics` adds up; see docs/operations.md.
"""

import hmac
import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter, Gauge, Histogram

from ciel.api.errors import error_body

logger = logging.getLogger(__name__)

INVITE_CODES_CREATED = Counter("invite_codes_created_total", "Invite codes created.")
INVITE_CODES_USED = Counter("invite_codes_used_total", "Invite codes redeemed by a signup.")
STRIKES_ISSUED = Counter("strikes_issued_total", "Strikes issued, by source.", ["reason"])
BANS_ISSUED = Counter("bans_issued_total", "Bans issued, by length in days.", ["duration"])
HIGH_RISK_DEVICES = Counter(
    "high_risk_devices_detected_total",
    "Devices whose risk score rose over the blocking limit (DEVICE_BLOCK_RISK).",
)
DEVICE_RISK_SCORE = Histogram(
    "device_risk_score",
    "Risk scores (0–100) as devices are scored.",
    buckets=(0, 5, 20, 50, 80, 90, 100),
)
MEDIA_PROCESSING_SECONDS = Histogram(
    "media_processing_seconds",
    "Time to process one upload into its variants, by outcome.",
    ["outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
FEED_CACHE_HITS = Counter(
    "feed_cache_hits_total", "Home feed pages answered from the Redis timeline."
)
FEED_CACHE_MISSES = Counter(
    "feed_cache_misses_total",
    "Home feed pages answered by the SQL query (cold, deep, or Redis down).",
)
# Set from the database when /metrics is scraped (at most every GAUGE_REFRESH_SECONDS per
# process); in multi-process mode the newest value wins.
GAUGE_REFRESH_SECONDS = 30.0
TRUST_LEVEL_USERS = Gauge(
    "trust_level_users",
    "Active users at each trust level.",
    ["level"],
    multiprocess_mode="mostrecent",
)


def _scraper_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return True
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return hmac.compare_digest(sent.encode(), token.encode())


def count_after_commit(increment: Callable[[], None]) -> None:
    """Count an event only once its transaction commits: a rolled-back strike never happened."""
    transaction.on_commit(increment)


def trust_level_users_refresh() -> None:
    """One GROUP BY over users (an index-only scan of a few ms at 100,000 users)."""
    from accounts.models import TrustLevel, User

    counts = dict(
        User.objects.filter(is_active=True, deleted_at__isnull=True)
        .values_list("trust_level")
        .annotate(total=Count("id"))
        .values_list("trust_level", "total")
    )
    for level in TrustLevel.values:
        TRUST_LEVEL_USERS.labels(level=level).set(counts.get(level, 0))


_gauges_refreshed_at = -GAUGE_REFRESH_SECONDS


def metrics_view(request: HttpRequest) -> HttpResponse:
    """django-prometheus's export, after the gauges that are read from the database.

    With METRICS_TOKEN set, only a scraper that sends it as a bearer token gets an answer
    (others get a 404, as for a path that does not exist): the business counters (bans, strikes,
    invites) are not for the public, and each refresh costs a query.
    """
    global _gauges_refreshed_at
    if not _scraper_allowed(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    if time.monotonic() - _gauges_refreshed_at >= GAUGE_REFRESH_SECONDS:
        try:
            trust_level_users_refresh()
            _gauges_refreshed_at = time.monotonic()
        except DatabaseError:
            # The scrape still reports everything else; the gauges keep their last values.
            logger.warning("metrics: trust_level_users not refreshed, database unreachable")
    return ExportToDjangoView(request)
