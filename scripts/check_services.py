#!/usr/bin/env python
"""Say exactly what to start or install when PostgreSQL or Redis is not reachable."""

import os
import socket
import sys
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ciel"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

HINTS = {
    "PostgreSQL": (
        "Start it with:   "
        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
        "or install it:   apt-get install -y postgresql   (then start it as above)\n"
        "or point DATABASE_URL at a running server."
    ),
    "Redis": (
        "Start it with:   redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''\n"
        "or install it:   apt-get install -y redis-server\n"
        "or point REDIS_URL at a running server."
    ),
}


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def main() -> int:
    database = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    redis = urlsplit(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    services = [
        ("PostgreSQL", database.hostname or "127.0.0.1", database.port or 5432),
        ("Redis", redis.hostname or "127.0.0.1", redis.port or 6379),
    ]
    missing = [(name, host, port) for name, host, port in services if not reachable(host, port)]
    for name, host, port in missing:
        print(f"{name} is not reachable at {host}:{port}.\n{HINTS[name]}\n", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
