"""Create or refresh the demo administrator of a development stack; print it and an invite code."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from invites.services import invite_create

DEMO_EMAIL = "admin@ciel.localhost"
DEMO_HANDLE = "demo_admin"


class Command(BaseCommand):
    help = "Development only: create the demo superuser (or give it a new password) and print it."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_admin is for development stacks (DJANGO_DEBUG on) only.")
        user_model = get_user_model()
        # A new random password each run, so no credential ever sits in the repository.
        password = secrets.token_urlsafe(12)
        user = user_model.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = user_model.objects.create_superuser(
                email=DEMO_EMAIL, handle=DEMO_HANDLE, password=password
            )
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        self.stdout.write(f"demo administrator: {user.email} / {password}")
        invite = invite_create(created_by=user)
        self.stdout.write(
            f"invite code: {invite.code} (expires {invite.expires_at:%Y-%m-%d %H:%M} UTC)"
        )
