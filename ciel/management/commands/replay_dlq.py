"""Move a queue's dead letters back to the queue once their cause is fixed (docs/operations.md)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ciel import aws


class Command(BaseCommand):
    help = (
        "Move messages from a Celery queue's dead-letter queue back to the queue, "
        "after fixing what made them fail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("queue", choices=settings.CELERY_QUEUES, help="the Celery queue")
        parser.add_argument("--limit", type=int, help="move at most this many messages")
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the dead letters; move nothing"
        )

    def handle(
        self, *args: Any, queue: str, limit: int | None, dry_run: bool, **options: Any
    ) -> None:
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            if dry_run:
                count = aws.dead_letters_count(queue)
                name = aws.dead_letter_queue_name(queue)
                self.stdout.write(f"{name}: about {count} message(s); nothing moved (dry run)")
                return
            replay = aws.dead_letters_replay(queue, limit=limit)
        except aws.DeadLetterError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"moved {replay.moved} message(s) from {replay.source} to {replay.target}"
        )
        for task, count in sorted(replay.tasks.items()):
            self.stdout.write(f"  {task}: {count}")
