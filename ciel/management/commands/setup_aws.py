"""Create the media bucket and the SQS queues (each with a dead-letter queue) where missing."""

from typing import Any

from django.core.management.base import BaseCommand

from ciel.aws import aws_setup


class Command(BaseCommand):
    help = "Create the media bucket and the SQS queues with their dead-letter queues, if missing."

    def handle(self, *args: Any, **options: Any) -> None:
        for step in aws_setup():
            state = "created" if step.created else "exists"
            self.stdout.write(f"{step.resource} {step.name}: {state}")
