"""Home timelines in Redis: a capped sorted set of post ids per user (fan-out on write).

Each timeline holds the ids of the newest TIMELINE_SIZE posts a user's feed could show, as
16-byte UUIDs scored by creation time in microseconds. It is only ever a candidate list: every
read checks the candidates against PostgreSQL (removed, deleted, blocked, unfollowed) before
showing them, so a timeline that is stale, partial or gone gives the same page — just slower.
Writes only touch timelines that exist ("warm"), so a user who never reads their feed costs no
memory; a cold timeline is built from the SQL query on its first read.
"""

import logging
import os
import uuid
from collections.abc import Iterable
from functools import cache

from django_redis import get_redis_connection
from redis.commands.core import Script
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

TIMELINE_SIZE = 500
TIMELINE_IDLE_SECONDS = 7 * 24 * 3600

# Lua: trim a timeline to its newest ``cap`` entries. One being built keeps its marker (score
# -1, the lowest rank, see BUILD_BEGIN) and may run over the cap until its build trims it.
TRIM = """
local function trim(key, cap)
  if redis.call('ZCARD', key) > cap
      and #redis.call('ZRANGEBYSCORE', key, -1, -1, 'LIMIT', 0, 1) == 0 then
    redis.call('ZREMRANGEBYRANK', key, 0, -cap - 1)
  end
end
"""

# KEYS: timelines. ARGV: score, member, cap. Adds to the timelines that exist, trims them.
FAN_OUT = (
    TRIM
    + """
local added = 0
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('ZADD', key, ARGV[1], ARGV[2])
    trim(key, tonumber(ARGV[3]))
    added = added + 1
  end
end
return added
"""
)


# KEYS: a timeline. ARGV: cap, then score and member pairs. Adds them to the timeline if it
# exists, then trims it: checked and written in one step, so a timeline dropped meanwhile is
# not recreated holding only these entries (it would pass for complete).
BACKFILL = (
    TRIM
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
trim(KEYS[1], tonumber(ARGV[1]))
return 1
"""
)


def _score_member_pairs(entries: Iterable[tuple[uuid.UUID, int]]) -> list:
    """(post id, score) entries as the flat score, member arguments the scripts' ZADD takes."""
    return [value for post_id, score in entries for value in (score, post_id.bytes)]


def timeline_key(user_id: uuid.UUID) -> str:
    return f"ciel:timeline:{user_id}"


def score_of(created_at) -> int:
    return int(created_at.timestamp() * 1_000_000)


def _redis():
    return get_redis_connection("default")


# Building a timeline takes a query between reading the database and writing Redis. A post's
# fan-out (or a follow's backfill) in that window would skip the timeline, which does not exist
# yet, and the build would then write it without that post, for good. So a build first creates
# the timeline holding only a marker of its own (score -1, below any post); writes in the window
# land in it; the build then adds its rows and removes the marker, unless the marker is gone: a
# refresh, unfollow or block dropped the timeline meanwhile, or another build took it over, and
# this build's rows may be out of date. Reads take a timeline being built for a missing one.
BUILD_SECONDS = 60  # a build that never finishes (its query failed) stops blocking rebuilds

# KEYS: the timeline. ARGV: marker, seconds. 1 if the build may start, 0 if it exists already.
BUILD_BEGIN = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('ZADD', KEYS[1], -1, ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: the timeline. ARGV: marker, cap, idle seconds, then score and member pairs.
BUILD_FINISH = (
    TRIM
    + """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 4, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
end
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('ZADD', KEYS[1], 0, '')
end
trim(KEYS[1], tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
)


def timeline_build_begin(user_id: uuid.UUID) -> bytes | None:
    """Start building the user's timeline: a marker to hand to timeline_build_finish, or None
    when the timeline exists (or is being built) or Redis cannot be reached."""
    marker = b"building:" + os.urandom(8)
    try:
        began = _redis().eval(BUILD_BEGIN, 1, timeline_key(user_id), marker, BUILD_SECONDS)
    except (RedisError, OSError) as exc:
        logger.warning("timeline build failed: %s", type(exc).__name__)
        return None
    return marker if began else None


def timeline_build_finish(
    user_id: uuid.UUID, marker: bytes, entries: Iterable[tuple[uuid.UUID, int]]
) -> None:
    """Add the (post id, score) entries read since timeline_build_begin, keeping what was
    written meanwhile; nothing if the timeline was dropped or taken over since. An empty
    timeline keeps one empty member, so that it is not rebuilt on every read."""
    key = timeline_key(user_id)
    pairs = _score_member_pairs(entries)
    try:
        _redis().eval(BUILD_FINISH, 1, key, marker, TIMELINE_SIZE, TIMELINE_IDLE_SECONDS, *pairs)
    except (RedisError, OSError) as exc:
        logger.warning("timeline build failed: %s", type(exc).__name__)


def timeline_build(user_id: uuid.UUID, entries: Iterable[tuple[uuid.UUID, int]]) -> None:
    """Replace the user's timeline with these entries at once (the benchmark, tests)."""
    timelines_drop([user_id])
    marker = timeline_build_begin(user_id)
    if marker is not None:
        timeline_build_finish(user_id, marker, entries)


# KEYS: the timeline. ARGV: max score, count, idle seconds. Its members (newest first), or nil
# when it does not exist or is being built (its marker is left to expire, not kept alive). One
# script, not a MULTI of EXISTS, ZREVRANGEBYSCORE and EXPIRE: the same atomic read (a timeline
# dropped or rebuilt meanwhile is never half seen), at ~0.2 ms instead of ~0.3 ms of the API's
# CPU, as redis-py parses one reply instead of five.
READ = """
if #redis.call('ZRANGEBYSCORE', KEYS[1], -1, -1, 'LIMIT', 0, 1) > 0 then
  return false
end
if redis.call('EXPIRE', KEYS[1], ARGV[3]) == 0 then
  return false
end
return redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], '-inf', 'LIMIT', 0, ARGV[2])
"""


def timeline_read(user_id: uuid.UUID, *, before_score: int | None, count: int) -> list[str] | None:
    """The ids (as hex) of up to ``count`` posts older than ``before_score``, newest first;
    None when the timeline is missing or Redis is unreachable. Without their scores, and as
    text: the page's query takes them as text, and a UUID and a score parsed for each of 60
    entries cost more here than the Redis round trip. Reading keeps the timeline alive for
    another TIMELINE_IDLE_SECONDS."""
    maximum = f"({before_score}" if before_score is not None else "+inf"
    try:
        members = _read_script()(
            keys=[timeline_key(user_id)],
            args=[maximum, count, TIMELINE_IDLE_SECONDS],
            client=_redis(),
        )
    except (RedisError, OSError) as exc:
        logger.warning("timeline read failed: %s", type(exc).__name__)
        return None
    # Lua's false arrives as None over RESP2 and as False over RESP3.
    if not isinstance(members, list):
        return None
    return [member.hex() for member in members if member]


@cache
def _read_script() -> Script:
    """READ, hashed once (registering it again took ~40 µs) and run on whichever client is
    current: redis-py sends EVALSHA, and EVAL only after a NOSCRIPT (a restarted Redis)."""
    return _redis().register_script(READ)


def timeline_size(user_id: uuid.UUID) -> int:
    try:
        return int(_redis().zcard(timeline_key(user_id)))
    except (RedisError, OSError):
        return 0


def timelines_add(user_ids: list[uuid.UUID], post_id: uuid.UUID, score: int) -> int:
    """Add a post to the warm timelines among ``user_ids``; returns how many took it."""
    if not user_ids:
        return 0
    keys = [timeline_key(user_id) for user_id in user_ids]
    return int(_redis().eval(FAN_OUT, len(keys), *keys, score, post_id.bytes, TIMELINE_SIZE))


def timelines_drop(user_ids: Iterable[uuid.UUID]) -> bool:
    """Forget timelines (refresh, unfollow, block): the next read rebuilds them from SQL.
    False when Redis could not be reached."""
    keys = [timeline_key(user_id) for user_id in user_ids]
    try:
        if keys:
            _redis().delete(*keys)
    except (RedisError, OSError) as exc:
        logger.warning("timeline drop failed: %s", type(exc).__name__)
        return False
    return True


def timeline_entries_add(user_id: uuid.UUID, entries: list[tuple[uuid.UUID, int]]) -> bool:
    """Backfill a warm timeline with entries (a new follow's recent posts), then trim it. False
    when Redis could not be reached: the timeline, if any, may lack them."""
    if not entries:
        return True
    pairs = _score_member_pairs(entries)
    try:
        _redis().eval(BACKFILL, 1, timeline_key(user_id), TIMELINE_SIZE, *pairs)
    except (RedisError, OSError) as exc:
        logger.warning("timeline backfill failed: %s", type(exc).__name__)
        return False
    return True
