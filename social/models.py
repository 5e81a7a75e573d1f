"""Follows, blocks and notifications (SPEC §5, §8)."""

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Follow(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_set"
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_set"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            # Also the index of "whom does X follow" (following list, follow-list cache, feed).
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_once"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follow_not_self"),
        ]
        indexes: ClassVar = [
            # Followers list of a user, newest first, keyset on (created_at, id).
            models.Index(fields=["followee", "-created_at", "-id"], name="follow_followee_idx"),
            # Following list of a user, newest first.
            models.Index(fields=["follower", "-created_at", "-id"], name="follow_follower_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followee_id}"


class Block(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            # Also the index of "whom does X block".
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]
        indexes: ClassVar = [
            # "Who blocks X": the other half of the block list and of every visibility check.
            models.Index(fields=["blocked", "blocker"], name="block_blocked_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class NotificationType(models.TextChoices):
    FOLLOW = "follow"
    LIKE = "like"
    COMMENT = "comment"
    INVITE_USED = "invite_used"
    STRIKE = "strike"
    BAN = "ban"


# One notification per (recipient, actor, type, object) for these: following twice, or liking
# the same post twice, does not notify twice.
DEDUPLICATED_TYPES = (NotificationType.FOLLOW, NotificationType.LIKE)


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    # Null for system notifications (strikes, bans).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications_caused",
    )
    type = models.CharField(max_length=20, choices=NotificationType.choices)
    # The post, comment, invite, strike or ban it is about, if any.
    object_id = models.UUIDField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["recipient", "actor", "type", "object_id"],
                condition=Q(type__in=DEDUPLICATED_TYPES),
                nulls_distinct=False,
                name="notification_once_per_action",
            ),
        ]
        indexes: ClassVar = [
            # The notification list, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_list_idx"),
            # The unread count and "mark all read".
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.recipient_id}"
