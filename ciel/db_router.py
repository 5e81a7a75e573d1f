"""Read replicas (SPEC §11, ``DATABASE_REPLICA_URLS``): which database a query goes to.

Everything goes to the primary (``default``) unless all of these hold:

- the code runs inside ``replica_reads()``, the explicit "replica-safe" scope that the feed,
  search and public profile views opt into (as a decorator of their handler);
- nothing has written to the primary yet in this request (read your own writes): the router's
  ``db_for_write`` and a watcher on the primary connection (which also sees raw SQL) flip the
  rest of the request to the primary;
- the primary is not inside ``transaction.atomic()`` (a transaction reads what it locks and
  writes);
- the model is not one whose reads fill the versioned Redis caches (``ciel/cache.py``): a set
  computed from a lagging replica would be stored under the new version and served for minutes.

Writes always go to the primary. Each scope reads from one replica picked at random among those
that can be reached; one that cannot is skipped for REPLICA_RETRY_SECONDS, and with none left
the primary serves the scope. With no replica configured (``settings.DATABASE_REPLICAS`` empty)
the scope does nothing. Replication lag is not measured: a replica that stalls keeps serving.
"""

import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.models import Model

# Reads of these always go to the primary: the block and following sets are cached in Redis
# (social.selectors), and blocks decide who may see what.
PRIMARY_ONLY_MODELS = frozenset({"social.block", "social.follow"})

logger = logging.getLogger(__name__)

_READ_STATEMENT = re.compile(r"\s*(SELECT|SHOW|EXPLAIN|WITH)\b", re.IGNORECASE)
# A WITH query reads unless one of its parts writes (WITH … INSERT / UPDATE / DELETE).
_WRITING_CTE = re.compile(
    r"^\s*WITH\b.*\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE | re.DOTALL
)
_LOCKING_READ = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|SHARE|KEY\s+SHARE)\b", re.IGNORECASE)


@dataclass
class _Routing:
    """The routing state of one request (or of one scope entered outside a request)."""

    replica: str | None = None  # the alias this scope reads from; None outside a scope
    replica_checked: bool = False  # the scope's replica answered before its first read
    wrote: bool = False  # something wrote to the primary: read from it from now on


_routing: ContextVar[_Routing | None] = ContextVar("ciel_db_routing", default=None)


def replica_aliases() -> list[str]:
    return list(getattr(settings, "DATABASE_REPLICAS", []))


def _is_write(sql: Any) -> bool:
    if not isinstance(sql, str):
        return True  # a composed statement: assume the worst
    return (
        _READ_STATEMENT.match(sql) is None
        or _LOCKING_READ.search(sql) is not None
        or _WRITING_CTE.match(sql) is not None
    )


def _watch_primary(
    execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """An execute wrapper on the primary connection: any statement that is not a plain read
    marks the request as having written."""
    routing = _routing.get()
    if routing is not None and not routing.wrote and _is_write(sql):
        routing.wrote = True
    return execute(sql, params, many, context)


def _watch_primary_connection() -> None:
    wrappers = connections[DEFAULT_DB_ALIAS].execute_wrappers
    if _watch_primary not in wrappers:
        wrappers.append(_watch_primary)


def _request_started(**kwargs: Any) -> None:
    if not replica_aliases():
        return
    _routing.set(_Routing())
    _watch_primary_connection()


def _request_finished(**kwargs: Any) -> None:
    if _routing.get() is not None:
        _routing.set(None)


request_started.connect(_request_started, dispatch_uid="ciel.db_router.request_started")
request_finished.connect(_request_finished, dispatch_uid="ciel.db_router.request_finished")


@contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads inside go to a replica (a context manager, or a decorator of a view
    handler). Use it only where a result a moment old is acceptable: feed, search, profiles."""
    replicas = replica_aliases()
    if not replicas:
        yield
        return
    routing = _routing.get()
    token = None
    if routing is None:  # outside a request: the scope keeps its own state
        routing = _Routing()
        token = _routing.set(routing)
    outer_replica = routing.replica
    if outer_replica is None:
        routing.replica = _replica_pick(replicas)  # None: the primary serves the scope
        routing.replica_checked = False
    _watch_primary_connection()
    try:
        yield
    finally:
        routing.replica = outer_replica
        if token is not None:
            _routing.reset(token)


# A replica that cannot be reached is skipped for this long (per process) before it is tried
# again: its reads go to another replica or to the primary instead of failing as 503s.
REPLICA_RETRY_SECONDS = 30.0
_replica_down_until: dict[str, float] = {}


def _replica_pick(replicas: list[str]) -> str | None:
    """A replica at random among those not marked unreachable; None when all are."""
    now = time.monotonic()
    candidates = [alias for alias in replicas if _replica_down_until.get(alias, 0.0) <= now]
    return random.choice(candidates) if candidates else None  # noqa: S311 - load spreading


def _replica_reachable(alias: str) -> bool:
    """Connect (or health-check the kept connection) before the scope's first read, so a dead
    replica fails here, where the read can still go to the primary, and not as a 503."""
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except OperationalError:
        logger.warning("replica %s unreachable; skipped for %.0f s", alias, REPLICA_RETRY_SECONDS)
        _replica_down_until[alias] = time.monotonic() + REPLICA_RETRY_SECONDS
        return False
    return True


def _same_database(alias: str | None) -> bool:
    return alias == DEFAULT_DB_ALIAS or alias in replica_aliases()


class ReplicaRouter:
    """Installed whatever the configuration; without replicas it sends everything to the
    primary, as Django would without a router."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        routing = _routing.get()
        if (
            routing is None
            or routing.replica is None
            or routing.wrote
            or model._meta.label_lower in PRIMARY_ONLY_MODELS
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return DEFAULT_DB_ALIAS
        if not routing.replica_checked:
            routing.replica_checked = True
            if not _replica_reachable(routing.replica):
                routing.replica = None
                return DEFAULT_DB_ALIAS
        return routing.replica

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        routing = _routing.get()
        if routing is not None:
            routing.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # Replicas are copies of the primary: objects read from any of them may be related.
        if _same_database(obj1._state.db) and _same_database(obj2._state.db):
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
