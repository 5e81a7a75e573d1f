"""Prepared statements for the few written-out queries on the hot path of the API.

PostgreSQL spent ~1.2 ms planning the post-card query on every home feed page (50 posts and
their authors, follows, likes and media), against ~1 ms executing it; prepared, planning drops
to ~0.1 ms. A statement is prepared once per connection, and again after a rollback (psycopg
forgets its statements on any ROLLBACK, savepoints included). Django cannot prepare: its cursors
bind parameters on the client (its default, kept for the ORM), and psycopg prepares nothing sent
that way. So the queries that run on nearly every request (token authentication, post cards, the
home feed's SQL path) go through ``prepared_cursor``: psycopg's own server-binding cursor, which
prepares what it executes, wrapped in Django's cursor wrapper so that error translation, execute
wrappers (ciel.db_router), query capture in tests and django_prometheus's metrics see them
exactly as they see the ORM's queries.

DATABASE_PREPARED_STATEMENTS=false turns preparing off (the queries still run, planned each
time), for a transaction-mode PgBouncer older than 1.22 or without max_prepared_statements:
it would hand a prepared statement's connection to another client. docs/operations.md.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import psycopg
from django.db import NotSupportedError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django_prometheus.db.common import ExportingCursorWrapper


@cache
def _cursor_class(alias: str, vendor: str) -> type[psycopg.Cursor]:
    return ExportingCursorWrapper(psycopg.Cursor, alias, vendor)


class _DebugCursorWrapper(CursorDebugWrapper):
    """Django logs a query (DEBUG, tests) from psycopg's record of the last one sent, which a
    prepared execution leaves empty: log the statement with its values, as Django writes them."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.db.wrap_database_errors:
            logged = self.db.ops.compose_sql(sql, params)
        with self.debug_sql(logged):
            return CursorWrapper.execute(self, sql, params)


@contextmanager
def prepared_cursor(alias: str) -> Iterator[CursorWrapper]:
    """A cursor on ``alias`` whose statements psycopg prepares on first use (with the
    connection's ``prepare_threshold`` at 0, ciel.settings), in Django's wrapper.

    Parameters are bound by the server here: each one has a type of its own (no literal is
    spliced into the text), so the SQL must not rely on client-side formatting.
    """
    database: BaseDatabaseWrapper = connections[alias]
    # What Django's own cursor() does first: the per-request health check, then (re)connect.
    database.close_if_health_check_failed()
    database.ensure_connection()
    database.validate_thread_sharing()
    with database.wrap_database_errors:
        cursor = _cursor_class(database.alias, database.vendor)(database.connection)
    # As BaseDatabaseWrapper.make_cursor and make_debug_cursor do.
    wrapper_class = _DebugCursorWrapper if database.queries_logged else CursorWrapper
    wrapper = wrapper_class(cursor, database)
    try:
        with wrapper:
            yield wrapper
    except NotSupportedError:
        # "cached plan must not change result type": a migration changed the type of a column a
        # prepared statement returns (a rolling deploy), and psycopg would send the stale
        # statement on every later request of this connection. A new connection prepares anew.
        if not database.in_atomic_block:
            database.close()
        raise
