"""IP and account limits for login and signup (SPEC §4), on django-ratelimit.

django-ratelimit counts in the ``ratelimit`` cache (Redis, errors raised). When Redis fails, the
limits must still hold — these are the endpoints a password-guessing attack hits — so each
process falls back to its own strict in-memory window with the same rate. Why not fail open:
login and signup are exactly where an attacker would wait for Redis to fall over. Why not fail
closed: nobody could log in during a Redis outage. The cost: during an outage the effective
limit is the rate times the number of API processes.

Failed-attempt limits (wrong passwords per account) use ``attempt_reserve`` instead of
django-ratelimit: the attempt is counted *before* the password is hashed and given back when it
succeeds, so parallel guesses cannot all pass a check made before any of them failed.
"""

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from django_ratelimit import ALL
from django_ratelimit.core import _get_ip, _split_rate, get_usage
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from ciel.api.exceptions import RateLimited

logger = logging.getLogger(__name__)

# django-redis wraps connection errors in ConnectionInterrupted; raw clients raise RedisError.
REDIS_FAILURES = (RedisError, ConnectionInterrupted, OSError)


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    retry_after: float

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


class _LocalWindows:
    """Fixed windows in this process's memory, used only while Redis is unreachable."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}

    def usage(self, group: str, key: str, rate: str, *, increment: bool) -> Usage:
        limit, period = _split_rate(rate)
        now = time.time()
        window = int(now // period)
        with self._lock:
            if len(self._counts) > self.MAX_KEYS:
                self._counts = {k: v for k, v in self._counts.items() if k[2] >= window}
            if len(self._counts) > self.MAX_KEYS:
                # Still full within one window (a flood of distinct keys): forget the oldest
                # half rather than grow without bound. Those keys restart from zero.
                self._counts = dict(list(self._counts.items())[self.MAX_KEYS // 2 :])
            slot = (group, key, window)
            count = self._counts.get(slot, 0) + (1 if increment else 0)
            self._counts[slot] = count
        return Usage(count=count, limit=limit, retry_after=(window + 1) * period - now)

    def release(self, group: str, key: str, rate: str) -> None:
        _, period = _split_rate(rate)
        slot = (group, key, int(time.time() // period))
        with self._lock:
            if self._counts.get(slot, 0) > 0:
                self._counts[slot] -= 1

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


local_windows = _LocalWindows()


def usage_get(
    request: HttpRequest,
    *,
    group: str,
    rate: str,
    key: str | Callable[[str, HttpRequest], str] = "ip",
    increment: bool = True,
) -> Usage | None:
    """How much of ``rate`` the key has used, counting this call if ``increment``.

    None when limits are switched off (``RATELIMIT_ENABLE=False``).
    """
    if not settings.RATELIMIT_ENABLE:
        return None
    try:
        usage = get_usage(request, group=group, key=key, rate=rate, method=ALL, increment=increment)
    except REDIS_FAILURES as exc:
        logger.warning("rate limit %s: Redis unavailable (%s); using local window", group,
                       type(exc).__name__)  # fmt: skip
        value = key(group, request) if callable(key) else _get_ip(request)
        return local_windows.usage(group, value, rate, increment=increment)
    if usage is None:
        return None
    return Usage(count=usage["count"], limit=usage["limit"], retry_after=usage["time_left"])


def limit_enforce(
    request: HttpRequest,
    *,
    group: str,
    rate: str,
    key: str | Callable[[str, HttpRequest], str] = "ip",
    increment: bool = True,
    message: str = "Too many attempts. Try again later.",
) -> None:
    """Raise 429 ``rate_limited`` when the key is over ``rate``."""
    usage = usage_get(request, group=group, rate=rate, key=key, increment=increment)
    if usage is None:
        return
    # Without increment the call only looks: the limit is reached once count equals it.
    over = usage.exceeded if increment else usage.count >= usage.limit
    if over:
        logger.info("rate limited: %s", group)
        raise RateLimited(message, retry_after=usage.retry_after, limit=usage.limit)


@dataclass
class Attempt:
    """A counted attempt; ``release()`` gives the slot back when the attempt succeeded."""

    group: str
    identity: str
    rate: str
    cache_key: str | None = None
    local: bool = False

    def release(self) -> None:
        if self.local:
            local_windows.release(self.group, self.identity, self.rate)
        elif self.cache_key is not None:
            try:
                caches[settings.RATELIMIT_USE_CACHE].decr(self.cache_key)
            except (*REDIS_FAILURES, ValueError):
                pass  # the window expired meanwhile, or Redis is gone: nothing to give back


def attempt_reserve(
    *, group: str, identity: str, rate: str, message: str = "Too many attempts."
) -> Attempt:
    """Count one attempt for ``identity`` atomically, and raise 429 if it is over ``rate``."""
    attempt = Attempt(group=group, identity=identity, rate=rate)
    if not settings.RATELIMIT_ENABLE:
        return attempt
    limit, period = _split_rate(rate)
    now = time.time()
    window = int(now // period)
    digest = hashlib.sha256(identity.encode()).hexdigest()  # no emails in Redis keys
    attempt.cache_key = f"attempts:{group}:{digest}:{window}"
    try:
        cache = caches[settings.RATELIMIT_USE_CACHE]
        cache.add(attempt.cache_key, 0, period + 5)
        count = cache.incr(attempt.cache_key)
    except REDIS_FAILURES as exc:
        logger.warning("attempt limit %s: Redis unavailable (%s); using local window", group,
                       type(exc).__name__)  # fmt: skip
        attempt.local = True
        count = local_windows.usage(group, identity, rate, increment=True).count
    if count > limit:
        logger.info("rate limited: %s", group)
        raise RateLimited(message, retry_after=(window + 1) * period - now, limit=limit)
    return attempt


def login_attempt_reserve(*, email: str, message: str = "Too many attempts.") -> Attempt:
    """A failed-login slot for this (normalised) email: API login and admin login alike."""
    return attempt_reserve(
        group="login:email",
        identity=email,
        rate=settings.LOGIN_FAILURE_RATE_PER_EMAIL,
        message=message,
    )


@contextmanager
def password_attempt(*, user_id: uuid.UUID, wrong_password: type[Exception]) -> Iterator[None]:
    """Count a check of the user's own password like a failed login (a stolen access token
    must not become a way to guess it): the slot is kept when the block raises
    ``wrong_password``, and given back when it succeeds or fails for another reason."""
    attempt = attempt_reserve(
        group="password:user", identity=str(user_id), rate=settings.LOGIN_FAILURE_RATE_PER_EMAIL
    )
    try:
        yield
    except wrong_password:
        raise
    except BaseException:
        attempt.release()
        raise
    attempt.release()
