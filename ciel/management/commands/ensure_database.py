"""Create the configured PostgreSQL database if it does not exist (for `make run`)."""

from typing import Any

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql
from psycopg.conninfo import make_conninfo


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database if it is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        database = settings.DATABASES["default"]
        name = database["NAME"]
        conninfo = make_conninfo(
            dbname="postgres",
            host=database.get("HOST") or None,
            port=database.get("PORT") or None,
            user=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
            connect_timeout=5,
        )
        try:
            with psycopg.connect(conninfo, autocommit=True) as connection:
                exists = connection.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [name]
                ).fetchone()
                if exists:
                    self.stdout.write(f"database {name}: exists")
                    return
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                self.stdout.write(f"database {name}: created")
        except psycopg.OperationalError as exc:
            raise CommandError(f"Cannot reach PostgreSQL to create {name}: {exc}") from exc
