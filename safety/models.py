"""Models of the safety app: the trust-points ledger (SPEC §6)."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q


class TrustReason(models.TextChoices):
    """Why points changed; the values are SPEC §6's."""

    POST_PUBLISHED = "post_published", "published a post"
    COMMENT_WRITTEN = "comment_written", "wrote a comment"
    LIKES_RECEIVED = "likes_received", "received 10 likes"
    INVITEE_SIGNED_UP = "invitee_signed_up", "an invitee signed up"
    FLAG_RECEIVED = "flag_received", "was flagged"
    CONTENT_REMOVED = "content_removed", "content removed by a moderator"
    MANUAL_STRIKE = "manual_strike", "manual strike"


TRUST_POINTS = {
    TrustReason.POST_PUBLISHED: 2,
    TrustReason.COMMENT_WRITTEN: 1,
    TrustReason.LIKES_RECEIVED: 1,
    TrustReason.INVITEE_SIGNED_UP: 10,
    TrustReason.FLAG_RECEIVED: -10,
    TrustReason.CONTENT_REMOVED: -25,
    TrustReason.MANUAL_STRIKE: -50,
}


class TrustLedgerEntry(models.Model):
    """One change of a user's trust points, with its reason, so a moderator can see why."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trust_ledger"
    )
    points = models.IntegerField()
    reason = models.CharField(max_length=30, choices=TrustReason.choices)
    # What caused it (an invite, a post, a flag…): recording the same cause twice is a no-op.
    source_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "trust ledger entries"
        indexes: ClassVar = [
            # A user's ledger, newest first (trust score, moderator's user page).
            models.Index(fields=["user", "-created_at"], name="trust_ledger_user_idx"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "reason", "source_id"],
                condition=Q(source_id__isnull=False),
                name="trust_ledger_once_per_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} {self.reason} for {self.user_id}"
