"""Create invite codes for a staff member, beyond any quota (SPEC §7)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User, normalize_email
from invites.services import invite_create


class Command(BaseCommand):
    help = "Create invite codes on behalf of a staff user (staff have no quota)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--by", required=True, help="Email of the staff user who invites.")
        parser.add_argument("--count", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        inviter = User.objects.filter(email=normalize_email(options["by"])).first()
        if inviter is None or not inviter.is_staff:
            raise CommandError(f"No staff user with the email {options['by']}.")
        for _ in range(options["count"]):
            self.stdout.write(invite_create(created_by=inviter).code)
