"""ciel.prepared: the hot path's hand-written queries are prepared once per connection, and
Django still sees them like any other query."""

import pytest
from django.conf import settings
from django.db import NotSupportedError, ProgrammingError, connection
from django.test.utils import CaptureQueriesContext

from ciel.prepared import prepared_cursor
from tests.helpers import own_connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not settings.DATABASE_PREPARED_STATEMENTS, reason="DATABASE_PREPARED_STATEMENTS=false"
    ),
]

QUERY = "SELECT %s::int + 1 AS ciel_prepared_probe"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_statements_are_prepared_by_the_server():
    assert settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 0

    with prepared_cursor("default") as cursor:
        cursor.execute(QUERY, [41])
        assert cursor.fetchone() == (42,)
        cursor.execute(QUERY, [1])  # the same statement, other values
        assert cursor.fetchone() == (2,)

    probes = [text for text in prepared_statements() if "ciel_prepared_probe" in text]
    assert probes == ["SELECT $1::int + 1 AS ciel_prepared_probe"]


def test_djangos_own_cursors_prepare_nothing():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int AS ciel_unprepared_probe", [1])
        cursor.execute("SELECT %s::int AS ciel_unprepared_probe", [2])

    assert not [text for text in prepared_statements() if "ciel_unprepared_probe" in text]


def test_queries_are_seen_by_django(django_assert_num_queries):
    with django_assert_num_queries(1), prepared_cursor("default") as cursor:
        cursor.execute(QUERY, [1])

    with CaptureQueriesContext(connection) as captured, prepared_cursor("default") as cursor:
        cursor.execute(QUERY, [5])
    # With its values: psycopg keeps only the $1 text of a prepared statement's execution.
    assert captured.captured_queries[0]["sql"] == "SELECT 5::int + 1 AS ciel_prepared_probe"


def test_database_errors_are_djangos():
    with pytest.raises(ProgrammingError), prepared_cursor("default") as cursor:
        cursor.execute("SELECT no_such_column FROM accounts_user")


@pytest.mark.django_db(transaction=True)
def test_a_statement_made_stale_by_a_migration_fails_once_then_prepares_anew():
    """A column's type changes under a prepared statement (a migration during a rolling
    deploy): PostgreSQL refuses the old plan; the connection is dropped, so the next request
    prepares the statement again instead of failing for the rest of the connection's life."""
    select = "SELECT count FROM ciel_prepared_stale"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE ciel_prepared_stale (count integer)")
        cursor.execute("INSERT INTO ciel_prepared_stale VALUES (7)")
    try:
        with prepared_cursor("default") as cursor:
            cursor.execute(select)
            assert cursor.fetchall() == [(7,)]
        # An IntegerField becoming a BigIntegerField, say, migrated from another process (psycopg
        # forgets its statements itself when it sees DDL on its own connection).
        with own_connection() as migration:
            migration.execute("ALTER TABLE ciel_prepared_stale ALTER COLUMN count TYPE bigint")

        with pytest.raises(NotSupportedError), prepared_cursor("default") as cursor:
            cursor.execute(select)
        assert connection.connection is None  # closed

        with prepared_cursor("default") as cursor:
            cursor.execute(select)
            assert cursor.fetchall() == [(7,)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE ciel_prepared_stale")
