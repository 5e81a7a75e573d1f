"""Per-action limits by trust level (SPEC §6): a sliding-window log in Redis, one Lua script.

Why a sliding log and not a fixed window or GCRA: the spec says the limits may never be
exceeded, in any hour or any day. A fixed window lets a burst at the end of one window and
another at the start of the next double the limit; GCRA bounds the long-run rate but lets
through about twice its burst within a window's length. The log keeps one sorted-set entry per
action (at most the limit, 1,000 for the largest), drops those older than the window, and
allows the action only if every window of the action has room: exact, atomic (one script, one
round trip), and all windows are checked and recorded together.

Clock: the API host's time is passed in (hosts are NTP-synchronised; a few ms of skew shifts
a window by as much), which also lets tests move time without sleeping.

With Redis down the limits fail open: availability of posting and liking matters more than an
hour of unlimited likes, the failure is logged and counted, and IP limits on login and signup
have their own strict fallback (safety/ratelimit.py).
"""

import datetime
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django_redis import get_redis_connection
from prometheus_client import Counter
from redis.exceptions import RedisError

from accounts.models import User
from ciel.api.exceptions import RateLimited

logger = logging.getLogger(__name__)

RATE_LIMIT_HITS = Counter(
    "rate_limit_hits_total", "Actions refused by a rate limit.", ["action", "trust_level"]
)
RATE_LIMIT_FAIL_OPEN = Counter(
    "rate_limit_fail_open_total", "Actions allowed unchecked because Redis was unreachable.",
    ["action"],
)  # fmt: skip

# KEYS: one sorted set per window. ARGV: now (ms), member, then (window ms, limit) per key.
# Returns {allowed (0/1), then per key: count after, oldest entry's time (ms) or -1}.
SLIDING_LOG = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local allowed = 1
local counts = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[1 + 2 * i])
  local limit = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  counts[i] = redis.call('ZCARD', key)
  if counts[i] >= limit then allowed = 0 end
end
local result = {allowed}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[1 + 2 * i])
  if allowed == 1 then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, window)
    counts[i] = counts[i] + 1
  end
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  result[#result + 1] = counts[i]
  result[#result + 1] = oldest[2] or -1
end
return result
"""

# Read-only counterpart for GET /account/rate-limits.
SLIDING_LOG_PEEK = """
local now = tonumber(ARGV[1])
local result = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[1 + i])
  local count = redis.call('ZCOUNT', key, '(' .. (now - window), '+inf')
  local oldest = redis.call(
    'ZRANGEBYSCORE', key, '(' .. (now - window), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  result[#result + 1] = count
  result[#result + 1] = oldest[2] or -1
end
return result
"""


@dataclass(frozen=True)
class WindowState:
    window_seconds: int
    limit: int
    used: int
    reset_at: float  # when the oldest action in the window leaves it (now if empty)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


def windows_for(action: str, level: str) -> list[tuple[int, int]]:
    """(window seconds, limit) of an action for a trust level, shortest window first."""
    table = settings.ACTION_RATE_LIMITS[action]
    return sorted((int(window), limits[level]) for window, limits in table.items())


def _key(action: str, user_id: uuid.UUID, window: int) -> str:
    return f"ciel:limit:{action}:{user_id}:{window}"


def _states(
    windows: list[tuple[int, int]], raw: list, now_ms: int, offset: int
) -> list[WindowState]:
    states = []
    for index, (window, limit) in enumerate(windows):
        used, oldest = int(raw[offset + 2 * index]), float(raw[offset + 2 * index + 1])
        reset_ms = oldest + window * 1000 if oldest >= 0 else now_ms
        states.append(WindowState(window, limit, used, reset_ms / 1000))
    return states


@dataclass(frozen=True)
class Counted:
    """One counted action; ``refund()`` takes it back when the action did not happen."""

    keys: tuple[str, ...] = ()
    member: str = ""

    def refund(self) -> None:
        if not self.keys:
            return
        try:
            pipe = get_redis_connection("default").pipeline()
            for key in self.keys:
                pipe.zrem(key, self.member)
            pipe.execute()
        except (RedisError, OSError):
            pass  # the slot stays used until it leaves the window: the safe side


def action_limit_consume(*, user: User, action: str, now: float | None = None) -> Counted:
    """Count one ``action`` by ``user``, or raise 429 when any of its windows is full."""
    if not settings.RATELIMIT_ENABLE:
        return Counted()
    windows = windows_for(action, user.trust_level)
    now_ms = int((now if now is not None else time.time()) * 1000)
    member = f"{now_ms}-{uuid.uuid4().hex[:8]}"
    keys = tuple(_key(action, user.pk, w) for w, _ in windows)
    args: list = [now_ms, member]
    for window, limit in windows:
        args += [window * 1000, limit]
    try:
        connection = get_redis_connection("default")
        raw = connection.eval(SLIDING_LOG, len(keys), *keys, *args)
    except (RedisError, OSError) as exc:
        RATE_LIMIT_FAIL_OPEN.labels(action=action).inc()
        logger.warning("action limit %s failed open: Redis unavailable (%s)", action,
                       type(exc).__name__)  # fmt: skip
        return Counted()
    if int(raw[0]) == 1:
        return Counted(keys=keys, member=member)
    states = _states(windows, raw, now_ms, offset=1)
    full = [state for state in states if state.used >= state.limit]
    blocking = max(full, key=lambda state: state.reset_at)
    RATE_LIMIT_HITS.labels(action=action, trust_level=user.trust_level).inc()
    logger.info("rate limited: %s user=%s level=%s", action, user.pk, user.trust_level)
    times = "once" if blocking.limit == 1 else f"{blocking.limit} times"
    raise RateLimited(
        f"You can {action} at most {times} per "
        f"{_window_name(blocking.window_seconds)} at your trust level.",
        retry_after=blocking.reset_at - now_ms / 1000,
        limit=blocking.limit,
    )


def action_limits_peek(
    *, user: User, now: float | None = None
) -> dict[str, list[WindowState]] | None:
    """Every action's windows for the user, without counting anything; None if Redis is down."""
    now_ms = int((now if now is not None else time.time()) * 1000)
    result = {}
    try:
        connection = get_redis_connection("default")
        for action in settings.ACTION_RATE_LIMITS:
            windows = windows_for(action, user.trust_level)
            raw = connection.eval(
                SLIDING_LOG_PEEK,
                len(windows),
                *[_key(action, user.pk, w) for w, _ in windows],
                now_ms,
                *[w * 1000 for w, _ in windows],
            )
            result[action] = _states(windows, raw, now_ms, offset=0)
    except (RedisError, OSError):
        return None
    return result


def _window_name(seconds: int) -> str:
    return {3600: "hour", 86400: "day"}.get(seconds, f"{seconds} seconds")


@contextmanager
def action_limited(*, user: User, action: str) -> Iterator[Counted]:
    """Count the action, and take the count back if the block raises (a refused follow, a post
    whose media is not ready): only actions that happened use up the limit."""
    counted = action_limit_consume(user=user, action=action)
    try:
        yield counted
    except BaseException:
        counted.refund()
        raise


def action_limits_overview(*, user: User) -> tuple[bool, dict[str, list[dict]]]:
    """Every action's windows as GET /account/rate-limits shows them, and whether Redis could be
    read. While it cannot, the limits are not enforced either (fail open), so each window shows
    its whole limit as remaining."""
    states = action_limits_peek(user=user)
    available = states is not None
    if states is None:
        now = time.time()
        states = {
            action: [
                WindowState(window, limit, 0, now)
                for window, limit in windows_for(action, user.trust_level)
            ]
            for action in settings.ACTION_RATE_LIMITS
        }
    actions = {
        action: [
            {
                "window_seconds": state.window_seconds,
                "limit": state.limit,
                "remaining": state.remaining,
                "reset_at": datetime.datetime.fromtimestamp(state.reset_at, tz=datetime.UTC),
            }
            for state in windows
        ]
        for action, windows in states.items()
    }
    return available, actions
