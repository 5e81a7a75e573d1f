"""ciel.db_backend: the per-request health check skips its round trip only on a connection
checked within the last second that is idle and has nothing waiting on its socket, and still
replaces a connection the server has ended."""

import time

import pytest
from django.db import close_old_connections, connection, transaction

from tests.factories import UserFactory
from tests.helpers import client_for, own_connection, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def round_trips(monkeypatch) -> list[bool]:
    """The results of the connection's ``SELECT 1`` checks (Django's is_usable), in order."""
    results: list[bool] = []
    is_usable = connection.is_usable

    def counted() -> bool:
        results.append(is_usable())
        return results[-1]

    monkeypatch.setattr(connection, "is_usable", counted)
    return results


def health_check() -> None:
    """What Django does around a request on a connection it keeps: close_old_connections when
    the request starts, the health check before its first query."""
    connection.ensure_connection()
    close_old_connections()
    connection.close_if_health_check_failed()


def test_the_check_is_on_in_every_environment():
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["ENGINE"] == "ciel.db_backend"


def test_a_busy_quiet_connection_is_not_checked_by_a_round_trip(round_trips):
    health_check()  # a request a moment ago
    round_trips.clear()

    health_check()

    assert round_trips == []
    assert connection.health_check_done


def test_a_connection_quiet_for_over_a_second_gets_the_full_check(round_trips):
    health_check()
    connection.checked_at = time.monotonic() - 2  # its last request was 2 s ago
    round_trips.clear()

    health_check()

    assert round_trips == [True]


def test_a_connection_with_something_to_read_gets_the_full_check(round_trips):
    with connection.cursor() as cursor:
        cursor.execute("LISTEN ciel_health_probe")
    try:
        with own_connection() as other:
            other.execute("NOTIFY ciel_health_probe")

        def checked_by_a_round_trip() -> bool:  # once the notification has reached the socket
            health_check()
            return bool(round_trips)

        wait_for(checked_by_a_round_trip, timeout=5, interval=0.01)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("UNLISTEN ciel_health_probe")

    assert round_trips == [True]  # a healthy connection with a message waiting: kept
    assert connection.connection is not None


def test_a_connection_inside_a_transaction_gets_the_full_check(round_trips):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")  # the transaction begins with its first statement
        connection.health_check_done = False
        connection.close_if_health_check_failed()

    assert round_trips == [True]


def test_a_request_after_the_server_ended_the_connection_is_answered(round_trips):
    client = client_for(UserFactory())
    assert client.get("/api/v1/account").status_code == 200
    ended = connection.connection.info.backend_pid

    with own_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [ended])
        wait_for(
            lambda: (
                not other.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [ended]
                ).fetchone()
            ),
            timeout=5,
            interval=0.01,
        )
    # The test client does not run close_old_connections around its requests; Django's handler
    # does, at the start of each one.
    close_old_connections()
    response = client.get("/api/v1/account")

    assert response.status_code == 200, response.content[:300]
    assert round_trips == [False]  # the ended connection failed SELECT 1 and was replaced
    assert connection.connection.info.backend_pid != ended
