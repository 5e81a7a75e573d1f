"""django_prometheus's PostgreSQL backend, whose per-request health check costs no round trip
while the connection is busy and plainly healthy.

With CONN_HEALTH_CHECKS, Django runs ``SELECT 1`` before the first query of every request that
reuses a connection: a round trip of ~0.25 ms of the API's and PostgreSQL's CPU on these
machines, spent on connections that are nearly always fine. A connection that the server or a
pooler ends (a restart, pg_terminate_backend, an idle timeout) has something waiting on its
socket: the server's FATAL message, an end of file or a reset. So a connection that was checked
less than RECENTLY_CHECKED_SECONDS ago, is idle outside a transaction and has nothing waiting on
its socket is taken as healthy; any other gets Django's ``SELECT 1``. Django has no setting for
this, and its own pool checks each connection out with a round trip too (an empty query).

What the socket cannot tell: a peer that answers only the next packet, with a reset (an address
moved to another host by a failover, a middlebox that forgot the connection). ``SELECT 1`` finds
that and reconnects; without it, the request's own query fails (503). A connection used within
the last second would have met such a failover in flight anyway, so only busy connections skip
the round trip, and a quiet one pays it, where it costs nothing that matters. Neither check
notices a host that vanished without a word (powered off, its network cut): the query waits out
its timeout either way.
"""

import select
import time

from django_prometheus.db.backends.postgresql import base
from psycopg import pq

RECENTLY_CHECKED_SECONDS = 1.0


def _nothing_to_read(fileno: int) -> bool:
    """Whether the socket has no byte, end of file or error waiting (a poll that never waits)."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


class DatabaseWrapper(base.DatabaseWrapper):
    health_check_done: bool  # set by Django's BaseDatabaseWrapper
    # time.monotonic() when the connection was last seen working: made, or checked.
    checked_at = float("-inf")

    def connect(self) -> None:
        super().connect()
        self.checked_at = time.monotonic()

    def close_if_health_check_failed(self) -> None:
        if self.connection is not None and self.health_check_enabled and not self.health_check_done:
            now = time.monotonic()
            recently_checked = now - self.checked_at < RECENTLY_CHECKED_SECONDS
            self.checked_at = now
            if recently_checked and self._plainly_healthy():
                self.health_check_done = True
                return
        super().close_if_health_check_failed()

    def _plainly_healthy(self) -> bool:
        connection = self.connection
        return (
            not connection.closed
            and connection.pgconn.status == pq.ConnStatus.OK
            and connection.info.transaction_status == pq.TransactionStatus.IDLE
            and _nothing_to_read(connection.fileno())
        )
