"""Print a new PASERK k4.local key for PASETO_KEYS (put it first to rotate; see docs)."""

import secrets
from typing import Any

from django.core.management.base import BaseCommand
from pyseto import Key


class Command(BaseCommand):
    help = "Print a new random PASETO v4.local key as PASERK, for PASETO_KEYS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(Key.new(4, "local", secrets.token_bytes(32)).to_paserk())
