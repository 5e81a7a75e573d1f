"""Invite codes and the invite tree (SPEC §7)."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class InviteStatus(models.TextChoices):
    ACTIVE = "active"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


class InviteQuerySet(models.QuerySet["Invite"]):
    def active(self) -> "InviteQuerySet":
        return self.filter(
            used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )

    def counting_toward_quota(self) -> "InviteQuerySet":
        """Active and used codes count; expired and revoked ones give their slot back."""
        return self.filter(
            Q(used_at__isnull=False)
            | Q(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
        )


class Invite(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=12, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invites_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # The invite tree: created_by invited used_by. A person joins through one code only.
    used_by = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invited_through",
    )

    objects = InviteQuerySet.as_manager()

    class Meta:
        indexes: ClassVar = [
            # A user's own list, newest first (GET /invites) and their quota count.
            models.Index(fields=["created_by", "-created_at", "-id"], name="invite_creator_idx"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invite_not_used_and_revoked",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def status(self) -> InviteStatus:
        if self.used_at is not None:
            return InviteStatus.USED
        if self.revoked_at is not None:
            return InviteStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InviteStatus.EXPIRED
        return InviteStatus.ACTIVE
