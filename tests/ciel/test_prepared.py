"""ciel.prepared: the hot path's hand-written queries are prepared once per connection, and
Django still sees them like any other query."""

import pytest
from django.conf import settings
from django.db import ProgrammingError, connection
from django.test.utils import CaptureQueriesContext

from ciel.prepared import prepared_cursor

pytestmark = pytest.mark.django_db

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
    assert "ciel_prepared_probe" in captured.captured_queries[0]["sql"]


def test_database_errors_are_djangos():
    with pytest.raises(ProgrammingError), prepared_cursor("default") as cursor:
        cursor.execute("SELECT no_such_column FROM accounts_user")
