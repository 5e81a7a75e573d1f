"""Redis caches of per-user sets that are invalidated, never trusted blindly.

Why versions instead of deleting the key on change: a reader that loaded the set from PostgreSQL
just before a write committed would put the old set back right after the writer's delete, and
it would be served until the TTL ran out — for a block list, that is a blocked user seeing a
profile for ten minutes. Here the set lives under ``name:owner:version``; a change (after commit)
gives the owner a new random version, so any set computed before it is simply never read again.
A lost version key (eviction, restart) also just means a new version and one recomputation.

With Redis down the Django cache is configured to ignore errors, so every read computes from
PostgreSQL: slower, still correct.
"""

import uuid
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction

VERSION_TTL_SECONDS = 24 * 60 * 60


def _version_key(name: str, owner_id: uuid.UUID) -> str:
    return f"{name}:version:{owner_id}"


def cached_id_set(
    name: str,
    owner_id: uuid.UUID,
    compute: Callable[[], Iterable[uuid.UUID]],
    *,
    ttl_seconds: int,
) -> frozenset[uuid.UUID]:
    version_key = _version_key(name, owner_id)
    version = cache.get(version_key)
    if version is None:
        cache.add(version_key, uuid.uuid4().hex, VERSION_TTL_SECONDS)
        version = cache.get(version_key)
    data_key = f"{name}:{owner_id}:{version}" if version else None
    if data_key is not None:
        cached = cache.get(data_key)
        if cached is not None:
            return cached
    value = frozenset(compute())
    if data_key is not None:
        cache.set(data_key, value, ttl_seconds)
    return value


def cached_id_set_invalidate_on_commit(name: str, owner_ids: Iterable[uuid.UUID]) -> None:
    """After the current transaction commits, make every cached copy of these sets stale."""
    keys = [_version_key(name, owner_id) for owner_id in owner_ids]

    def bump() -> None:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, VERSION_TTL_SECONDS)

    transaction.on_commit(bump)
